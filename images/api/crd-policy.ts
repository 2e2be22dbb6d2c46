// crd.antrea.io/v1beta1 policy kinds as the antrea-controller reads them: ClusterNetworkPolicy (ACNP),
// NetworkPolicy (ANNP), Tier, ClusterGroup and Group (pkg/apis/crd/v1beta1/types.go). The schemas keep the fields
// the controller acts on and drop the rest; objects come from the API, so they are parsed, not trusted.
import { z } from "zod";

export const CRD_GROUP = "crd.antrea.io";
export const CRD_VERSION = "v1beta1";

export const CRD_RESOURCES = {
  clusterNetworkPolicy: "clusternetworkpolicies",
  networkPolicy: "networkpolicies",
  tier: "tiers",
  clusterGroup: "clustergroups",
  group: "groups",
} as const;

/** The Tiers the antrea-controller creates at startup (pkg/controller/networkpolicy/tier.go). */
export const STATIC_TIERS: readonly { name: string; displayName: string; priority: number }[] = [
  { name: "emergency", displayName: "Emergency", priority: 50 },
  { name: "securityops", displayName: "SecurityOps", priority: 100 },
  { name: "networkops", displayName: "NetworkOps", priority: 150 },
  { name: "platform", displayName: "Platform", priority: 200 },
  { name: "application", displayName: "Application", priority: 250 },
  { name: "baseline", displayName: "Baseline", priority: 253 },
];

/** Policies without a tier belong to the Application tier. */
export const DEFAULT_TIER_PRIORITY = 250;

export const labelSelectorSchema = z.object({
  matchLabels: z.record(z.string(), z.string()).optional(),
  matchExpressions: z
    .array(
      z.object({
        key: z.string(),
        operator: z.enum(["In", "NotIn", "Exists", "DoesNotExist"]),
        values: z.array(z.string()).optional(),
      }),
    )
    .optional(),
});
export type LabelSelector = z.output<typeof labelSelectorSchema>;

const protocolSchema = z.enum(["TCP", "UDP", "SCTP"]);

const portSchema = z.object({
  protocol: protocolSchema.optional(),
  port: z.union([z.number().int(), z.string()]).optional(),
  endPort: z.number().int().optional(),
});

const appliedToSchema = z.object({
  podSelector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
  group: z.string().optional(),
});

const peerSchema = z.object({
  podSelector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
  nodeSelector: labelSelectorSchema.optional(),
  ipBlock: z.object({ cidr: z.string() }).optional(),
  group: z.string().optional(),
});
export type AntreaPeer = z.output<typeof peerSchema>;
export type AntreaAppliedTo = z.output<typeof appliedToSchema>;

const ruleSchema = z.object({
  action: z.enum(["Allow", "Drop", "Reject", "Pass"]),
  name: z.string().optional(),
  enableLogging: z.boolean().optional(),
  appliedTo: z.array(appliedToSchema).optional(),
  from: z.array(peerSchema).optional(),
  to: z.array(peerSchema).optional(),
  ports: z.array(portSchema).optional(),
});
export type AntreaRule = z.output<typeof ruleSchema>;

/** spec of an ACNP or ANNP. */
export const antreaPolicySpecSchema = z.object({
  tier: z.string().optional(),
  priority: z.number(),
  appliedTo: z.array(appliedToSchema).optional(),
  ingress: z.array(ruleSchema).optional(),
  egress: z.array(ruleSchema).optional(),
});
export type AntreaPolicySpec = z.output<typeof antreaPolicySpecSchema>;

export const tierSpecSchema = z.object({
  priority: z.number().int(),
  description: z.string().optional(),
});

/** spec of a ClusterGroup or Group: one of selectors, ipBlocks or childGroups (serviceReference is not acted on). */
export const groupSpecSchema = z.object({
  podSelector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
  ipBlocks: z.array(z.object({ cidr: z.string() })).optional(),
  childGroups: z.array(z.string()).optional(),
});
export type GroupSpec = z.output<typeof groupSpecSchema>;

export interface NetworkPolicyCondition {
  type: string;
  status: "True" | "False" | "Unknown";
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** status of an ACNP or ANNP, written by the controller from the agents' reports. */
export interface AntreaPolicyStatus {
  phase: "Pending" | "Realizing" | "Realized" | "Failed";
  observedGeneration: number;
  currentNodesRealized: number;
  desiredNodesRealized: number;
  conditions?: NetworkPolicyCondition[];
}

export const antreaPolicyStatusSchema: z.ZodType<AntreaPolicyStatus> = z.object({
  phase: z.enum(["Pending", "Realizing", "Realized", "Failed"]),
  observedGeneration: z.number().int(),
  currentNodesRealized: z.number().int(),
  desiredNodesRealized: z.number().int(),
  conditions: z
    .array(
      z.object({
        type: z.string(),
        status: z.enum(["True", "False", "Unknown"]),
        lastTransitionTime: z.string().optional(),
        reason: z.string().optional(),
        message: z.string().optional(),
      }),
    )
    .optional(),
});
