// Egress and ExternalIPPool (crd.antrea.io/v1beta1): what controller and agents both read from the API.
import { z } from "zod";
import { CRD_GROUP, CRD_VERSION } from "./crd-policy.ts";

export const EGRESS_RESOURCE = { group: CRD_GROUP, version: CRD_VERSION, plural: "egresses" } as const;
export const POOL_RESOURCE = { group: CRD_GROUP, version: CRD_VERSION, plural: "externalippools" } as const;

/** A status condition (IPAllocated, IPAssigned) as the API holds it. */
export const conditionSchema = z.object({
  type: z.string(),
  status: z.enum(["True", "False", "Unknown"]),
  lastTransitionTime: z.string().optional(),
  reason: z.string().optional(),
  message: z.string().optional(),
});
export type EgressCondition = z.output<typeof conditionSchema>;
