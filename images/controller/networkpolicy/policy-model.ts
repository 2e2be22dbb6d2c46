// What translating one source policy produces, and what translation may look up in the cluster.
import type { NetworkPolicyReference, NetworkPolicyRule, NetworkPolicyType } from "../../api/controlplane.ts";
import type { GroupSpec } from "../../api/crd-policy.ts";
import type { GroupSelector } from "./group-selector.ts";

/** Where a group's members come from. */
export type GroupSource =
  | { type: "selector"; selector: GroupSelector }
  /** A ClusterGroup ("" namespace) or a Group, including its childGroups. */
  | { type: "groupRef"; namespace: string; name: string };

/** Identifies a source policy: K8s NetworkPolicy, ACNP or ANNP. */
export interface PolicyKey {
  type: NetworkPolicyType;
  namespace?: string;
  name: string;
}

export function policyKeyString(k: PolicyKey): string {
  return k.namespace ? `${k.type}/${k.namespace}/${k.name}` : `${k.type}/${k.name}`;
}

/** The controller-owned fields of a controlplane NetworkPolicy, except span (which depends on the groups). */
export interface PolicyBody {
  rules: NetworkPolicyRule[];
  appliedToGroups: string[];
  priority?: number;
  tierPriority?: number;
  sourceRef: NetworkPolicyReference;
}

export interface ComputedPolicy {
  key: PolicyKey;
  /** Name of the controlplane object: the source policy's uid. */
  name: string;
  body: PolicyBody;
  /** Group name -> where its members come from. */
  appliedToGroups: Map<string, GroupSource>;
  addressGroups: Map<string, GroupSource>;
}

/** Cluster facts translation depends on besides the policy itself. */
export interface TranslationContext {
  tierPriority(tier: string | undefined): number;
  /** A ClusterGroup (namespace "") or Group spec; undefined if absent or unreadable. */
  groupSpec(namespace: string, name: string): GroupSpec | undefined;
  namespaceAnnotations(namespace: string): Readonly<Record<string, string>> | undefined;
}
