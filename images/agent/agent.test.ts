// The agent against real things: a lab built by the CLI (two nodes with their own OVS, an external host), a real
// API server, two agents in this process driving the nodes' OVS and kernels, Pod sandboxes wired through
// podNetwork.add, and real packets (ping, TCP, a ClusterIP Service) between them.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, DiscoveryV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type RunningProcess,
  startProcess,
  startTestCluster,
  type TestCluster,
} from "../../lab/control-plane/testing/test-cluster.ts";
import { describeLeftovers, findLeftovers } from "../../lab/netns/leaks.ts";
import { NetnsProvider } from "../../lab/netns/provider.ts";
import type { LabStatus } from "../../lab/provider.ts";
import { runCli, uniqueLabName } from "../../lab/testing/lab-fixture.ts";
import { type RunResult, run } from "../common/exec.ts";
import { OvsTools } from "../common/ovs.ts";
import { type Agent, startAgent } from "./agent.ts";
import { type AgentConfig, parseAgentConfig } from "./config.ts";
import { hostVethName } from "./interface-name.ts";
import type { Logger } from "./log.ts";
import type { PodInterfaceRequest } from "./pod-network.ts";

const TOPOLOGY = `
name: agent
provider: netns
network: { underlay: auto, pods: 10.244.0.0/16, nodeMaskSize: 24, services: 10.96.0.0/16, tunnel: vxlan, mtu: 1500 }
topology:
  nodes:
    n1: { role: control-plane }
    n2: { role: worker }
  external:
    ext: {}
`;

// A TCP server that answers each connection with "<name> <client address>\n" and then as many bytes as asked for.
const SERVER_JS = `
const name = process.argv[1];
require("net").createServer((s) => {
  let buf = "";
  s.on("data", (d) => {
    buf += d;
    const i = buf.indexOf("\\n");
    if (i < 0) return;
    s.write(name + " " + s.remoteAddress + "\\n");
    s.end(Buffer.alloc(Number(buf.slice(0, i)), 120));
  });
  s.on("error", () => {});
}).listen(9090, "0.0.0.0", () => console.log("listening"));
`;
// Its client: prints "<first line>|<bytes after it>", or TIMEOUT / ERROR <code>.
const CLIENT_JS = `
const [host, port, size] = process.argv.slice(1);
const s = require("net").connect(Number(port), host, () => s.write(size + "\\n"));
let data = Buffer.alloc(0);
s.setTimeout(4000, () => { console.log("TIMEOUT"); process.exit(1); });
s.on("data", (d) => { data = Buffer.concat([data, d]); });
s.on("end", () => { const i = data.indexOf(10); console.log(data.subarray(0, i).toString() + "|" + (data.length - i - 1)); });
s.on("error", (e) => { console.log("ERROR " + e.code); process.exit(1); });
`;

interface Pod {
  req: PodInterfaceRequest;
  netns: string;
  ip: string;
  node: "n1" | "n2";
}

const lab = uniqueLabName();
let tmp: string;
let status: LabStatus;
let cluster: TestCluster | undefined;
let core: CoreV1Api;
const agents: Partial<Record<"n1" | "n2", Agent>> = {};
const configs: Partial<Record<"n1" | "n2", AgentConfig>> = {};
const logs: string[] = [];
const sandboxes: string[] = [];
const servers: RunningProcess[] = [];
const pods: Pod[] = [];

const host = (name: string) => {
  const h = status.hosts.find((x) => x.name === name);
  if (!h) throw new Error(`no host ${name} in lab ${lab}`);
  return h;
};
const nodeNetns = (node: string) => `ol-${lab}-${node}`;
const ovsOf = (node: string) => new OvsTools(join(status.stateDir!, "hosts", node));

function logger(node: string): Logger {
  const line = (level: string) => (m: string) => {
    logs.push(`${level} [${node}] ${m}`);
    if (process.env.AGENT_TEST_LOG) console.log(`${level} [${node}] ${m}`);
  };
  return { info: line("I"), warn: line("W"), error: line("E") };
}

async function start(node: "n1" | "n2"): Promise<Agent> {
  const agent = await startAgent(configs[node]!, { log: logger(node) });
  agents[node] = agent;
  return agent;
}

