// controlplane.antrea.io/v1beta2: what the antrea-controller computes from K8s and Antrea-native NetworkPolicies
// and what every agent realizes. Field names follow Antrea's pkg/apis/controlplane/v1beta2/types.go. Antrea serves
// these objects from its own aggregated API; here they are ordinary stored objects, which forces three differences:
// - IP addresses are dotted strings ("10.10.1.5"); Antrea's JSON carries them as base64-encoded bytes.
// - `span` (the Nodes that need an object) is published; Antrea keeps it internal and filters watches by Node.
// - Agents report realization by patching the `status` subresource of the NetworkPolicy (see nodeStatusPatch)
//   instead of POSTing a NetworkPolicyStatus to networkpolicies/<name>/status.
//
// How an agent consumes them: watch the three kinds and keep the objects whose `span` contains its Node name
// (Antrea's controller filters the watch by Node instead). An AppliedToGroup lists all its Pods; the local ones
// are those the agent has interfaces for. A rule without `appliedToGroups` applies to the policy's. Once a
// policy's flows are installed, report `metadata.generation` with nodeStatusPatch.
// How a harness waits for a policy: on the controlplane NetworkPolicy found by field selector
// `sourceRef.namespace=NS,sourceRef.name=NAME`, status.phase == Realized and status.observedGeneration equal to
// the source policy's metadata.generation (ACNPs/ANNPs also carry Antrea's status with the same meaning).
import { z } from "zod";

export const CONTROLPLANE_GROUP = "controlplane.antrea.io";
export const CONTROLPLANE_VERSION = "v1beta2";
export const CONTROLPLANE_API_VERSION = `${CONTROLPLANE_GROUP}/${CONTROLPLANE_VERSION}`;

/** Resource names (plurals) of the three kinds; all are cluster-scoped. */
export const CONTROLPLANE_RESOURCES = {
  networkPolicy: "networkpolicies",
  addressGroup: "addressgroups",
  appliedToGroup: "appliedtogroups",
} as const;

export type Protocol = "TCP" | "UDP" | "SCTP";
export type Direction = "In" | "Out";
export type RuleAction = "Allow" | "Drop" | "Reject" | "Pass";
export type NetworkPolicyType = "K8sNetworkPolicy" | "AntreaClusterNetworkPolicy" | "AntreaNetworkPolicy";

/** An IP network; `ip` is a dotted string here (base64 bytes in Antrea's JSON). */
export interface IPNet {
  ip: string;
  prefixLength: number;
}

export interface IPBlock {
  cidr: IPNet;
  except?: IPNet[];
}

/** A named container port of a Pod, used by agents to resolve rules whose port is a name. */
export interface NamedPort {
  name: string;
  port: number;
  protocol: Protocol;
}

export interface PodReference {
  name: string;
  namespace: string;
}

export interface NodeReference {
  name: string;
}

/** A Pod (or, for nodeSelector peers, a Node) selected by a group. */
export interface GroupMember {
  pod?: PodReference;
  node?: NodeReference;
  /** Dotted IP strings (base64 bytes in Antrea's JSON); the field name is Antrea's. */
  ips?: string[];
  ports?: NamedPort[];
}

export interface NetworkPolicyPeer {
  addressGroups?: string[];
  ipBlocks?: IPBlock[];
}

/** A port (number or named port) or port range on a protocol; no port means all ports. */
export interface Service {
  protocol?: Protocol;
  port?: number | string;
  endPort?: number;
}

export interface NetworkPolicyRule {
  direction: Direction;
  /** Ingress peers; empty for egress rules. A rule whose peer is empty matches nothing (isolation only). */
  from: NetworkPolicyPeer;
  to: NetworkPolicyPeer;
  services?: Service[];
  /** Index of the rule within its direction for Antrea-native policies, -1 for K8s NetworkPolicy rules. */
  priority?: number;
  /** Unset for the isolation ("default deny") rules of K8s NetworkPolicies. */
  action?: RuleAction;
  enableLogging: boolean;
  /** Set when the rule applies to other groups than the policy (Antrea-native per-rule appliedTo). */
  appliedToGroups?: string[];
  name?: string;
}

export interface NetworkPolicyReference {
  type: NetworkPolicyType;
  namespace?: string;
  name: string;
  uid: string;
}

/** One Node's realization report, written by that Node's agent. */
export interface NetworkPolicyNodeStatus {
  nodeName: string;
  /** The NetworkPolicy's metadata.generation the Node has realized. */
  generation: number;
  realizationFailure?: boolean;
  message?: string;
}

export type RealizationPhase = "Pending" | "Realizing" | "Realized" | "Failed";

/**
 * Realization of a controlplane NetworkPolicy. Agents own `nodes` (each its own entry); the controller owns the
 * summary fields, computed over the Nodes in `span`.
 */
export interface ControlplaneNetworkPolicyStatus {
  phase?: RealizationPhase;
  /** metadata.generation of the source policy (K8s/Antrea NetworkPolicy) the summary describes. */
  observedGeneration?: number;
  currentNodesRealized?: number;
  desiredNodesRealized?: number;
  nodes?: NetworkPolicyNodeStatus[];
}

export interface ObjectMetadata {
  name: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
}

export interface ControlplaneNetworkPolicy {
  apiVersion?: string;
  kind?: string;
  /** metadata.name is the uid of the source policy, as in Antrea. */
  metadata: ObjectMetadata;
  rules: NetworkPolicyRule[];
  /** All AppliedToGroups of the policy (policy-level and per-rule), sorted. */
  appliedToGroups: string[];
  /** Policy priority (Antrea-native only; lower is evaluated first). */
  priority?: number;
  /** Priority of the policy's Tier (Antrea-native only). */
  tierPriority?: number;
  sourceRef: NetworkPolicyReference;
  /** Nodes hosting Pods the policy applies to, sorted. */
  span: string[];
  status?: ControlplaneNetworkPolicyStatus;
}

