// Pod sandboxes: one network namespace per Pod, named `<prefix>-<hash8>` (hash of the Pod uid), networked
// the way containerd does it: CNI loopback, then the node's network configuration attached as eth0 with
// the Kubernetes CNI_ARGS and the portMappings capability. The netns name doubles as the CNI container id,
// so a sandbox found without any kubelet state can still be torn down.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { run } from "../../images/common/exec.ts";
import {
  loadNetworkConfig,
  type NetworkConfigList,
  NoNetworkConfigError,
  parseNetworkConfig,
} from "./cni/config.ts";
import { bringUpLoopback, tearDownLoopback } from "./cni/loopback.ts";
import { readCachedAttachment } from "./cni/result-cache.ts";
import type { CniResult } from "./cni/results.ts";
import {
  addNetwork,
  type CniRuntimeOptions,
  delNetwork,
  kubernetesArgs,
  type PortMapping,
} from "./cni/runtime.ts";
import { killAllInNetns } from "./processes.ts";

export const POD_IFNAME = "eth0";

export interface CniSettings extends CniRuntimeOptions {
  readonly confDir: string;
}

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

export function sandboxName(prefix: string, uid: string): string {
  return `${prefix}-${createHash("sha256").update(uid).digest("hex").slice(0, 8)}`;
}

export function netnsPath(name: string): string {
  return `/var/run/netns/${name}`;
}

/** Sandbox namespaces that carry this kubelet's prefix. */
export async function listSandboxes(prefix: string): Promise<string[]> {
  const out = await run(["ip", "netns", "list"]);
  const pattern = new RegExp(`^${prefix.replace(/[.]/g, "\\.")}-[0-9a-f]{8}$`);
  return out.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => pattern.test(n));
}

/**
 * Sandboxes are bind mounts under /run/netns. Made from a mount namespace where /run/netns only receives
 * mounts (a slave copy, which is what `ip netns exec NODE kubelet` gives the kubelet), they would be
 * invisible to the host and outlive their deletion there; so the kubelet refuses to run in one.
 */
export async function assertNetnsMountsVisible(): Promise<void> {
  const mountinfo = await readFile("/proc/self/mountinfo", "utf8");
  for (const line of mountinfo.split("\n")) {
    const fields = line.split(" ");
    if (fields[4] !== "/run/netns") continue;
    const tags = fields.slice(6, fields.indexOf("-"));
    if (tags.some((t) => t.startsWith("master:")) && !tags.some((t) => t.startsWith("shared:"))) {
      throw new Error(
        "/run/netns does not propagate mounts to the host here (kubelet started with `ip netns exec`?): " +
          "the sandbox namespaces would be invisible outside. Start it with `nsenter --net=/run/netns/NODE`, " +
          "or in the host's namespaces with hostNetns set to the node's netns",
      );
    }
  }
}

export async function createNetns(name: string): Promise<void> {
  await run(["ip", "netns", "add", name]);
}

/** Removes the namespace; fine if it is already gone. */
export async function deleteNetns(name: string): Promise<void> {
  const res = await run(["ip", "netns", "delete", name], { allowFailure: true });
  if (res.code !== 0 && !/No such file/i.test(res.stderr)) {
    throw new Error(`ip netns delete ${name}: ${res.stderr.trim()}`);
  }
}

/** Loopback and the node's network for a freshly created sandbox; returns the network and Pod IPs. */
export async function setUpPodNetwork(
  cni: CniSettings,
  sandbox: string,
  pod: PodRef,
  portMappings: readonly PortMapping[],
): Promise<{ network: string; ips: string[] }> {
  const list = await loadNetworkConfig(cni.confDir);
  const netns = netnsPath(sandbox);
  await bringUpLoopback({ containerId: sandbox, netns }, cni);
  const result = await addNetwork(
    list,
    {
      containerId: sandbox,
      netns,
      ifName: POD_IFNAME,
      args: kubernetesArgs({ ...pod, infraContainerId: sandbox }),
      capabilityArgs: portMappings.length ? { portMappings } : {},
    },
    cni,
  );
  const ips = podIPs(result);
  if (ips.length === 0) throw new Error(`CNI network ${list.name} returned no IP address for ${POD_IFNAME}`);
  return { network: list.name, ips };
}

/**
 * CNI DEL of the Pod network (with the configuration and args cached at ADD; the current configuration
 * when nothing is cached) and of loopback. Safe to repeat; works without the namespace. Loopback is
 * deleted even when the Pod network's DEL fails.
 */
export async function tearDownPodNetwork(cni: CniSettings, sandbox: string, network?: string): Promise<void> {
  const netns = netnsPath(sandbox);
  try {
    const cached = network
      ? await readCachedAttachment(cni.cacheDir, { network, containerId: sandbox, ifName: POD_IFNAME }).catch(
          () => undefined,
        )
      : undefined;
    let list: NetworkConfigList | undefined;
    if (cached) list = parseNetworkConfig(cached.config, `cached configuration of ${sandbox}`, "list");
    else {
      try {
        list = await loadNetworkConfig(cni.confDir);
      } catch (err) {
        // No configuration, so nothing can have been added with it.
        if (!(err instanceof NoNetworkConfigError)) throw err;
      }
    }
    if (list) {
      await delNetwork(
        list,
        {
          containerId: sandbox,
          netns,
          ifName: POD_IFNAME,
          args: cached?.args ?? [],
          capabilityArgs: cached?.capabilityArgs,
        },
        cni,
      );
    }
  } finally {
    await tearDownLoopback({ containerId: sandbox, netns }, cni);
  }
}

/**
 * Kills whatever still runs in the sandbox, detaches it (CNI DEL) and deletes the namespace. The
 * namespace goes even when DEL fails (DEL can be repeated without it); the DEL error is then thrown.
 */
export async function removeSandbox(cni: CniSettings, sandbox: string, network?: string): Promise<void> {
  if (existsSync(netnsPath(sandbox))) await killAllInNetns(sandbox);
  let failure: unknown;
  try {
    await tearDownPodNetwork(cni, sandbox, network);
  } catch (err) {
    failure = err;
  }
  await deleteNetns(sandbox);
  if (failure) throw failure;
}

/** Addresses (without prefix length) on the sandbox's interfaces, IPv4 first, as containerd reports them. */
export function podIPs(result: CniResult): string[] {
  const ifaces = result.interfaces ?? [];
  const ips = (result.ips ?? [])
    .filter((ip) => ip.interface === undefined || ifaces[ip.interface]?.sandbox !== undefined)
    .map((ip) => ip.address.split("/")[0] ?? "")
    .filter(Boolean);
  return [...ips.filter((ip) => !ip.includes(":")), ...ips.filter((ip) => ip.includes(":"))];
}
