// Egress and ExternalIPPool (crd.antrea.io/v1beta1) as the agent reads them: objects come from the API, so they
// are parsed, and only the fields the agent acts on are kept. Pool IP ranges are the controller's business; the
// agent trusts its IPAllocated condition.
import { z } from "zod";
import { labelSelectorSchema } from "../../api/crd-policy.ts";
import { conditionSchema, type EgressCondition } from "../../api/egress.ts";

export { conditionSchema, EGRESS_RESOURCE, type EgressCondition, POOL_RESOURCE } from "../../api/egress.ts";

export const egressStatusSchema = z.object({
  egressNode: z.string().optional(),
  egressIP: z.string().optional(),
  conditions: z.array(conditionSchema).optional(),
});
export type EgressStatus = z.output<typeof egressStatusSchema>;

export const egressSchema = z.object({
  metadata: z.object({
    name: z.string(),
    creationTimestamp: z.string().optional(),
  }),
  spec: z.object({
    appliedTo: z
      .object({
        podSelector: labelSelectorSchema.optional(),
        namespaceSelector: labelSelectorSchema.optional(),
      })
      .optional(),
    egressIP: z.string().optional(),
    externalIPPool: z.string().optional(),
  }),
  status: egressStatusSchema.optional(),
});
export type Egress = z.output<typeof egressSchema>;

export const poolSchema = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z.object({ nodeSelector: labelSelectorSchema.optional() }),
});
export type ExternalIPPool = z.output<typeof poolSchema>;

/** Set by the agent that holds the IP (pkg/agent/controller/egress). */
export const IP_ASSIGNED = "IPAssigned";
/** Set by the antrea-controller once spec.egressIP is known to belong to the pool. */
export const IP_ALLOCATED = "IPAllocated";

export const ASSIGNED_CONDITION = {
  type: IP_ASSIGNED,
  status: "True",
  reason: "Assigned",
  message: "EgressIP is successfully assigned to EgressNode",
} as const;

export function assignmentError(err: string): EgressCondition {
  return {
    type: IP_ASSIGNED,
    status: "False",
    reason: "AssignmentError",
    message: `Failed to assign the IP to EgressNode: ${err}`,
  };
}

/** Parses what the API returned; undefined for objects the agent cannot use. */
export function parseEgress(o: unknown): Egress | undefined {
  const parsed = egressSchema.safeParse(o);
  return parsed.success ? parsed.data : undefined;
}

export function parsePool(o: unknown): ExternalIPPool | undefined {
  const parsed = poolSchema.safeParse(o);
  return parsed.success ? parsed.data : undefined;
}

export function findCondition(status: EgressStatus | undefined, type: string): EgressCondition | undefined {
  return status?.conditions?.find((c) => c.type === type);
}