export interface AddressGroup {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetadata;
  groupMembers: GroupMember[];
  /** Union of the spans of the policies using the group, sorted. */
  span: string[];
}

export interface AppliedToGroup {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMetadata;
  /** Pods scheduled to a Node; IPs are included when the Pod has them. */
  groupMembers: GroupMember[];
  /** Nodes of the member Pods, sorted. */
  span: string[];
}

// ---- schemas for reading the objects from the API ----

const protocolSchema = z.enum(["TCP", "UDP", "SCTP"]);
const ipNetSchema: z.ZodType<IPNet> = z.object({
  ip: z.string(),
  prefixLength: z.number().int().min(0).max(128),
});
const ipBlockSchema: z.ZodType<IPBlock> = z.object({
  cidr: ipNetSchema,
  except: z.array(ipNetSchema).optional(),
});

export const groupMemberSchema: z.ZodType<GroupMember> = z.object({
  pod: z.object({ name: z.string(), namespace: z.string() }).optional(),
  node: z.object({ name: z.string() }).optional(),
  ips: z.array(z.string()).optional(),
  ports: z.array(z.object({ name: z.string(), port: z.number().int(), protocol: protocolSchema })).optional(),
});

const peerSchema: z.ZodType<NetworkPolicyPeer> = z.object({
  addressGroups: z.array(z.string()).optional(),
  ipBlocks: z.array(ipBlockSchema).optional(),
});

const ruleSchema: z.ZodType<NetworkPolicyRule> = z.object({
  direction: z.enum(["In", "Out"]),
  from: peerSchema.default({}),
  to: peerSchema.default({}),
  services: z
    .array(
      z.object({
        protocol: protocolSchema.optional(),
        port: z.union([z.number().int(), z.string()]).optional(),
        endPort: z.number().int().optional(),
      }),
    )
    .optional(),
  priority: z.number().int().optional(),
  action: z.enum(["Allow", "Drop", "Reject", "Pass"]).optional(),
  enableLogging: z.boolean().default(false),
  appliedToGroups: z.array(z.string()).optional(),
  name: z.string().optional(),
});

export const nodeStatusSchema: z.ZodType<NetworkPolicyNodeStatus> = z.object({
  nodeName: z.string(),
  generation: z.number().int(),
  realizationFailure: z.boolean().optional(),
  message: z.string().optional(),
});

const metadataSchema: z.ZodType<ObjectMetadata> = z.object({
  name: z.string(),
  uid: z.string().optional(),
  resourceVersion: z.string().optional(),
  generation: z.number().int().optional(),
  creationTimestamp: z.string().optional(),
});

const spanSchema = z.array(z.string()).default([]);

export const controlplaneNetworkPolicySchema: z.ZodType<ControlplaneNetworkPolicy> = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: metadataSchema,
  rules: z.array(ruleSchema).default([]),
  appliedToGroups: z.array(z.string()).default([]),
  priority: z.number().optional(),
  tierPriority: z.number().int().optional(),
  sourceRef: z.object({
    type: z.enum(["K8sNetworkPolicy", "AntreaClusterNetworkPolicy", "AntreaNetworkPolicy"]),
    namespace: z.string().optional(),
    name: z.string(),
    uid: z.string(),
  }),
  span: spanSchema,
  status: z
    .object({
      phase: z.enum(["Pending", "Realizing", "Realized", "Failed"]).optional(),
      observedGeneration: z.number().int().optional(),
      currentNodesRealized: z.number().int().optional(),
      desiredNodesRealized: z.number().int().optional(),
      nodes: z.array(nodeStatusSchema).optional(),
    })
    .optional(),
});

export const addressGroupSchema: z.ZodType<AddressGroup> = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: metadataSchema,
  groupMembers: z.array(groupMemberSchema).default([]),
  span: spanSchema,
});

export const appliedToGroupSchema: z.ZodType<AppliedToGroup> = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: metadataSchema,
  groupMembers: z.array(groupMemberSchema).default([]),
  span: spanSchema,
});

// ---- how agents report realization ----

/**
 * The body of a strategic merge patch (`application/strategic-merge-patch+json`) on
 * `/apis/controlplane.antrea.io/v1beta2/networkpolicies/<name>/status` that sets this Node's entry of
 * status.nodes and leaves every other Node's entry (and the controller's summary) alone: status.nodes merges by
 * `nodeName`. `generation` is the policy's metadata.generation the agent has realized. The failure fields are
 * always sent, so that a success report clears an earlier failure (a merge keeps fields the patch omits).
 */
export function nodeStatusPatch(status: NetworkPolicyNodeStatus): {
  status: { nodes: NetworkPolicyNodeStatus[] };
} {
  const entry = {
    nodeName: status.nodeName,
    generation: status.generation,
    realizationFailure: status.realizationFailure ?? false,
    message: status.message ?? "",
  };
  return { status: { nodes: [entry] } };
}

/** `K8sNetworkPolicy:default/web`, or `AntreaClusterNetworkPolicy:name` for cluster-scoped policies (antctl's SOURCE). */
export function formatSourceRef(ref: Pick<NetworkPolicyReference, "type" | "namespace" | "name">): string {
  return ref.namespace ? `${ref.type}:${ref.namespace}/${ref.name}` : `${ref.type}:${ref.name}`;
}
