// Turns a validated topology into concrete addresses: the underlay subnet, every host's IP, every node's Pod CIDR.
// Provider-independent and pure, so the same answers come out of `validate`, `up` and the tests.
import { formatCidr, formatIp, mustParseCidr, nth, parseIp, size, subnet } from "../common/ipv4.ts";
import type { TopologyFile } from "./schema.ts";

/** Encapsulation overhead subtracted from the underlay MTU (Antrea: Geneve 50, VXLAN 50). */
const TUNNEL_OVERHEAD = { vxlan: 50, geneve: 50 } as const;

export interface ResolvedNode {
  name: string;
  role: "control-plane" | "worker";
  address: string;
  podCIDR: string;
  labels: Record<string, string>;
}

export interface ResolvedExternalHost {
  name: string;
  address: string;
}

export interface ResolvedTopology {
  name: string;
  provider: "netns" | "kind";
  network: {
    underlay: string;
    underlayPrefix: number;
    /** The host's own address on the underlay (like a docker network gateway). */
    hostAddress: string;
    pods: string;
    nodeMaskSize: number;
    services: string;
    tunnel: "vxlan" | "geneve";
    mtu: number;
    podMTU: number;
  };
  nodes: ResolvedNode[];
  external: ResolvedExternalHost[];
}

export function resolveTopology(
  spec: TopologyFile,
  opts: { name?: string; underlay: string },
): ResolvedTopology {
  const ul = mustParseCidr(opts.underlay);
  const pods = mustParseCidr(spec.network.pods);
  const used = new Set<number>();
  for (const n of Object.values(spec.topology.nodes)) if (n.address) used.add(parseIp(n.address)!);
  for (const e of Object.values(spec.topology.external)) if (e.address) used.add(parseIp(e.address)!);

  let next = 2; // .1 is the host
  const fromBottom = (): string => {
    while (used.has(nth(ul, next))) next++;
    const ip = nth(ul, next);
    used.add(ip);
    return formatIp(ip);
  };
  let top = size(ul) - 2; // below broadcast
  const fromTop = (): string => {
    while (used.has(nth(ul, top))) top--;
    const ip = nth(ul, top);
    used.add(ip);
    return formatIp(ip);
  };

  const nodes = Object.entries(spec.topology.nodes).map(
    ([name, n], i): ResolvedNode => ({
      name,
      role: n.role,
      address: n.address ?? fromBottom(),
      podCIDR: formatCidr(subnet(pods, spec.network.nodeMaskSize, i)),
      labels: n.labels ?? {},
    }),
  );
  const external = Object.entries(spec.topology.external).map(
    ([name, e]): ResolvedExternalHost => ({ name, address: e.address ?? fromTop() }),
  );
  return {
    name: opts.name ?? spec.name,
    provider: spec.provider,
    network: {
      underlay: formatCidr(ul),
      underlayPrefix: ul.prefix,
      hostAddress: formatIp(nth(ul, 1)),
      pods: spec.network.pods,
      nodeMaskSize: spec.network.nodeMaskSize,
      services: spec.network.services,
      tunnel: spec.network.tunnel,
      mtu: spec.network.mtu,
      podMTU: spec.network.mtu - TUNNEL_OVERHEAD[spec.network.tunnel],
    },
    nodes,
    external,
  };
}
