// The node kernel's side of the datapath: forwarding sysctls, antrea-gw0's address, the host routes to peer Pod
// CIDRs (`<cidr> via <peer gateway> dev antrea-gw0 onlink`, whose next hop OVS answers with the Global Virtual
// MAC) and the transport interface that holds the node's address.
import { GATEWAY_PORT } from "../pipeline/constants.ts";
import type { NodeExec } from "./node-exec.ts";

/**
 * The node routes between antrea-gw0 and its transport interface. arp_ignore=1: the kernel answers ARP only on
 * the interface that has the address, never on the veths and uplink that OVS reads through AF_PACKET
 * (reference/ovs-userspace-datapath.md §10.1).
 */
export async function prepareNodeKernel(exec: NodeExec): Promise<void> {
  await exec.run(["sysctl", "-qw", "net.ipv4.ip_forward=1", "net.ipv4.conf.all.arp_ignore=1"]);
}

export async function configureGateway(
  exec: NodeExec,
  gw: { ip: string; prefixLength: number; mtu: number },
): Promise<void> {
  await exec.ip([
    `address replace ${gw.ip}/${gw.prefixLength} dev ${GATEWAY_PORT}`,
    `link set ${GATEWAY_PORT} mtu ${gw.mtu} up`,
  ]);
}

interface IpAddrJson {
  ifname: string;
  addr_info?: { family?: string; local?: string }[];
}

/** The interface holding `nodeIP` (br-phy in a lab, where OVS native tunnelling needs the address there). */
export async function transportInterface(exec: NodeExec, nodeIP: string): Promise<string> {
  const links = JSON.parse(
    (await exec.output(["ip", "-j", "-4", "address", "show"])) || "[]",
  ) as IpAddrJson[];
  const link = links.find((l) => l.addr_info?.some((a) => a.local === nodeIP));
  if (!link) throw new Error(`no interface of the node has its address ${nodeIP}`);
  return link.ifname;
}

export async function linkNames(exec: NodeExec): Promise<string[]> {
  const links = JSON.parse((await exec.output(["ip", "-j", "link", "show"])) || "[]") as { ifname: string }[];
  return links.map((l) => l.ifname);
}

export interface PeerRoute {
  cidr: string;
  via: string;
}

/** Routes to peer Pod CIDRs that exist now (gateway routes on antrea-gw0). */
export async function listPeerRoutes(exec: NodeExec): Promise<PeerRoute[]> {
  const res = await exec.run(["ip", "-j", "-4", "route", "show", "dev", GATEWAY_PORT], {
    allowFailure: true,
  });
  if (res.code !== 0) return [];
  const routes = JSON.parse(res.stdout || "[]") as { dst: string; gateway?: string }[];
  return routes.flatMap((r) => (r.gateway ? [{ cidr: r.dst, via: r.gateway }] : []));
}

export async function setPeerRoutes(exec: NodeExec, routes: readonly PeerRoute[]): Promise<void> {
  await exec.ip(routes.map((r) => `route replace ${r.cidr} via ${r.via} dev ${GATEWAY_PORT} onlink`));
}

/** Idempotent: routes already gone are fine. */
export async function deletePeerRoutes(exec: NodeExec, cidrs: readonly string[]): Promise<void> {
  await exec.ip(
    cidrs.map((c) => `route del ${c} dev ${GATEWAY_PORT}`),
    { force: true },
  );
}

/** The MAC that answers ARP for `ip` on `iface`, or undefined when nothing answers within a second. */
export async function resolveMac(exec: NodeExec, iface: string, ip: string): Promise<string | undefined> {
  const res = await exec.run(["arping", "-c", "1", "-w", "1", "-I", iface, ip], { allowFailure: true });
  const mac = /\[([0-9A-Fa-f:]{17})\]/.exec(res.stdout)?.[1];
  return mac?.toLowerCase();
}
