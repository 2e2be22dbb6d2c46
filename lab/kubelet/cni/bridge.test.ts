// End to end with Debian's plugins, as root: a throwaway "node" netns plays the host side (the runtime
// runs every plugin inside it), two "pod" netns get attached by bridge + host-local + portmap, with a
// recording plugin chained last. Nothing is created outside these namespaces and the temp dir.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { output, run } from "../../../images/common/exec.ts";
import { loadNetworkConfig, type NetworkConfigList } from "./config.ts";
import { bringUpLoopback, tearDownLoopback } from "./loopback.ts";
import { readCachedAttachment } from "./result-cache.ts";
import {
  type Attachment,
  addNetwork,
  type CniRuntimeOptions,
  checkNetwork,
  delNetwork,
  kubernetesArgs,
  type PortMapping,
} from "./runtime.ts";
import { type Recorded, writeTestPlugins } from "./test-plugins.ts";

const PREFIX = "ol-cnitest-";
const NODE = `${PREFIX}${process.pid}-node`;
const POD1 = `${PREFIX}${process.pid}-pod1`;
const POD2 = `${PREFIX}${process.pid}-pod2`;
const NETWORK = "ol-cnitest-net";
const SUBNET_PREFIX = "10.250.1.";

let tmp: string;
let recordFile: string;
let ipamDir: string;
let net: NetworkConfigList;
let opts: CniRuntimeOptions;
const portMappings: PortMapping[] = [{ hostPort: 18080, containerPort: 80, protocol: "tcp" }];
const pod1: Attachment = pod(POD1, "pod1", { portMappings });
const pod2: Attachment = pod(POD2, "pod2", {});
const ips = new Map<Attachment, string>();

function pod(netns: string, name: string, capabilityArgs: Record<string, unknown>): Attachment {
  return {
    containerId: `${netns}-sandbox`,
    netns: `/var/run/netns/${netns}`,
    ifName: "eth0",
    args: kubernetesArgs({
      namespace: "default",
      name,
      uid: `uid-${name}`,
      infraContainerId: `${netns}-sandbox`,
    }),
    capabilityArgs,
  };
}

async function testNamespaces(): Promise<string[]> {
  const list = await output(["ip", "netns", "list"]);
  return list
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(PREFIX));
}

async function natRules(netns?: string): Promise<string> {
  return output(["iptables", "-w", "-t", "nat", "-S"], { netns });
}

async function recorded(): Promise<Recorded[]> {
  const text = await readFile(recordFile, "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Recorded);
}

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), PREFIX));
  for (const ns of [NODE, POD1, POD2]) await run(["ip", "netns", "add", ns]);
  await run(["ip", "link", "set", "lo", "up"], { netns: NODE });

  const bin = join(tmp, "bin");
  await mkdir(bin);
  await writeTestPlugins(bin);
  recordFile = join(tmp, "calls.jsonl");
  await writeFile(recordFile, "");
  ipamDir = join(tmp, "ipam");
  const confDir = join(tmp, "net.d");
  await mkdir(confDir);
  await writeFile(
    join(confDir, "10-ol-cnitest.conflist"),
    JSON.stringify({
      cniVersion: "1.0.0",
      name: NETWORK,
      plugins: [
        {
          type: "bridge",
          bridge: "cnitest0",
          isGateway: true,
          ipam: { type: "host-local", ranges: [[{ subnet: `${SUBNET_PREFIX}0/24` }]], dataDir: ipamDir },
        },
        { type: "portmap", capabilities: { portMappings: true } },
        { type: "rec", recordFile, capabilities: { portMappings: true, bandwidth: false } },
      ],
    }),
  );
  net = await loadNetworkConfig(confDir);

  // Debian's portmap 1.1.1 fails CHECK whenever ip6tables works, looking for its IPv4 rules in the IPv6
  // nat table (containernetworking/plugins#819). The plugins see a node without usable ip6tables.
  const shims = join(tmp, "no-ip6tables");
  await mkdir(shims);
  await writeFile(join(shims, "ip6tables"), "#!/bin/sh\necho 'ip6tables: not on this node' >&2\nexit 1\n", {
    mode: 0o755,
  });
  opts = {
    pluginDirs: ["/usr/lib/cni", bin],
    cacheDir: join(tmp, "cache"),
    hostNetns: NODE,
    timeoutMs: 20_000,
    env: { ...process.env, PATH: `${shims}:${process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"}` },
  };
});

afterAll(async () => {
  for (const ns of [POD1, POD2, NODE]) await run(["ip", "netns", "delete", ns], { allowFailure: true });
  if (tmp) await rm(tmp, { recursive: true, force: true });
  expect(await testNamespaces()).toEqual([]);
});

