// The CNI protocol end to end, as root: the real antrea plugin executable talks to the CNI server over a unix
// socket, the server runs Debian's real host-local and wires Pods with a veth PodNetwork into network namespaces
// this test creates (ol-tcni<random>-*). Where a real interface adds nothing (failures, readiness, ordering), a
// recording PodNetwork stands in. Nothing is created outside those namespaces and the temp dir.
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { output, run } from "../../common/exec.ts";
import { CniErrorCode } from "./errors.ts";
import { type CniServer, type CniServerOptions, startCniServer } from "./server.ts";
import { RecordingPodNetwork, VethPodNetwork } from "./test-pod-network.ts";
import { SUPPORTED_CNI_VERSIONS } from "./versions.ts";

const PLUGIN = fileURLToPath(new URL("../../cni/bin/antrea", import.meta.url));
const PREFIX = `ol-tcni${randomBytes(3).toString("hex")}-`;
const NODE = `${PREFIX}node`;
const SUBNET = "10.252.7.";
const GATEWAY = `${SUBNET}1`;
const NETWORK = "antrea";

let tmp: string;
let dataDir: string;
const servers: CniServer[] = [];
const pods: string[] = [];
let vethNetwork: VethPodNetwork;
let socket: string;

interface PluginRun {
  code: number;
  stdout: string;
  /** stdout parsed, or undefined when empty. */
  json: Record<string, unknown> | undefined;
}

interface PluginCall {
  containerId?: string;
  netns?: string;
  ifName?: string;
  pod?: string;
  stdin?: string;
  socket?: string;
}