async function addPod(node: "n1" | "n2", n: number): Promise<Pod> {
  const netns = `ol-${lab}-${node}-x${n}`;
  sandboxes.push(netns);
  await run(["ip", "netns", "add", netns]);
  await run(["ip", "-n", netns, "link", "set", "lo", "up"]);
  const cidr = host(node).podCIDR!;
  const ip = cidr.replace(/\.0\/24$/, `.${10 + n}`);
  const req: PodInterfaceRequest = {
    podName: `client-${node}-${n}`,
    podNamespace: "default",
    containerId: `${lab}${node}${n}`.padEnd(64, "0"),
    netnsPath: `/run/netns/${netns}`,
    ifName: "eth0",
    ip: `${ip}/24`,
    gateway: cidr.replace(/\.0\/24$/, ".1"),
    mtu: 1450,
  };
  await agents[node]!.podNetwork.add(req);
  const pod = { req, netns, ip, node };
  pods.push(pod);
  return pod;
}

const inNetns = (netns: string, argv: string[]): Promise<RunResult> =>
  run(argv, { netns, allowFailure: true, timeoutMs: 15_000 });

async function ping(from: string, to: string): Promise<string> {
  const r = await inNetns(from, ["ping", "-c", "2", "-i", "0.2", "-W", "2", to]);
  return r.code === 0 && !r.stdout.includes("DUP!") ? "ok" : `failed: ${r.stdout.trim().split("\n").at(-2)}`;
}

async function tcp(from: string, to: string, port: number, size = 0): Promise<string> {
  return (
    await inNetns(from, [process.execPath, "-e", CLIENT_JS, to, String(port), String(size)])
  ).stdout.trim();
}

async function serve(netns: string, name: string): Promise<void> {
  const server = startProcess(["ip", "netns", "exec", netns, process.execPath, "-e", SERVER_JS, name]);
  servers.push(server);
  await server.waitFor("listening");
}

async function dumpFlows(node: string, ...args: string[]): Promise<string> {
  return (await ovsOf(node).ofctl("dump-flows", "br-int", ["--names", "--no-stats", ...args])).stdout;
}

async function flowCount(node: string): Promise<number> {
  const out = (await ovsOf(node).ofctl("dump-aggregate", "br-int", [], { allowFailure: true })).stdout;
  return Number(/flow_count=(\d+)/.exec(out)?.[1] ?? -1);
}

