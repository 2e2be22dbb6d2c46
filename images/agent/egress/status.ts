// Writes an Egress's status as Antrea's agent does (updateEgressStatus): egressNode, egressIP and the IPAssigned
// condition, keeping the other conditions (IPAllocated belongs to the antrea-controller). Read-modify-write of the
// status subresource with the object's resourceVersion, retried on conflicts, so that concurrent writers (the
// controller, a former owner) never lose each other's fields.
import { ApiException, type CustomObjectsApi } from "@kubernetes/client-node";
import {
  EGRESS_RESOURCE,
  type EgressCondition,
  type EgressStatus,
  egressStatusSchema,
  IP_ASSIGNED,
} from "./crd.ts";

export interface DesiredStatus {
  egressNode: string;
  egressIP: string;
  /** The IPAssigned condition; undefined removes it. */
  assigned?: EgressCondition;
}

const CONFLICT_RETRIES = 5;

/** Whether `current` already says what `desired` says (timestamps aside). */
export function statusMatches(current: EgressStatus | undefined, desired: DesiredStatus): boolean {
  const have = current?.conditions?.find((c) => c.type === IP_ASSIGNED);
  const want = desired.assigned;
  const sameCondition =
    have === undefined || want === undefined
      ? have === want
      : have.status === want.status && have.reason === want.reason && have.message === want.message;
  return (
    (current?.egressNode ?? "") === desired.egressNode &&
    (current?.egressIP ?? "") === desired.egressIP &&
    sameCondition
  );
}

/** Updates the status unless it already matches; false when the Egress no longer exists. */
export async function writeEgressStatus(
  custom: CustomObjectsApi,
  name: string,
  desired: DesiredStatus,
): Promise<boolean> {
  for (let attempt = 1; ; attempt++) {
    let obj: Record<string, unknown>;
    try {
      obj = (await custom.getClusterCustomObject({ ...EGRESS_RESOURCE, name })) as Record<string, unknown>;
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return false;
      throw err;
    }
    const current = egressStatusSchema.safeParse(obj.status ?? {});
    const status = current.success ? current.data : {};
    if (statusMatches(status, desired)) return true;
    const old = status.conditions?.find((c) => c.type === IP_ASSIGNED);
    const assigned = desired.assigned && {
      ...desired.assigned,
      lastTransitionTime:
        old?.status === desired.assigned.status && old.lastTransitionTime
          ? old.lastTransitionTime
          : new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    };
    const others = (status.conditions ?? []).filter((c) => c.type !== IP_ASSIGNED);
    const body = {
      ...obj,
      status: {
        ...(obj.status as object | undefined),
        egressNode: desired.egressNode,
        egressIP: desired.egressIP,
        conditions: assigned ? [assigned, ...others] : others,
      },
    };
    try {
      await custom.replaceClusterCustomObjectStatus({ ...EGRESS_RESOURCE, name, body });
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 409 && attempt < CONFLICT_RETRIES) continue;
      if (err instanceof ApiException && err.code === 404) return false;
      throw err;
    }
  }
}
