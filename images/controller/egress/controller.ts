// The antrea-controller's Egress IP allocation (pkg/controller/egress + externalippool): watches Egresses and
// ExternalIPPools; every change leads to one sync (batched, never two at once) that computes all allocations
// (allocation.ts), writes spec.egressIP where the controller chose it (or clears it when the pool is gone), sets
// IPAllocated on every pool-backed Egress and status.usage on every pool. Nothing is written when nothing changed.
import type { KubeConfig } from "@kubernetes/client-node";
import { type ApiObject, describeApiError } from "../kube/custom-objects.ts";
import { createInformer, type Informer } from "../kube/informer.ts";
import { listJson } from "../kube/list.ts";
import type { Logger } from "../log.ts";
import { allocate, type EgressClaim } from "./allocation.ts";
import {
  allocatedCondition,
  EGRESS_RESOURCE,
  type Egress,
  type ExternalIPPool,
  egressSchema,
  IP_ALLOCATED,
  POOL_RESOURCE,
  poolSchema,
} from "./crd.ts";
import { type IPRange, parseIPRange } from "./ip-ranges.ts";
import { EgressWriter, sameCondition } from "./writer.ts";

/** Changes arriving within this window are handled by one sync. */
const BATCH_MS = 10;

export interface EgressIPController {
  stop(): Promise<void>;
}

const path = (r: { group: string; version: string; plural: string }) =>
  `/apis/${r.group}/${r.version}/${r.plural}`;

function parseAll<T>(items: readonly ApiObject[], parse: (o: unknown) => T | undefined): T[] {
  return items.flatMap((o) => parse(o) ?? []);
}

export async function startEgressIPController(deps: {
  kc: KubeConfig;
  log: Logger;
}): Promise<EgressIPController> {
  const { kc, log } = deps;
  const writer = new EgressWriter(kc);
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;

  const schedule = (delay = BATCH_MS) => {
    if (stopped) return;
    if (running) again = true;
    else timer ??= setTimeout(runSync, delay);
  };
  const runSync = () => {
    timer = undefined;
    running = sync()
      .then(
        () => true,
        (err: unknown) => {
          log.error(`Egress IP sync failed: ${describeApiError(err)}`);
          return false;
        },
      )
      .then((ok) => {
        running = undefined;
        failures = ok ? 0 : failures + 1;
        if (!ok) schedule(Math.min(500 * 2 ** (failures - 1), 10_000));
        else if (again) schedule();
        again = false;
      });
  };

  const informer = (p: string): Informer<ApiObject> => {
    const i = createInformer<ApiObject>({
      kc,
      path: p,
      list: () => listJson<ApiObject>(kc, p),
      onChange: () => schedule(),
      onSynced: () => schedule(),
      log,
    });
    return i;
  };
  const egresses = informer(path(EGRESS_RESOURCE));
  const pools = informer(path(POOL_RESOURCE));

  const sync = async () => {
    if (!egresses.synced() || !pools.synced()) return;
    const allEgresses = parseAll<Egress>(egresses.list(), (o) => egressSchema.safeParse(o).data);
    const allPools = parseAll<ExternalIPPool>(pools.list(), (o) => poolSchema.safeParse(o).data);
    const ranges = new Map<string, IPRange[]>(
      allPools.map((p) => [p.metadata.name, p.spec.ipRanges.flatMap((r) => parseIPRange(r) ?? [])]),
    );
    const claims: EgressClaim[] = allEgresses
      .filter((e) => e.spec.externalIPPool)
      .map((e) => ({
        name: e.metadata.name,
        created: e.metadata.creationTimestamp ?? "",
        pool: e.spec.externalIPPool!,
        egressIP: e.spec.egressIP ?? "",
      }));
    const { allocations, usage } = allocate(claims, ranges);

    for (const e of allEgresses) {
      const name = e.metadata.name;
      const a = allocations.get(name);
      if (a?.ok && a.write) {
        await writer.setEgressIP(name, a.ip);
        log.info(`Egress ${name}: allocated ${a.ip} from ExternalIPPool ${e.spec.externalIPPool}`);
      } else if (a && !a.ok && a.clear) {
        await writer.setEgressIP(name, null);
        log.info(
          `Egress ${name}: released ${e.spec.egressIP} (ExternalIPPool ${e.spec.externalIPPool} is gone)`,
        );
      }
      // Egresses without a pool get no IPAllocated condition (Antrea sets it only for pool-backed ones).
      const wanted = a && allocatedCondition(a.ok ? undefined : a.error);
      const have = e.status?.conditions?.find((c) => c.type === IP_ALLOCATED);
      if (!sameCondition(have, wanted)) {
        await writer.setAllocatedCondition(name, wanted);
        if (wanted?.status === "False") log.warn(`Egress ${name}: ${wanted.message}`);
      }
    }
    for (const p of allPools) {
      const u = usage.get(p.metadata.name)!;
      const have = p.status?.usage;
      if (have?.total !== u.total || have.used !== u.used) await writer.setPoolUsage(p.metadata.name, u);
    }
  };

  await Promise.all(
    [egresses, pools].map((i) =>
      i.start().catch((err: unknown) => log.warn(`watch start: ${describeApiError(err)}`)),
    ),
  );
  log.info("Egress IP allocation controller started");
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
      await Promise.all([egresses.stop(), pools.stop()]);
    },
  };
}