async function eventually<T>(
  what: string,
  fn: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(v)}`);
    await sleep(100);
  }
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "agent-test-"));
  const topo = join(tmp, "topology.yaml");
  await writeFile(topo, TOPOLOGY);
  // --stack none: the lab runs no agents of its own; this test starts its agents in-process.
  const up = await runCli(["up", "-t", topo, "--name", lab, "--stack", "none"]);
  if (up.code !== 0) throw new Error(`ovslab up failed: ${up.stderr}`);
  status = JSON.parse((await runCli(["status", "--name", lab, "-o", "json"])).stdout) as LabStatus;

  cluster = await startTestCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  for (const node of ["n1", "n2"] as const) {
    const h = host(node);
    await core.createNode({
      body: { metadata: { name: node }, spec: { podCIDR: h.podCIDR, podCIDRs: [h.podCIDR!] } },
    });
    const created = await core.readNode({ name: node });
    await core.replaceNodeStatus({
      name: node,
      body: { ...created, status: { addresses: [{ type: "InternalIP", address: h.address }] } },
    });
    configs[node] = parseAgentConfig({
      nodeName: node,
      kubeconfig: cluster.kubeconfigPath,
      ovsRundir: join(status.stateDir!, "hosts", node),
      nodeNetns: nodeNetns(node),
      cniSocket: join(tmp, node, "cni.sock"),
      cniConfDir: join(tmp, node, "net.d"),
    });
  }
  await Promise.all([start("n1"), start("n2")]);
  await addPod("n1", 1);
  await addPod("n1", 2);
  await addPod("n2", 3);
  // TCP servers in two Pods (the Service's Endpoints) and on the external host
  await Promise.all([
    serve(pods[1]!.netns, "p2"),
    serve(pods[2]!.netns, "p3"),
    serve(`ol-${lab}-ext`, "ext"),
  ]);
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  for (const a of Object.values(agents)) await a?.stop();
  for (const ns of sandboxes) await run(["ip", "netns", "delete", ns], { allowFailure: true });
  await cluster?.close();
  await rm(tmp, { recursive: true, force: true });
  await runCli(["down", "--name", lab]);
  expect(describeLeftovers(await findLeftovers(lab))).toBe("");
}, 60_000);

describe("reference agent datapath", () => {
  it("builds br-int with Antrea's pipeline, gateway and tunnel, and installs the conflist once ready", async () => {
    const n1 = ovsOf("n1");
    const br = await n1.vsctl(["get", "bridge", "br-int", "datapath_type", "fail_mode"]);
    expect(br.stdout.split("\n").map((l) => l.trim())).toEqual(["netdev", "secure", ""]);
    expect((await n1.vsctl(["get", "interface", "antrea-tun0", "type", "ofport", "options"])).stdout).toMatch(
      /^vxlan\n32768\n\{key=flow, remote_ip=flow\}/,
    );
    expect((await n1.vsctl(["get", "interface", "antrea-gw0", "type", "ofport", "mtu"])).stdout).toBe(
      "internal\n32769\n1450\n",
    );
    const gw = await inNetns(nodeNetns("n1"), ["ip", "-j", "address", "show", "dev", "antrea-gw0"]);
    expect(gw.stdout).toContain(`"local":"${agents.n1!.node.gatewayIP}"`);

    const flows = await dumpFlows("n1");
    const tables = [...new Set([...flows.matchAll(/table=(\w+)/g)].map((m) => m[1]))];
    expect(tables).toEqual(agents.n1!.node.pipeline.tables.map((t) => t.name));
    expect(tables).toHaveLength(29);
    expect(await dumpFlows("n1", "table=28")).toContain(
      "table=Output, priority=200,reg0=0x200000/0x600000 actions=output:NXM_NX_REG1[]",
    );
    // a peer: tunnel route, ARP responder for its gateway, host route
    const n2 = host("n2");
    const peerGw = n2.podCIDR!.replace(/\.0\/24$/, ".1");
    expect(flows).toContain(
      `table=L3Forwarding, priority=200,ip,nw_dst=${n2.podCIDR} actions=set_field:${agents.n1!.node.gatewayMAC}->eth_src,set_field:aa:bb:cc:dd:ee:ff->eth_dst,set_field:${n2.address}->tun_dst,set_field:0x10/0xf0->reg0,goto_table:L3DecTTL`,
    );
    expect(flows).toContain(`table=ARPResponder, priority=200,arp,arp_tpa=${peerGw},arp_op=1 actions=`);
    const routes = await inNetns(nodeNetns("n1"), ["ip", "route", "show", n2.podCIDR!]);
    expect(routes.stdout.trim()).toBe(`${n2.podCIDR} via ${peerGw} dev antrea-gw0 onlink`);
    const neigh = await n1.appctl("ovs-vswitchd", ["tnl/neigh/show"]);
    expect(neigh.stdout).toContain(n2.address);

    const nat = await inNetns(nodeNetns("n1"), ["iptables-save", "-t", "nat"]);
    expect(nat.stdout).toContain(
      '-A POSTROUTING -m comment --comment "Antrea: jump to Antrea postrouting rules" -j ANTREA-POSTROUTING',
    );
    expect(nat.stdout).toContain(
      `-A ANTREA-POSTROUTING -s ${host("n1").podCIDR} -o br-phy -m comment --comment "Antrea: masquerade Pod to external packets" -j MASQUERADE`,
    );
    expect(logs.some((l) => l.includes("[n1] network ready") && l.includes("10-antrea.conflist"))).toBe(true);
  });

  it("wires Pods: Antrea's veth name, tx offload off, OVS port with external_ids, per-Pod flows", async () => {
    const pod = pods[0]!;
    const hostIf = hostVethName(pod.req.podName, pod.req.containerId);
    const ovs = ovsOf("n1");
    const ids = (await ovs.vsctl(["get", "port", hostIf, "external_ids"])).stdout;
    const mac = /attached-mac="([0-9a-f:]+)"/.exec(ids)?.[1];
    expect(ids.trim()).toBe(
      `{antrea-type=container, attached-mac="${mac}", container-id=${pod.req.containerId}, if-dev=eth0, ` +
        `ip-address="${pod.ip}", pod-name=client-n1-1, pod-namespace=default}`,
    );
    const ofport = (await ovs.vsctl(["get", "interface", hostIf, "ofport"])).stdout.trim();

    const flows = await dumpFlows("n1");
    expect(flows).toContain(
      `table=Classifier, priority=190,in_port="${hostIf}" actions=set_field:0x3/0xf->reg0,set_field:0x10000000/0x10000000->reg4,goto_table:SpoofGuard`,
    );
    expect(flows).toContain(
      `table=SpoofGuard, priority=200,ip,in_port="${hostIf}",dl_src=${mac},nw_src=${pod.ip} actions=goto_table:UnSNAT`,
    );
    expect(flows).toContain(
      `table=ARPSpoofGuard, priority=200,arp,in_port="${hostIf}",arp_spa=${pod.ip},arp_sha=${mac} actions=goto_table:ARPResponder`,
    );
    expect(flows).toContain(`table=L3Forwarding, priority=200,ip,reg0=0x200/0x200,nw_dst=${pod.ip} actions=`);
    expect(flows).toContain(
      `table=L2ForwardingCalc, priority=200,dl_dst=${mac} actions=set_field:0x${Number(ofport).toString(16)}->reg1,set_field:0x200000/0x600000->reg0,goto_table:IngressSecurityClassifier`,
    );
    const podSide = await inNetns(pod.netns, ["ethtool", "-k", "eth0"]);
    expect(podSide.stdout).toMatch(/tx-checksumming: off/);
    const hostSide = await inNetns(nodeNetns("n1"), ["ethtool", "-k", hostIf]);
    expect(hostSide.stdout).toMatch(/tx-checksumming: off/);
    // the three gratuitous ARPs went through the Pod's ARPSpoofGuard flow
    const garp = await eventually(
      "3 gratuitous ARPs",
      () => ovs.ofctl("dump-flows", "br-int", [`table=1,arp,in_port=${ofport}`]).then((r) => r.stdout),
      (out) => Number(/n_packets=(\d+)/.exec(out)?.[1] ?? 0) >= 3,
    );
    expect(garp).toMatch(/n_packets=\d+/);
    await agents.n1!.podNetwork.check(pod.req);
  });

  it("carries ping between Pods, to the gateway, across the tunnel and out to the external host", async () => {
    const [p1, p2, p3] = pods as [Pod, Pod, Pod];
    const results = {
      "pod->gateway": await ping(p1.netns, p1.req.gateway),
      "pod->pod same node": await ping(p1.netns, p2.ip),
      "pod->pod across nodes": await ping(p1.netns, p3.ip),
      "pod->pod across nodes (reverse)": await ping(p3.netns, p2.ip),
      "pod->peer gateway": await ping(p1.netns, p3.req.gateway),
      "pod->peer node": await ping(p1.netns, host("n2").address),
      "pod->external host": await ping(p1.netns, host("ext").address),
      "node->remote pod": await ping(nodeNetns("n1"), p3.ip),
    };
    expect(results).toEqual(Object.fromEntries(Object.keys(results).map((k) => [k, "ok"])));
  });

  it("carries TCP across nodes (1 MB at MTU 1450) and masquerades Pod traffic to the outside", async () => {
    const [p1, , p3] = pods as [Pod, Pod, Pod];
    expect(await tcp(p1.netns, p3.ip, 9090, 1_000_000)).toBe(`p3 ${p1.ip}|1000000`);
    expect(await tcp(p1.netns, host("ext").address, 9090)).toBe(`ext ${host("n1").address}|0`);
  });

  it("load-balances a ClusterIP Service over its Endpoints on both nodes (AntreaProxy)", async () => {
    const [p1, p2, p3] = pods as [Pod, Pod, Pod];
    const kc = new KubeConfig();
    kc.loadFromFile(cluster!.kubeconfigPath);
    const svc = await core.createNamespacedService({
      namespace: "default",
      body: {
        metadata: { name: "web" },
        spec: { ports: [{ name: "http", port: 80, targetPort: 9090, protocol: "TCP" }] },
      },
    });
    const vip = svc.spec!.clusterIP!;
    await kc.makeApiClient(DiscoveryV1Api).createNamespacedEndpointSlice({
      namespace: "default",
      body: {
        metadata: { name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
        addressType: "IPv4",
        ports: [{ name: "http", port: 9090, protocol: "TCP" }],
        endpoints: [
          { addresses: [p2.ip], conditions: { ready: true } },
          { addresses: [p3.ip], conditions: { ready: true } },
        ],
      },
    });
    const lb = await eventually(
      "ServiceLB and EndpointDNAT flows",
      () => dumpFlows("n1"),
      (f) =>
        f.includes(`nw_dst=${vip},tp_dst=80`) &&
        f.includes(`nat(dst=${p2.ip}:9090)`) &&
        f.includes(`nat(dst=${p3.ip}:9090)`),
    );
    expect(lb).toMatch(
      new RegExp(
        `table=ServiceLB, priority=200,tcp,reg4=0x10000/0x70000,nw_dst=${vip},tp_dst=80 actions=.*group:\\d+`,
      ),
    );

    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < 2; i++) {
      const reply = await tcp(p1.netns, vip, 80, 100_000);
      expect([`p2 ${p1.ip}|100000`, `p3 ${p1.ip}|100000`]).toContain(reply);
      seen.add(reply.split(" ")[0]!);
    }
    expect([...seen].sort()).toEqual(["p2", "p3"]);
    // An Endpoint reaching its own Service: when it picks itself (hairpin), the source is SNATed to the gateway.
    let hairpin = "";
    for (let i = 0; i < 20 && !hairpin; i++) {
      const reply = await tcp(p2.netns, vip, 80);
      expect([`p2 ${p2.req.gateway}|0`, `p3 ${p2.ip}|0`]).toContain(reply);
      if (reply.startsWith("p2")) hairpin = reply;
    }
    expect(hairpin).toBe(`p2 ${p2.req.gateway}|0`);
  });

  it("reinstalls its flows when they are deleted and when ovs-vswitchd restarts", async () => {
    const [p1, , p3] = pods as [Pod, Pod, Pod];
    const want1 = agents.n1!.flows.state.flowCount;
    await ovsOf("n1").ofctl("del-flows", "br-int");
    await eventually(
      "flows back on n1",
      () => flowCount("n1"),
      (n) => n === want1,
    );

    const n2 = ovsOf("n2");
    const want2 = agents.n2!.flows.state.flowCount;
    // The lab's restart fault stops ovs-vswitchd by pid, waits until it is gone, and starts it again.
    await new NetnsProvider().fault(lab, { type: "restart", node: "n2", process: "ovs-vswitchd" });
    await eventually(
      "flows back on n2",
      () => flowCount("n2"),
      (n) => n === want2,
    );
    expect(logs.some((l) => l.startsWith("W [n2]") && l.includes("lost flows"))).toBe(true);
    expect((await n2.ofctl("dump-groups", "br-int")).stdout).toMatch(/group_id=\d+,type=select/);
    expect(await ping(p1.netns, p3.ip)).toBe("ok");
    expect(await tcp(p1.netns, p3.ip, 9090, 100_000)).toBe(`p3 ${p1.ip}|100000`);
  });

  it("restores its Pods from OVSDB after an agent restart, without CNI calls", async () => {
    const [p1, p2] = pods as [Pod, Pod];
    const before = (await dumpFlows("n1")).split("\n").sort();
    await agents.n1!.stop();
    await start("n1");
    expect(logs.some((l) => l.includes("[n1] installed") && l.includes("(2 Pods restored from OVSDB)"))).toBe(
      true,
    );
    expect((await dumpFlows("n1")).split("\n").sort()).toEqual(before);
    expect(await ping(p1.netns, p2.ip)).toBe("ok");
    await agents.n1!.podNetwork.check(p1.req);
  });

  it("reports an AntreaAgentInfo for each Node", async () => {
    const info = await cluster!.kubectl(["get", "antreaagentinfos", "n1", "-o", "json"]);
    expect(info.code).toBe(0);
    const obj = JSON.parse(info.stdout) as {
      nodeSubnets: string[];
      localPodNum: number;
      ovsInfo: { bridgeName: string };
    };
    expect(obj).toMatchObject({
      nodeSubnets: [host("n1").podCIDR],
      localPodNum: 2,
      ovsInfo: { bridgeName: "br-int" },
    });
  });

  it("removes a Pod idempotently: veth, OVS port and flows go; check then fails", async () => {
    const [p1, p2] = pods as [Pod, Pod];
    const hostIf = hostVethName(p1.req.podName, p1.req.containerId);
    const net = agents.n1!.podNetwork;
    await net.del({ containerId: p1.req.containerId, netnsPath: p1.req.netnsPath, ifName: "eth0" });
    await net.del({ containerId: p1.req.containerId, netnsPath: p1.req.netnsPath, ifName: "eth0" });
    expect((await inNetns(nodeNetns("n1"), ["ip", "link", "show", hostIf])).code).not.toBe(0);
    expect((await inNetns(p1.netns, ["ip", "link", "show", "eth0"])).code).not.toBe(0);
    expect((await ovsOf("n1").vsctl(["list-ports", "br-int"])).stdout).not.toContain(hostIf);
    const flows = await dumpFlows("n1");
    expect(flows).not.toContain(`nw_src=${p1.ip}`);
    expect(flows).not.toContain(`nw_dst=${p1.ip} `);
    const raw = await inNetns(nodeNetns("n1"), ["iptables-save", "-t", "raw"]);
    expect(raw.stdout).not.toContain(hostIf);
    expect(raw.stdout).toContain(
      `-A OVSLAB-AF-PACKET -i ${hostVethName(p2.req.podName, p2.req.containerId)} -j DROP`,
    );
    await expect(net.check(p1.req)).rejects.toThrow(/no interface for container/);
    await net.check(p2.req);
  });
});
