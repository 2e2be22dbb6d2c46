// The controller's writes to Egresses and ExternalIPPools: spec.egressIP (JSON merge patch, as Antrea), the
// IPAllocated condition (read-modify-write of the status subresource with the resourceVersion, retried on
// conflicts, so that the agents' egressNode/egressIP/IPAssigned survive) and the pool's status.usage.
import {
  ApiException,
  CustomObjectsApi,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { z } from "zod";
import type { PoolUsage } from "./allocation.ts";
import { type Condition, conditionSchema, EGRESS_RESOURCE, IP_ALLOCATED, POOL_RESOURCE } from "./crd.ts";

const CONFLICT_RETRIES = 5;
const mergePatch = () => setHeaderOptions("Content-Type", PatchStrategy.MergePatch);
const isCode = (err: unknown, code: number) => err instanceof ApiException && err.code === code;
const ignoreNotFound = (err: unknown) => {
  if (!isCode(err, 404)) throw err;
};

const statusSchema = z.object({ conditions: z.array(conditionSchema).optional() });

export class EgressWriter {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** Sets spec.egressIP, or removes it (null). An Egress deleted meanwhile needs nothing. */
  async setEgressIP(name: string, ip: string | null): Promise<void> {
    await this.api
      .patchClusterCustomObject({ ...EGRESS_RESOURCE, name, body: { spec: { egressIP: ip } } }, mergePatch())
      .catch(ignoreNotFound);
  }

  /** Makes the IPAllocated condition `wanted` (undefined: none); false when the Egress is gone. */
  async setAllocatedCondition(name: string, wanted: Condition | undefined): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      let obj: Record<string, unknown>;
      try {
        obj = (await this.api.getClusterCustomObject({ ...EGRESS_RESOURCE, name })) as Record<
          string,
          unknown
        >;
      } catch (err) {
        if (isCode(err, 404)) return false;
        throw err;
      }
      const parsed = statusSchema.safeParse(obj.status ?? {});
      const conditions = parsed.success ? (parsed.data.conditions ?? []) : [];
      const have = conditions.find((c) => c.type === IP_ALLOCATED);
      if (sameCondition(have, wanted)) return true;
      const others = conditions.filter((c) => c.type !== IP_ALLOCATED);
      const stamped = wanted && {
        ...wanted,
        lastTransitionTime:
          have?.status === wanted.status && have.lastTransitionTime
            ? have.lastTransitionTime
            : new Date().toISOString().replace(/\.\d+Z$/, "Z"),
      };
      const body = {
        ...obj,
        status: {
          ...(obj.status as object | undefined),
          conditions: stamped ? [...others, stamped] : others,
        },
      };
      try {
        await this.api.replaceClusterCustomObjectStatus({ ...EGRESS_RESOURCE, name, body });
        return true;
      } catch (err) {
        if (isCode(err, 409) && attempt < CONFLICT_RETRIES) continue;
        if (isCode(err, 404)) return false;
        throw err;
      }
    }
  }

  async setPoolUsage(name: string, usage: PoolUsage): Promise<void> {
    await this.api
      .patchClusterCustomObjectStatus({ ...POOL_RESOURCE, name, body: { status: { usage } } }, mergePatch())
      .catch(ignoreNotFound);
  }
}

/** Same type, status, reason and message: timestamps do not count (Antrea's compareConditionIgnoringTimestamp). */
export function sameCondition(a: Condition | undefined, b: Condition | undefined): boolean {
  if (!a || !b) return a === b;
  return a.status === b.status && a.reason === b.reason && a.message === b.message;
}
