// Names and paths of every kernel object and file of an embedded lab, derived from the resolved topology.
// Everything carries the lab name, so labs never touch each other and `down --all` finds them by prefix.
import { join } from "node:path";
import { parseIp } from "../common/ipv4.ts";
import type { ResolvedTopology } from "../topology/resolve.ts";

export const NETNS_PREFIX = "ol-";
/** Names inside the underlay namespace that no node can take (node names are DNS labels: no '_'). */
export const UNDERLAY_BRIDGE = "_br";
export const UNDERLAY_HOST_PORT = "_host";
/** The bridge that holds the node IP, so that OVS native tunnelling finds the route to its peers. */
export const PHYSICAL_BRIDGE = "br-phy";

export interface HostLayout {
  name: string;
  role: "control-plane" | "worker" | "external";
  netns: string;
  address: string;
  mac: string;
  /** The host's port on the underlay bridge (inside the underlay namespace). */
  underlayPort: string;
  /** Per-host directory: OVS run/db/log dir for nodes, logs for external hosts. */
  dir: string;
}

export interface LabLayout {
  lab: string;
  stateDir: string;
  /** Namespace holding the underlay bridge. */
  underlayNetns: string;
  /** Root-namespace end of the host's link into the underlay. */
  hostLink: string;
  nodes: HostLayout[];
  external: HostLayout[];
}

export function labNetnsPrefix(lab: string): string {
  return `${NETNS_PREFIX}${lab}`;
}

/** Locally administered MAC derived from the IPv4 address, as Docker does (02:42:<ip>); 0x4f = 'O'. */
export function macFor(ip: string): string {
  const n = parseIp(ip);
  if (n === undefined) throw new Error(`not an IPv4 address: ${ip}`);
  const bytes = [0x02, 0x4f, n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

export function layoutFor(topology: ResolvedTopology, stateDir: string): LabLayout {
  const lab = topology.name;
  const host = (name: string, role: HostLayout["role"], address: string): HostLayout => ({
    name,
    role,
    netns: `${labNetnsPrefix(lab)}-${name}`,
    address,
    mac: macFor(address),
    underlayPort: name,
    dir: join(stateDir, "hosts", name),
  });
  return {
    lab,
    stateDir,
    underlayNetns: labNetnsPrefix(lab),
    hostLink: labNetnsPrefix(lab),
    nodes: topology.nodes.map((n) => host(n.name, n.role, n.address)),
    external: topology.external.map((e) => host(e.name, "external", e.address)),
  };
}

export function allNetns(layout: LabLayout): string[] {
  return [layout.underlayNetns, ...layout.nodes.map((n) => n.netns), ...layout.external.map((e) => e.netns)];
}
