// Issue-level checks of the reference datapath on the default lab with real packets: SpoofGuard drops forged
// sources, an agent restart keeps an open TCP connection, a restarted ovs-vswitchd gets its flows back from the
// agent, and antctl shows per-peer tunnel flows.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../images/common/exec.ts";
import type { LabStatus } from "../provider.ts";
import { runCli, uniqueLabName } from "../testing/lab-fixture.ts";
import { loadTopology } from "../topology/load.ts";
import { describeLeftovers, findLeftovers } from "./leaks.ts";
import { NetnsProvider } from "./provider.ts";

const provider = new NetnsProvider();
const lab = uniqueLabName();
let status: LabStatus;
const pods: Record<string, { ip: string; node: string }> = {};

const kubectl = (args: string[], input?: string) =>
  run(["kubectl", "--kubeconfig", status.kubeconfig ?? "", ...args], {
    allowFailure: true,
    timeoutMs: 90_000,
    ...(input !== undefined ? { input } : {}),
  });
const inPod = (name: string, argv: string[], timeoutMs = 20_000) =>
  provider.exec(lab, { kind: "pod", namespace: "default", name }, argv, { timeoutMs });
const onNode = (node: string, argv: string[]) => provider.exec(lab, { kind: "node", name: node }, argv);

function pod(name: string, node: string): string {
  return `apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeSelector: { ovslab.dev/topology-node: ${node} }
  containers:
  - name: agnhost
    image: registry.k8s.io/e2e-test-images/agnhost:2.52
    args: [netexec, --http-port=8080]
    readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
`;
}

async function reachable(from: string, ip: string, timeoutMs: number): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const res = await inPod(from, ["curl", "-s", "-m", "1", `http://${ip}:8080/hostname`]);
    if (res.code === 0) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs)
      throw new Error(`${ip} not reachable from ${from} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

beforeAll(async () => {
  const { spec } = await loadTopology(new URL("../topologies/default.yaml", import.meta.url).pathname);
  status = await provider.up(spec, { name: lab });
  const apply = await kubectl(["apply", "-f", "-"], pod("server", "worker") + pod("client", "worker2"));
  expect(apply.code, apply.stderr).toBe(0);
  const wait = await kubectl(["wait", "--for=condition=Ready", "pod", "server", "client", "--timeout=90s"]);
  expect(wait.code, wait.stderr).toBe(0);
  for (const name of ["server", "client"]) {
    const res = await kubectl(["get", "pod", name, "-o", "jsonpath={.status.podIP} {.spec.nodeName}"]);
    const [ip = "", node = ""] = res.stdout.split(" ");
    pods[name] = { ip, node };
  }
}, 180_000);

afterAll(async () => {
  await provider.down(lab);
  expect(describeLeftovers(await findLeftovers(lab))).toBe("");
});

describe("reference datapath on the default lab", () => {
  it("antctl on a worker shows a tunnel flow per peer podCIDR, and the Pod's own flows with -p", async () => {
    const res = await runCli([
      "antctl",
      "--name",
      lab,
      "--node",
      "worker",
      "--",
      "get",
      "ovsflows",
      "-T",
      "L3Forwarding",
    ]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout.split("\n")[0]).toBe("");
    for (const peer of status.hosts.filter((h) => h.podCIDR && h.name !== "worker")) {
      expect(res.stdout).toContain(`nw_dst=${peer.podCIDR} actions=`);
      expect(res.stdout).toContain(`set_field:${peer.address}->tun_dst`);
    }
    const own = await runCli([
      "antctl",
      "--name",
      lab,
      "--node",
      "worker",
      "--",
      "get",
      "ovsflows",
      "-p",
      "server",
      "-n",
      "default",
    ]);
    expect(own.code, own.stderr).toBe(0);
    for (const table of ["Classifier", "SpoofGuard", "L3Forwarding", "L2ForwardingCalc"]) {
      expect(own.stdout).toContain(`table=${table}`);
    }
    const pi = await runCli(["antctl", "--name", lab, "--node", "worker", "--", "get", "podinterface"]);
    expect(pi.stdout).toMatch(
      /^NAMESPACE\s+NAME\s+INTERFACE-NAME\s+IP\s+MAC\s+PORT-UUID\s+OF-PORT\s+CONTAINER-ID/,
    );
    expect(pi.stdout).toContain(pods.server?.ip ?? "?");
  }, 180_000);

  it("SpoofGuard: a forged source address gets nothing through and the drop counter rises", async () => {
    const dropCount = async () => {
      const res = await onNode("worker2", [
        "ovs-ofctl",
        "-O",
        "OpenFlow15",
        "dump-flows",
        "br-int",
        "--names",
        "table=SpoofGuard",
      ]);
      const miss = res.stdout.split("\n").find((l) => / priority=0 /.test(l));
      if (!miss) throw new Error(`no SpoofGuard miss flow on worker2:\n${res.stdout}${res.stderr}`);
      return Number(/n_packets=(\d+)/.exec(miss)?.[1]);
    };
    const before = await dropCount();
    // a second address on the client's eth0 that the agent never allowed
    const forged = "10.244.2.200";
    expect((await inPod("client", ["ip", "addr", "add", `${forged}/32`, "dev", "eth0"])).code).toBe(0);
    const ping = await inPod("client", ["ping", "-c", "3", "-W", "1", "-I", forged, pods.server?.ip ?? ""]);
    expect(ping.stdout).toContain("0 received");
    expect(await dropCount()).toBeGreaterThan(before);
    // the Pod's real address still works
    expect((await inPod("client", ["ping", "-c", "1", "-W", "2", pods.server?.ip ?? ""])).code).toBe(0);
    await inPod("client", ["ip", "addr", "del", `${forged}/32`, "dev", "eth0"]);
  });

  it("restarting the server's agent keeps an open TCP connection alive", async () => {
    const server = pods.server?.ip ?? "";
    // an echo server on 9000 inside the server Pod, and a client that sends before and after the restart
    await inPod("server", [
      "sh",
      "-c",
      "setsid socat TCP-LISTEN:9000,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &",
    ]);
    await sleep(300);
    const conversation = inPod(
      "client",
      ["sh", "-c", `(echo before; sleep 6; echo after; sleep 1) | socat -t 3 - TCP:${server}:9000`],
      30_000,
    );
    await sleep(1500);
    await provider.fault(lab, { type: "restart", node: "worker", process: "agent" });
    const res = await conversation;
    expect(res.stdout.split("\n").filter(Boolean)).toEqual(["before", "after"]);
  });

  it("a restarted ovs-vswitchd gets its flows back from the agent and traffic flows again", async () => {
    const flowCount = async () =>
      (await onNode("worker", ["ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "br-int"])).stdout
        .split("\n")
        .filter((l) => l.includes("table=")).length;
    const before = await flowCount();
    expect(before).toBeGreaterThan(20);
    await provider.fault(lab, { type: "restart", node: "worker", process: "ovs-vswitchd" });
    const ms = await reachable("client", pods.server?.ip ?? "", 15_000);
    expect(await flowCount()).toBe(before);
    console.log(`traffic back ${ms} ms after ovs-vswitchd restarted`);
  });
});
