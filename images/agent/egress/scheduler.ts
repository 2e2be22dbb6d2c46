// Which Node holds each Egress IP (Antrea's egressIPScheduler): per ExternalIPPool, a consistent-hash ring over the
// Nodes that are alive and match the pool's nodeSelector; Egresses are placed oldest first, and a Node takes at
// most MAX_EGRESS_IPS_PER_NODE IPs. Pure: every agent runs it on the same inputs and gets the same answer.
import { ConsistentHash } from "./consistent-hash.ts";
import { type Egress, type ExternalIPPool, findCondition, IP_ALLOCATED } from "./crd.ts";
import { selectorMatches } from "./label-selector.ts";

/** Antrea's egress.maxEgressIPsPerNode default; also the size of the per-Node mark space. */
export const MAX_EGRESS_IPS_PER_NODE = 255;

export const NO_NODE_AVAILABLE = "no Node available";

export interface NodeInfo {
  name: string;
  labels: Readonly<Record<string, string>>;
}

export interface Placement {
  ip: string;
  /** The Node that holds the IP; undefined when no Node may (then `error` says why). */
  node?: string;
  error?: string;
}

/**
 * An Egress is scheduled by the agents when it takes its IP from a pool that exists and the antrea-controller has
 * confirmed the allocation (IPAllocated=True).
 */
export function isSchedulable(e: Egress, pools: ReadonlyMap<string, ExternalIPPool>): boolean {
  const pool = e.spec.externalIPPool;
  return (
    !!pool && !!e.spec.egressIP && pools.has(pool) && findCondition(e.status, IP_ALLOCATED)?.status === "True"
  );
}

/** Oldest first (creationTimestamp, then name), the order in which Antrea's scheduler walks Egresses. */
export function byAge(a: Egress, b: Egress): number {
  const ta = a.metadata.creationTimestamp ?? "";
  const tb = b.metadata.creationTimestamp ?? "";
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

/** Placement of every schedulable Egress, by Egress name. */
export function scheduleEgresses(
  egresses: readonly Egress[],
  pools: ReadonlyMap<string, ExternalIPPool>,
  nodes: readonly NodeInfo[],
  alive: ReadonlySet<string>,
  maxPerNode = MAX_EGRESS_IPS_PER_NODE,
): Map<string, Placement> {
  const rings = new Map<string, ConsistentHash>();
  const ring = (poolName: string) => {
    let r = rings.get(poolName);
    if (!r) {
      const selector = pools.get(poolName)?.spec.nodeSelector ?? {};
      r = new ConsistentHash(
        nodes.filter((n) => alive.has(n.name) && selectorMatches(selector, n.labels)).map((n) => n.name),
      );
      rings.set(poolName, r);
    }
    return r;
  };
  const ipsPerNode = new Map<string, number>();
  const result = new Map<string, Placement>();
  for (const e of [...egresses].filter((e) => isSchedulable(e, pools)).sort(byAge)) {
    const ip = e.spec.egressIP!;
    const node = ring(e.spec.externalIPPool!).get(ip, (n) => (ipsPerNode.get(n) ?? 0) < maxPerNode);
    if (node === undefined) {
      result.set(e.metadata.name, { ip, error: NO_NODE_AVAILABLE });
      continue;
    }
    ipsPerNode.set(node, (ipsPerNode.get(node) ?? 0) + 1);
    result.set(e.metadata.name, { ip, node });
  }
  return result;
}
