// A Pod's veth pair: the host end in the node's namespace (an OVS port), the other end in the Pod's namespace,
// named CNI_IFNAME, with the Pod's address and a default route via antrea-gw0. TX checksum offload is turned off
// on both ends: the userspace datapath reads the frames through AF_PACKET, and a frame with an unfilled checksum
// makes conntrack mark TCP `+inv` (reference/ovs-userspace-datapath.md §5).
import { randomBytes } from "node:crypto";
import { type RunOptions, type RunResult, run } from "../../common/exec.ts";
import type { NodeExec } from "./node-exec.ts";

export interface PodVeth {
  hostIfName: string;
  hostMac: string;
  podIfName: string;
  podMac: string;
  /** Path of the Pod's network namespace. */
  netnsPath: string;
  mtu: number;
  /** Pod address with prefix length. */
  ipCidr: string;
  gateway: string;
}

/** A random locally administered unicast MAC, as the kernel gives a new veth. */
export function randomMac(): string {
  const b = randomBytes(6);
  b[0] = (b[0]! & 0xfe) | 0x02;
  return [...b].map((x) => x.toString(16).padStart(2, "0")).join(":");
}

/** Runs a command in the Pod's network namespace (a path: not necessarily one of `ip netns`'s names). */
export function inPod(netnsPath: string, argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return run(["nsenter", `--net=${netnsPath}`, ...argv], { timeoutMs: 10_000, ...opts });
}

export async function createPodVeth(exec: NodeExec, v: PodVeth): Promise<void> {
  await exec.ip([
    `link add ${v.hostIfName} mtu ${v.mtu} address ${v.hostMac} type veth peer name ${v.podIfName} mtu ${v.mtu} address ${v.podMac} netns ${v.netnsPath}`,
    `link set ${v.hostIfName} up`,
  ]);
  await exec.run(["ethtool", "-K", v.hostIfName, "tx", "off"]);
  await inPod(v.netnsPath, ["ip", "-batch", "-"], {
    input: [
      `link set ${v.podIfName} up`,
      `address add ${v.ipCidr} dev ${v.podIfName}`,
      `route add default via ${v.gateway} dev ${v.podIfName}`,
      "",
    ].join("\n"),
  });
  await inPod(v.netnsPath, ["ethtool", "-K", v.podIfName, "tx", "off"]);
}

export async function linkExists(exec: NodeExec, name: string): Promise<boolean> {
  return (await exec.run(["ip", "link", "show", "dev", name], { allowFailure: true })).code === 0;
}

/** Idempotent: deleting the host end removes both ends; a veth already gone (or its namespace) is fine. */
export async function deletePodVeth(exec: NodeExec, hostIfName: string): Promise<void> {
  await exec.run(["ip", "link", "delete", hostIfName], { allowFailure: true });
}

/** What is wrong with a Pod's veth compared with `v` (empty when nothing is). */
export async function podVethProblems(exec: NodeExec, v: Omit<PodVeth, "hostMac">): Promise<string[]> {
  const problems: string[] = [];
  if (!(await linkExists(exec, v.hostIfName))) problems.push(`host interface ${v.hostIfName} does not exist`);
  const pod = await inPod(v.netnsPath, ["ip", "-j", "address", "show", "dev", v.podIfName], {
    allowFailure: true,
  });
  if (pod.code !== 0) {
    problems.push(`interface ${v.podIfName} does not exist in ${v.netnsPath}`);
    return problems;
  }
  const [link] = JSON.parse(pod.stdout || "[]") as {
    address?: string;
    mtu?: number;
    addr_info?: { local?: string; prefixlen?: number }[];
  }[];
  if (link?.address !== v.podMac)
    problems.push(`${v.podIfName} has MAC ${link?.address}, expected ${v.podMac}`);
  if (link?.mtu !== v.mtu) problems.push(`${v.podIfName} has MTU ${link?.mtu}, expected ${v.mtu}`);
  const addrs = (link?.addr_info ?? []).map((a) => `${a.local}/${a.prefixlen}`);
  if (!addrs.includes(v.ipCidr))
    problems.push(`${v.podIfName} lacks address ${v.ipCidr} (has ${addrs.join(", ") || "none"})`);
  return problems;
}

/**
 * Three gratuitous ARPs 50 ms apart, as Antrea's CNI sends after ADD, so that neighbours (and the ARPSpoofGuard
 * counters) see the Pod at once. Each arping lingers about a second after sending, hence parallel processes.
 */
export async function announcePod(v: Pick<PodVeth, "netnsPath" | "podIfName" | "ipCidr">): Promise<void> {
  const ip = v.ipCidr.split("/")[0]!;
  const sends: Promise<RunResult>[] = [];
  for (let i = 0; i < 3; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 50));
    sends.push(
      inPod(v.netnsPath, ["arping", "-q", "-U", "-c", "1", "-I", v.podIfName, "-s", ip, ip], {
        allowFailure: true,
      }),
    );
  }
  await Promise.all(sends);
}