/** Runs the real plugin like a runtime does: CNI_* in the environment, the configuration on stdin. */
async function plugin(command: string, call: PluginCall = {}): Promise<PluginRun> {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    CNI_COMMAND: command,
    CNI_PATH: "/usr/lib/cni",
    ANTREA_CNI_SOCKET: call.socket ?? socket,
    CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=${call.pod ?? "web"};K8S_POD_UID=u1`,
  };
  if (call.containerId !== undefined) env.CNI_CONTAINERID = call.containerId;
  if (call.netns !== undefined) env.CNI_NETNS = call.netns;
  env.CNI_IFNAME = call.ifName ?? "eth0";
  const r = await run([PLUGIN], { env, input: call.stdin ?? "", allowFailure: true, timeoutMs: 20_000 });
  return { code: r.code, stdout: r.stdout, json: r.stdout.trim() ? JSON.parse(r.stdout) : undefined };
}

function netconf(cniVersion: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    cniVersion,
    name: NETWORK,
    type: "antrea",
    mtu: 1400,
    ipam: { type: "host-local", ranges: [[{ subnet: `${SUBNET}0/24`, gateway: GATEWAY }]], dataDir },
    ...extra,
  });
}

async function addPodNetns(name: string): Promise<string> {
  const ns = `${PREFIX}${name}`;
  await run(["ip", "netns", "add", ns]);
  pods.push(ns);
  return `/var/run/netns/${ns}`;
}

async function startServer(opts: Partial<CniServerOptions> & Pick<CniServerOptions, "podNetwork">) {
  const socketPath = join(tmp, `run-${servers.length}`, "cni.sock");
  servers.push(await startCniServer({ socketPath, ...opts }));
  return socketPath;
}

/** host-local's allocations: address -> container id (its files besides lock and last_reserved_ip). */
async function allocations(): Promise<Map<string, string>> {
  const dir = join(dataDir, NETWORK);
  const files = await readdir(dir).catch(() => []);
  const out = new Map<string, string>();
  for (const f of files.filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f))) {
    out.set(f, (await readFile(join(dir, f), "utf8")).split(/\s/)[0] ?? "");
  }
  return out;
}

/** Sends raw text to the server the way the plugin does and returns its answer. */
function rawRequest(path: string, text: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const s = connect(path);
    const chunks: Buffer[] = [];
    s.on("connect", () => s.end(text));
    s.on("data", (c: Buffer) => chunks.push(c));
    s.on("end", () => resolve(JSON.parse(Buffer.concat(chunks).toString("utf8"))));
    s.on("error", reject);
  });
}

async function testNamespaces(): Promise<string[]> {
  return (await output(["ip", "netns", "list"]))
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(PREFIX));
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "ol-tcni-"));
  dataDir = join(tmp, "ipam");
  await run(["ip", "netns", "add", NODE]);
  vethNetwork = new VethPodNetwork(NODE);
  socket = await startServer({ podNetwork: vethNetwork });
});

afterAll(async () => {
  for (const s of servers.splice(0)) await s.close();
  for (const ns of [...pods, NODE]) await run(["ip", "netns", "delete", ns], { allowFailure: true });
  if (tmp) await rm(tmp, { recursive: true, force: true });
  expect(await testNamespaces()).toEqual([]);
});

describe("antrea plugin with the CNI server, host-local and veth Pod interfaces", () => {
  it("answers VERSION itself, without the agent", async () => {
    const r = await plugin("VERSION", { socket: join(tmp, "nobody-listens.sock") });
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cniVersion: "1.1.0", supportedVersions: [...SUPPORTED_CNI_VERSIONS] });
  });

  it("the server's socket is root's only", async () => {
    const st = await stat(socket);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it("ADD (1.0.0): host veth and eth0 in the sandbox, an address from the Pod CIDR with the gateway", async () => {
    const netns = await addPodNetns("pod10");
    const r = await plugin("ADD", { containerId: "c10", netns, stdin: netconf("1.0.0") });
    expect(r.code).toBe(0);
    const host = vethNetwork.hostIfName("c10", "eth0");
    expect(r.json).toEqual({
      cniVersion: "1.0.0",
      interfaces: [
        { name: host, mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/) },
        { name: "eth0", mac: expect.stringMatching(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/), sandbox: netns },
      ],
      ips: [{ address: expect.stringMatching(/^10\.252\.7\.\d+\/24$/), gateway: GATEWAY, interface: 1 }],
      routes: [{ dst: "0.0.0.0/0", gw: GATEWAY }],
      dns: {},
    });
    const result = r.json as { ips: { address: string }[]; interfaces: { mac: string }[] };
    const address = result.ips[0]?.address ?? "";
    const ip = address.split("/")[0] ?? "";
    expect(ip).not.toBe(GATEWAY);
    expect(await output(["ip", "-n", `${PREFIX}pod10`, "-o", "addr", "show", "dev", "eth0"])).toContain(
      ` ${address} `,
    );
    expect(await output(["ip", "-n", `${PREFIX}pod10`, "route", "show", "default"])).toContain(
      `via ${GATEWAY} dev eth0`,
    );
    expect(await output(["ip", "-n", `${PREFIX}pod10`, "link", "show", "eth0"])).toContain("mtu 1400");
    expect(await output(["ip", "-n", NODE, "link", "show", host])).toContain(result.interfaces[0]?.mac);
    expect((await allocations()).get(ip)).toBe("c10");
  });

  it.each([
    ["0.4.0", "pod04"],
    ["0.3.1", "pod031"],
  ])("ADD (%s): the result has the 0.3/0.4 shape, each IP with its version", async (version, name) => {
    const netns = await addPodNetns(name);
    const r = await plugin("ADD", { containerId: `c-${name}`, netns, stdin: netconf(version) });
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({
      cniVersion: version,
      interfaces: [{ name: vethNetwork.hostIfName(`c-${name}`, "eth0") }, { name: "eth0", sandbox: netns }],
      ips: [
        {
          version: "4",
          address: expect.stringMatching(/^10\.252\.7\.\d+\/24$/),
          gateway: GATEWAY,
          interface: 1,
        },
      ],
      routes: [{ dst: "0.0.0.0/0", gw: GATEWAY }],
    });
  });

  it("ADD (0.2.0): the legacy ip4 shape", async () => {
    const netns = await addPodNetns("pod02");
    const r = await plugin("ADD", { containerId: "c02", netns, stdin: netconf("0.2.0") });
    expect(r.code).toBe(0);
    expect(r.json).toEqual({
      cniVersion: "0.2.0",
      ip4: {
        ip: expect.stringMatching(/^10\.252\.7\.\d+\/24$/),
        gateway: GATEWAY,
        routes: [{ dst: "0.0.0.0/0", gw: GATEWAY }],
      },
      dns: {},
    });
  });

  it("a repeated ADD answers the first result without allocating again", async () => {
    const before = await allocations();
    const first = await plugin("ADD", {
      containerId: "c10",
      netns: "/var/run/netns/x",
      stdin: netconf("1.0.0"),
    });
    expect(first.code).toBe(0);
    expect((first.json as { interfaces: { sandbox?: string }[] }).interfaces[1]?.sandbox).toBe(
      `/var/run/netns/${PREFIX}pod10`,
    );
    expect(await allocations()).toEqual(before);
  });

  it("CHECK passes for an intact Pod and fails with 103 once its address is gone", async () => {
    const netns = `/var/run/netns/${PREFIX}pod10`;
    const ok = await plugin("CHECK", { containerId: "c10", netns, stdin: netconf("1.0.0") });
    expect(ok).toMatchObject({ code: 0, stdout: "" });
    await run(["ip", "-n", `${PREFIX}pod10`, "addr", "flush", "dev", "eth0"]);
    const bad = await plugin("CHECK", { containerId: "c10", netns, stdin: netconf("1.0.0") });
    expect(bad.code).toBe(1);
    expect(bad.json).toMatchObject({ cniVersion: "1.0.0", code: CniErrorCode.CHECK_INTERFACE_FAILURE });
    expect(String(bad.json?.msg)).toContain("does not hold");
  });

  it("CHECK is refused for configurations older than 0.4.0, and fails for a container never added", async () => {
    const netns = `/var/run/netns/${PREFIX}pod031`;
    const old = await plugin("CHECK", { containerId: "c-pod031", netns, stdin: netconf("0.3.1") });
    expect(old.json).toMatchObject({ code: CniErrorCode.INCOMPATIBLE_CNI_VERSION });
    const unknown = await plugin("CHECK", { containerId: "never", netns, stdin: netconf("1.0.0") });
    expect(unknown).toMatchObject({ code: 1, json: { code: CniErrorCode.IPAM_FAILURE } });
  });

  it("DEL removes the interfaces and releases the address; DEL again and DEL of an unknown container succeed", async () => {
    const host = vethNetwork.hostIfName("c10", "eth0");
    const [ip] = [...(await allocations())].find(([, id]) => id === "c10") ?? [];
    expect(ip).toBeDefined();
    const netns = `/var/run/netns/${PREFIX}pod10`;
    const del = await plugin("DEL", { containerId: "c10", netns, stdin: netconf("1.0.0") });
    expect(del).toMatchObject({ code: 0, stdout: "" });
    expect((await run(["ip", "-n", NODE, "link", "show", host], { allowFailure: true })).code).not.toBe(0);
    expect(
      (await run(["ip", "-n", `${PREFIX}pod10`, "link", "show", "eth0"], { allowFailure: true })).code,
    ).not.toBe(0);
    expect((await allocations()).has(ip ?? "")).toBe(false);

    expect(await plugin("DEL", { containerId: "c10", netns, stdin: netconf("1.0.0") })).toMatchObject({
      code: 0,
    });
    // A runtime may DEL after the sandbox is gone (no CNI_NETNS), or for something never added.
    expect(await plugin("DEL", { containerId: "c02", stdin: netconf("0.2.0") })).toMatchObject({ code: 0 });
    expect([...(await allocations()).values()]).not.toContain("c02");
    expect(await plugin("DEL", { containerId: "never-added", stdin: netconf("1.0.0") })).toMatchObject({
      code: 0,
      stdout: "",
    });
  });
});

describe("errors: the spec's error result on stdout, exit status 1", () => {
  const netns = "/var/run/netns/unused";

  it.each([
    ["an unsupported cniVersion", netconf("0.9.9"), CniErrorCode.INCOMPATIBLE_CNI_VERSION, "0.9.9"],
    ["a configuration that is not JSON", "{not json", CniErrorCode.DECODING_FAILURE, "1.1.0"],
    [
      "a configuration without name",
      netconf("1.0.0", { name: "" }),
      CniErrorCode.INVALID_NETWORK_CONFIG,
      "1.0.0",
    ],
    [
      "an IPAM other than host-local",
      netconf("1.0.0", { ipam: { type: "dhcp" } }),
      CniErrorCode.UNSUPPORTED_FIELD,
      "1.0.0",
    ],
  ])("ADD with %s", async (_what, stdin, code, cniVersion) => {
    const r = await plugin("ADD", { containerId: "bad", netns, stdin });
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ cniVersion, code, msg: expect.any(String) });
    expect(
      Object.keys(r.json ?? {}).filter((k) => !["cniVersion", "code", "msg", "details"].includes(k)),
    ).toEqual([]);
    expect([...(await allocations()).values()]).not.toContain("bad");
  });

  it("an unknown CNI_COMMAND", async () => {
    const r = await plugin("FROB", { containerId: "bad", netns, stdin: netconf("1.0.0") });
    expect(r).toMatchObject({ code: 1, json: { code: CniErrorCode.INVALID_ENVIRONMENT_VARIABLES } });
    expect(String(r.json?.msg)).toContain("unknown CNI_COMMAND: FROB");
  });

  it("missing CNI_NETNS on ADD, and CNI_ARGS without the Pod", async () => {
    const noNetns = await plugin("ADD", { containerId: "bad", stdin: netconf("1.0.0") });
    expect(noNetns.json).toMatchObject({
      code: CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
      msg: "required env variables [CNI_NETNS] missing",
    });
    const r = await run([PLUGIN], {
      env: {
        PATH: process.env.PATH,
        CNI_COMMAND: "ADD",
        CNI_CONTAINERID: "bad",
        CNI_NETNS: netns,
        CNI_IFNAME: "eth0",
        CNI_PATH: "/usr/lib/cni",
        ANTREA_CNI_SOCKET: socket,
      },
      input: netconf("1.0.0"),
      allowFailure: true,
    });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ code: CniErrorCode.INVALID_ENVIRONMENT_VARIABLES });
  });

  it("agent down: TRY_AGAIN_LATER for ADD and DEL, PLUGIN_NOT_AVAILABLE for STATUS", async () => {
    const down = join(tmp, "no-agent", "cni.sock");
    const add = await plugin("ADD", { containerId: "c", netns, stdin: netconf("1.0.0"), socket: down });
    expect(add).toMatchObject({ code: 1, json: { cniVersion: "1.0.0", code: CniErrorCode.TRY_AGAIN_LATER } });
    expect(String(add.json?.msg)).toContain(`cannot reach the antrea agent at ${down}`);
    const del = await plugin("DEL", { containerId: "c", stdin: netconf("1.0.0"), socket: down });
    expect(del).toMatchObject({ code: 1, json: { code: CniErrorCode.TRY_AGAIN_LATER } });
    const status = await plugin("STATUS", { stdin: netconf("1.1.0"), socket: down });
    expect(status).toMatchObject({ code: 1, json: { code: CniErrorCode.PLUGIN_NOT_AVAILABLE } });
  });

  it("PodNetwork failure: CONFIG_INTERFACE_FAILURE, the interface removed again and the address released", async () => {
    const failing = new RecordingPodNetwork({ failAdd: "ovs-vsctl: no bridge br-int" });
    const path = await startServer({ podNetwork: failing });
    const r = await plugin("ADD", { containerId: "cfail", netns, stdin: netconf("1.0.0"), socket: path });
    expect(r).toMatchObject({ code: 1, json: { code: CniErrorCode.CONFIG_INTERFACE_FAILURE } });
    expect(String(r.json?.msg)).toContain("ovs-vsctl: no bridge br-int");
    expect(failing.calls.map((c) => [c.op, c.containerId])).toEqual([
      ["add", "cfail"],
      ["del", "cfail"],
    ]);
    expect([...(await allocations()).values()]).not.toContain("cfail");
  });

  it("IPAM failure: IPAM_FAILURE, and the Pod's interface is never attempted", async () => {
    const empty = join(tmp, "no-plugins");
    await mkdir(empty);
    const recording = new RecordingPodNetwork();
    const path = await startServer({ podNetwork: recording, ipamPluginDirs: [empty] });
    const r = await plugin("ADD", { containerId: "cipam", netns, stdin: netconf("1.0.0"), socket: path });
    expect(r).toMatchObject({ code: 1, json: { code: CniErrorCode.IPAM_FAILURE } });
    expect(String(r.json?.msg)).toContain(`no executable host-local plugin in ${empty}`);
    // host-local itself failing: a range that is exhausted (a /30 holds one address besides the gateway).
    const fake = new RecordingPodNetwork();
    const fakePath = await startServer({ podNetwork: fake });
    const tiny = (command: string, id: string) =>
      plugin(command, {
        containerId: id,
        netns,
        socket: fakePath,
        stdin: netconf("1.0.0", {
          name: "tiny",
          ipam: { type: "host-local", ranges: [[{ subnet: "10.252.8.0/30" }]], dataDir },
        }),
      });
    expect((await tiny("ADD", "t1")).code).toBe(0);
    const full = await tiny("ADD", "t2");
    expect(full).toMatchObject({ code: 1, json: { code: CniErrorCode.IPAM_FAILURE } });
    expect(String(full.json?.msg)).toMatch(/^host-local ADD failed: .*no IP addresses available/);
    expect(recording.calls).toEqual([]);
    expect(fake.calls.map((c) => c.containerId)).toEqual(["t1"]);
    expect((await tiny("DEL", "t1")).code).toBe(0);
  });

  it("the wire: a request that is not JSON, and a method the server does not know", async () => {
    expect(await rawRequest(socket, "hello")).toMatchObject({
      error: { code: CniErrorCode.DECODING_FAILURE },
    });
    const args = {
      container_id: "c",
      netns: "",
      ifname: "eth0",
      args: "",
      path: "",
      network_configuration: "{}",
    };
    expect(await rawRequest(socket, JSON.stringify({ method: "CmdGC", cni_args: args }))).toMatchObject({
      error: { code: CniErrorCode.INCOMPATIBLE_API_VERSION, message: 'unknown method "CmdGC"' },
    });
  });
});

describe("readiness and ordering", () => {
  it("ADD waits for the agent to be ready, then answers TRY_AGAIN_LATER; STATUS reports readiness", async () => {
    let ready = false;
    const podNetwork = new RecordingPodNetwork();
    const path = await startServer({ podNetwork, readiness: () => ready, readinessTimeoutMs: 400 });
    const call = (command: string, containerId: string, version = "1.0.0") =>
      plugin(command, { containerId, netns: "/var/run/netns/r", stdin: netconf(version), socket: path });

    const notYet = await call("ADD", "r1");
    expect(notYet).toMatchObject({ code: 1, json: { code: CniErrorCode.TRY_AGAIN_LATER } });
    expect(await call("STATUS", "r1", "1.1.0")).toMatchObject({
      code: 1,
      json: { code: CniErrorCode.PLUGIN_NOT_AVAILABLE },
    });
    expect(podNetwork.calls).toEqual([]);

    const waiting = call("ADD", "r2");
    setTimeout(() => {
      ready = true;
    }, 150);
    expect((await waiting).code).toBe(0);
    expect(await call("STATUS", "r2", "1.1.0")).toMatchObject({ code: 0, stdout: "" });
    expect(await call("STATUS", "r2", "1.0.0")).toMatchObject({
      json: { code: CniErrorCode.INCOMPATIBLE_CNI_VERSION },
    });
    await call("DEL", "r2");
  });

  it("operations on one container run one at a time; other containers are not held up", async () => {
    const podNetwork = new RecordingPodNetwork({ addDelayMs: 600 });
    const path = await startServer({ podNetwork });
    const add = (containerId: string, ifName: string) =>
      plugin("ADD", {
        containerId,
        ifName,
        netns: "/var/run/netns/s",
        stdin: netconf("1.0.0"),
        socket: path,
      });
    const results = await Promise.all([add("s1", "eth0"), add("s1", "eth1"), add("s2", "eth0")]);
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    const [a, b] = podNetwork.calls.filter((c) => c.containerId === "s1");
    const other = podNetwork.calls.find((c) => c.containerId === "s2");
    expect(a && b && other).toBeTruthy();
    if (!a || !b || !other) return;
    expect(a.end <= b.start || b.end <= a.start).toBe(true);
    expect(other.start < Math.max(a.end, b.end) && other.end > Math.min(a.start, b.start)).toBe(true);
    for (const [id, ifName] of [
      ["s1", "eth0"],
      ["s1", "eth1"],
      ["s2", "eth0"],
    ] as const) {
      await plugin("DEL", { containerId: id, ifName, stdin: netconf("1.0.0"), socket: path });
    }
    expect([...(await allocations()).values()].filter((id) => id.startsWith("s"))).toEqual([]);
  });
});