describe("CNI runtime with Debian's bridge, host-local, portmap and loopback", () => {
  it("brings lo up in the pod sandboxes with the loopback plugin", async () => {
    expect(await output(["ip", "-o", "link", "show", "lo"], { netns: POD1 })).not.toMatch(/[<,]UP[,>]/);
    for (const p of [pod1, pod2]) await bringUpLoopback(p, opts);
    expect(await output(["ip", "-o", "link", "show", "lo"], { netns: POD1 })).toMatch(/[<,]UP[,>]/);
    await run(["ping", "-c1", "-W2", "127.0.0.1"], { netns: POD1 });
  });

  it("ADD gives each pod an eth0 with its own address from the subnet", async () => {
    for (const p of [pod1, pod2]) {
      const result = await addNetwork(net, p, opts);
      const address = result.ips?.[0]?.address ?? "";
      expect(address).toMatch(new RegExp(`^${SUBNET_PREFIX.replaceAll(".", "\\.")}\\d+/24$`));
      const ip = address.split("/")[0] ?? "";
      ips.set(p, ip);
      const shown = await output(["ip", "-4", "-o", "addr", "show", "dev", "eth0"], {
        netns: p.netns.split("/").pop(),
      });
      expect(shown).toContain(` ${address} `);
      expect(await readFile(join(ipamDir, NETWORK, ip), "utf8")).toContain(p.containerId);
    }
    expect(ips.get(pod1)).not.toBe(ips.get(pod2));
    // The bridge lives in the node netns, not in the netns the test runs in.
    await run(["ip", "link", "show", "cnitest0"], { netns: NODE });
    expect((await run(["ip", "link", "show", "cnitest0"], { allowFailure: true })).code).not.toBe(0);
  });

  it("the pods reach each other", async () => {
    await run(["ping", "-c1", "-W2", ips.get(pod2) ?? ""], { netns: POD1 });
    await run(["ping", "-c1", "-W2", ips.get(pod1) ?? ""], { netns: POD2 });
  });

  it("the last plugin got the chain's result as prevResult and only its declared capability args", async () => {
    const adds = (await recorded()).filter(
      (c) => c.env.CNI_COMMAND === "ADD" && c.env.CNI_CONTAINERID === pod1.containerId,
    );
    expect(adds).toHaveLength(1);
    const [add] = adds;
    expect(add?.stdin.prevResult).toMatchObject({
      cniVersion: "1.0.0",
      interfaces: expect.arrayContaining([
        expect.objectContaining({ name: "cnitest0" }),
        expect.objectContaining({ name: "eth0", sandbox: pod1.netns }),
      ]),
      ips: expect.arrayContaining([
        expect.objectContaining({ address: `${ips.get(pod1)}/24`, gateway: `${SUBNET_PREFIX}1` }),
      ]),
    });
    expect(add?.stdin.runtimeConfig).toEqual({ portMappings });
    expect(add?.env.CNI_ARGS).toContain("K8S_POD_NAME=pod1");
  });

  it("portmap installed the host port inside the node netns only", async () => {
    expect(await natRules(NODE)).toMatch(/--dport 18080 /);
    expect(await natRules()).not.toMatch(/--dport 18080 /);
  });

  it("CHECK passes for both pods and fails once a pod's address is gone", async () => {
    expect(await checkNetwork(net, pod1, opts)).toEqual({ checked: true });
    expect(await checkNetwork(net, pod2, opts)).toEqual({ checked: true });
    await run(["ip", "addr", "flush", "dev", "eth0"], { netns: POD2 });
    await expect(checkNetwork(net, pod2, opts)).rejects.toMatchObject({
      name: "CniError",
      plugin: "bridge",
      command: "CHECK",
      msg: expect.stringContaining(ips.get(pod2) ?? "?"),
    });
  });

  it("DEL removes interface, address allocation, port mapping and cache entry; a second DEL succeeds", async () => {
    const key = { network: NETWORK, containerId: pod1.containerId, ifName: "eth0" };
    const cached = await readCachedAttachment(opts.cacheDir, key);
    await writeFile(recordFile, "");
    await delNetwork(net, pod1, opts);

    const [del] = await recorded();
    expect(del?.env.CNI_COMMAND).toBe("DEL"); // the recorder runs first: reverse order
    expect(del?.stdin.prevResult).toEqual(cached?.result);
    expect((await run(["ip", "link", "show", "eth0"], { netns: POD1, allowFailure: true })).code).not.toBe(0);
    expect(await readdir(join(ipamDir, NETWORK))).not.toContain(ips.get(pod1));
    expect(await natRules(NODE)).not.toMatch(/--dport 18080 /);
    expect(await readCachedAttachment(opts.cacheDir, key)).toBeUndefined();

    await delNetwork(net, pod1, opts);
  });

  it("DEL succeeds after the pod's netns is gone and still releases its address", async () => {
    await run(["ip", "netns", "delete", POD2]);
    await delNetwork(net, pod2, opts);
    expect(await readdir(join(ipamDir, NETWORK))).not.toContain(ips.get(pod2));
    expect(await output(["ip", "-o", "link", "show", "type", "veth"], { netns: NODE })).toBe("");
  });

  it("loopback teardown drops its cache entries, with or without the sandbox", async () => {
    for (const p of [pod1, pod2]) await tearDownLoopback(p, opts);
    expect(await readdir(join(opts.cacheDir, "results"))).toEqual([]);
  });
});
