// Egress IP allocation from ExternalIPPools (Antrea's pkg/controller/egress syncEgressIPs), computed from scratch on
// every sync: IPs already in spec.egressIP are claimed first (oldest Egress first), then Egresses without one get
// the lowest free address of their pool. An IP that is outside the pool or taken by an older Egress is an
// allocation error; when the pool is gone, spec.egressIP is cleared. Deleting an Egress frees its IP simply by
// the Egress no longer being there.
import { firstFree, formatIPv4, type IPRange, parseIPv4, rangeHas, rangeTotal } from "./ip-ranges.ts";

export interface EgressClaim {
  name: string;
  /** metadata.creationTimestamp: older Egresses keep contested IPs. */
  created: string;
  pool: string;
  /** spec.egressIP, "" when the controller is to choose. */
  egressIP: string;
}

export type Allocation =
  /** spec.egressIP is valid, or (`write`) is to be set to `ip`. */
  | { ok: true; ip: string; write: boolean }
  /** IPAllocated=False with this error; `clear`: remove spec.egressIP (its pool is gone). */
  | { ok: false; error: string; clear: boolean };

export interface PoolUsage {
  total: number;
  used: number;
}

function byAge(a: EgressClaim, b: EgressClaim): number {
  if (a.created !== b.created) return a.created < b.created ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export function allocate(
  claims: readonly EgressClaim[],
  pools: ReadonlyMap<string, readonly IPRange[]>,
): { allocations: Map<string, Allocation>; usage: Map<string, PoolUsage> } {
  const allocations = new Map<string, Allocation>();
  const used = new Map<string, Set<number>>([...pools.keys()].map((p) => [p, new Set<number>()]));
  const sorted = [...claims].sort(byAge);
  for (const c of sorted) {
    const ranges = pools.get(c.pool);
    if (!ranges) {
      allocations.set(c.name, {
        ok: false,
        error: `ExternalIPPool ${c.pool} does not exist`,
        clear: c.egressIP !== "",
      });
      continue;
    }
    if (c.egressIP === "") continue;
    const ip = parseIPv4(c.egressIP);
    const taken = used.get(c.pool)!;
    const range = ip === undefined ? undefined : ranges.find((r) => rangeHas(r, ip));
    if (ip === undefined || !range || range.reserved.includes(ip) || taken.has(ip)) {
      allocations.set(c.name, {
        ok: false,
        error: `error when allocating IP ${c.egressIP} for Egress ${c.name} from ExternalIPPool ${c.pool}: cannot allocate IP ${c.egressIP} in any range`,
        clear: false,
      });
      continue;
    }
    taken.add(ip);
    allocations.set(c.name, { ok: true, ip: c.egressIP, write: false });
  }
  for (const c of sorted) {
    if (allocations.has(c.name)) continue;
    const taken = used.get(c.pool)!;
    let ip: number | undefined;
    for (const r of pools.get(c.pool)!) {
      ip = firstFree(r, taken);
      if (ip !== undefined) break;
    }
    if (ip === undefined) {
      allocations.set(c.name, {
        ok: false,
        error: `error when allocating IP for Egress ${c.name} from ExternalIPPool ${c.pool}: cannot allocate IP in any range`,
        clear: false,
      });
      continue;
    }
    taken.add(ip);
    allocations.set(c.name, { ok: true, ip: formatIPv4(ip), write: true });
  }
  const usage = new Map<string, PoolUsage>();
  for (const [name, ranges] of pools) {
    usage.set(name, {
      total: ranges.reduce((sum, r) => sum + rangeTotal(r), 0),
      used: used.get(name)!.size,
    });
  }
  return { allocations, usage };
}
