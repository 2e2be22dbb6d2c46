// Egress and ExternalIPPool (crd.antrea.io/v1beta1) as the antrea-controller reads them: the fields allocation
// needs, parsed from untrusted API JSON. Egress status beyond the conditions belongs to the agents.
import { z } from "zod";
import { conditionSchema, type EgressCondition } from "../../api/egress.ts";

export { conditionSchema, EGRESS_RESOURCE, POOL_RESOURCE } from "../../api/egress.ts";
export type Condition = EgressCondition;

export const egressSchema = z.object({
  metadata: z.object({ name: z.string(), creationTimestamp: z.string().optional() }),
  spec: z.object({ egressIP: z.string().optional(), externalIPPool: z.string().optional() }),
  status: z.object({ conditions: z.array(conditionSchema).optional() }).optional(),
});
export type Egress = z.output<typeof egressSchema>;

export const poolSchema = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z.object({
    ipRanges: z.array(
      z.object({ cidr: z.string().optional(), start: z.string().optional(), end: z.string().optional() }),
    ),
  }),
  status: z.object({ usage: z.object({ total: z.number(), used: z.number() }).optional() }).optional(),
});
export type ExternalIPPool = z.output<typeof poolSchema>;

export const IP_ALLOCATED = "IPAllocated";

/** Antrea's IPAllocated condition for an allocation result (updateEgressAllocatedCondition). */
export function allocatedCondition(error: string | undefined): Condition {
  return error === undefined
    ? {
        type: IP_ALLOCATED,
        status: "True",
        reason: "Allocated",
        message: "EgressIP is successfully allocated",
      }
    : {
        type: IP_ALLOCATED,
        status: "False",
        reason: "AllocationError",
        message: `Cannot allocate EgressIP from ExternalIPPool: ${error}`,
      };
}
