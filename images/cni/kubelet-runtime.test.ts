// The project's kubelet CNI runtime (lab/kubelet/cni) drives the conflist installConflist writes, end to end and
// as root: the runtime runs the antrea plugin and Debian's portmap inside a "node" netns this test creates
// (ol-tcni<random>-node); the plugin reaches the CNI server over its socket; the server runs host-local and wires
// the Pod with veths into a Pod netns the test creates. Nothing is created outside those namespaces and the
// temp dir.
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadNetworkConfig, type NetworkConfigList } from "../../lab/kubelet/cni/config.ts";
import {
  type Attachment,
  addNetwork,
  type CniRuntimeOptions,
  checkNetwork,
  delNetwork,
  kubernetesArgs,
} from "../../lab/kubelet/cni/runtime.ts";
import { type CniServer, startCniServer } from "../agent/cniserver/server.ts";
import { VethPodNetwork } from "../agent/cniserver/test-pod-network.ts";
import { output, run } from "../common/exec.ts";
import { installConflist } from "./conflist.ts";

const PLUGIN_DIR = join(dirname(fileURLToPath(import.meta.url)), "bin");
const PREFIX = `ol-tcni${randomBytes(3).toString("hex")}-`;
const NODE = `${PREFIX}node`;
const POD = `${PREFIX}pod`;
const POD_CIDR = "10.252.9.0/24";
const GATEWAY = "10.252.9.1";

let tmp: string;
let dataDir: string;
let server: CniServer | undefined;
let podNetwork: VethPodNetwork;
let list: NetworkConfigList;
let opts: CniRuntimeOptions;
let podIP = "";
const pod: Attachment = {
  containerId: `${POD}-sandbox`,
  netns: `/var/run/netns/${POD}`,
  ifName: "eth0",
  args: kubernetesArgs({
    namespace: "default",
    name: "nginx",
    uid: "uid-1",
    infraContainerId: `${POD}-sandbox`,
  }),
  capabilityArgs: { portMappings: [{ hostPort: 18081, containerPort: 80, protocol: "tcp" }] },
};

const natRules = (netns?: string) => output(["iptables", "-w", "-t", "nat", "-S"], { netns });

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "ol-tcni-"));
  dataDir = join(tmp, "ipam");
  for (const ns of [NODE, POD]) await run(["ip", "netns", "add", ns]);
  await run(["ip", "link", "set", "lo", "up"], { netns: NODE });
  const confDir = join(tmp, "net.d");
  await installConflist(confDir, { podCIDR: POD_CIDR, gateway: GATEWAY, mtu: 1450, dataDir });
  list = await loadNetworkConfig(confDir);
  const socketPath = join(tmp, "antrea", "cni.sock");
  podNetwork = new VethPodNetwork(NODE);
  server = await startCniServer({ socketPath, podNetwork });
  opts = {
    pluginDirs: [PLUGIN_DIR, "/usr/lib/cni"],
    cacheDir: join(tmp, "cache"),
    hostNetns: NODE,
    timeoutMs: 20_000,
    env: { ...process.env, ANTREA_CNI_SOCKET: socketPath },
  };
});

afterAll(async () => {
  await server?.close();
  for (const ns of [POD, NODE]) await run(["ip", "netns", "delete", ns], { allowFailure: true });
  if (tmp) await rm(tmp, { recursive: true, force: true });
  const left = (await output(["ip", "netns", "list"])).split("\n").filter((l) => l.startsWith(PREFIX));
  expect(left).toEqual([]);
});

describe("kubelet CNI runtime with the installed 10-antrea.conflist", () => {
  it("loads as antrea then portmap", () => {
    expect(list).toMatchObject({ name: "antrea", cniVersion: "0.3.0" });
    expect(list.plugins.map((p) => p.type)).toEqual(["antrea", "portmap"]);
  });

  it("ADD: the Pod gets its address from the node's Pod CIDR, portmap forwards its hostPort", async () => {
    const result = await addNetwork(list, pod, opts);
    expect(result).toMatchObject({
      cniVersion: "0.3.0",
      interfaces: [
        { name: podNetwork.hostIfName(pod.containerId, "eth0") },
        { name: "eth0", sandbox: pod.netns },
      ],
      ips: [{ version: "4", address: expect.stringMatching(/^10\.252\.9\.\d+\/24$/), gateway: GATEWAY }],
    });
    const address = result.ips?.[0]?.address ?? "";
    podIP = address.split("/")[0] ?? "";
    expect(await output(["ip", "-o", "addr", "show", "dev", "eth0"], { netns: POD })).toContain(
      ` ${address} `,
    );
    expect(await readdir(join(dataDir, "antrea"))).toContain(podIP);
    // portmap read the antrea plugin's result (prevResult) to find the Pod: its DNAT targets the Pod's address.
    expect(await natRules(NODE)).toMatch(new RegExp(`--dport 18081 .*--to-destination ${podIP}:80`));
    expect(await natRules()).not.toMatch(/--dport 18081 /);
  });

  it("CHECK is skipped: Antrea's conflist version predates it", async () => {
    expect(await checkNetwork(list, pod, opts)).toEqual({ checked: false, reason: "version" });
  });

  it("DEL removes the port mapping, the interfaces and the address; a second DEL succeeds", async () => {
    await delNetwork(list, pod, opts);
    expect(await natRules(NODE)).not.toMatch(/--dport 18081 /);
    expect(await output(["ip", "-o", "link", "show", "type", "veth"], { netns: NODE })).toBe("");
    expect(await readdir(join(dataDir, "antrea"))).not.toContain(podIP);
    await delNetwork(list, pod, opts);
    expect(podNetwork.calls).toEqual(["add", "del", "del"]);
  });
});
