// `antctl get networkpolicy` in agent mode: the controlplane NetworkPolicies of this Node, with the agent's
// filters (pkg/agent/apiserver/handlers/networkpolicy) and antctl's sorting and columns
// (pkg/antctl/transform/networkpolicy).
import {
  type AppliedToGroup,
  type ControlplaneNetworkPolicy,
  formatSourceRef,
  type NetworkPolicyType,
} from "../api/controlplane.ts";
import { badRequest } from "./errors.ts";
import { sortByField } from "./sort-by.ts";
import { summarize, type TableSpec } from "./table.ts";

/** `--type` values (shorthands of the source policy's type) and the types they stand for. */
export const POLICY_TYPES = {
  K8sNP: "K8sNetworkPolicy",
  ACNP: "AntreaClusterNetworkPolicy",
  ANNP: "AntreaNetworkPolicy",
  BANP: "BaselineAdminNetworkPolicy",
  ANP: "AdminNetworkPolicy",
} as const satisfies Record<string, NetworkPolicyType | "BaselineAdminNetworkPolicy" | "AdminNetworkPolicy">;
export type PolicyTypeFlag = keyof typeof POLICY_TYPES;

/** Policy types whose policies live in a Namespace. */
export const NAMESPACED_POLICY_TYPES: readonly PolicyTypeFlag[] = ["K8sNP", "ANNP"];

export const SORT_BY_EFFECTIVE_PRIORITY = "effectivePriority";

export interface PolicyFilter {
  name?: string;
  source?: string;
  namespace?: string;
  /** `ns/pod`: policies applied to that Pod, when it is attached to this Node. */
  pod?: string;
  type?: PolicyTypeFlag;
  sortBy?: string;
}

/** What the agent answers for `filter`; `localPods` are the `ns/name` of the Pods attached here. */
export function selectPolicies(
  policies: readonly ControlplaneNetworkPolicy[],
  groups: readonly AppliedToGroup[],
  localPods: ReadonlySet<string>,
  filter: PolicyFilter,
): ControlplaneNetworkPolicy[] {
  const { name, source, namespace, pod, type } = filter;
  if (pod !== undefined) {
    if (!pod.includes("/"))
      throw badRequest("invalid pod option format. Expected format is podNamespace/podName");
    if (namespace) throw badRequest("namespace option should not be used with pod option");
  }
  if (name && (source || namespace || pod || type)) {
    throw badRequest("with a policy name, none of the other options should be set");
  }
  let selected = policies.filter(
    (p) =>
      (!name || p.metadata.name === name) &&
      (!source || p.sourceRef.name === source) &&
      (!namespace || p.sourceRef.namespace === namespace) &&
      (!type || p.sourceRef.type === POLICY_TYPES[type]),
  );
  if (pod) {
    const podGroups = new Set(
      groups
        .filter((g) => g.groupMembers.some((m) => m.pod && `${m.pod.namespace}/${m.pod.name}` === pod))
        .map((g) => g.metadata.name),
    );
    selected = localPods.has(pod)
      ? selected.filter((p) => p.appliedToGroups.some((g) => podGroups.has(g)))
      : [];
  }
  return sortPolicies(selected, filter.sortBy || ".sourceRef.name");
}

// Antrea sorts K8s NetworkPolicies between the Application tier (250) and the Baseline tier (253).
const K8S_NP_EFFECTIVE_TIER_PRIORITY = Math.trunc((250 + 253) / 2);

function sortPolicies(policies: ControlplaneNetworkPolicy[], sortBy: string): ControlplaneNetworkPolicy[] {
  if (sortBy !== SORT_BY_EFFECTIVE_PRIORITY) return sortByField(policies, sortBy);
  const tier = (p: ControlplaneNetworkPolicy) => p.tierPriority ?? K8S_NP_EFFECTIVE_TIER_PRIORITY;
  return [...policies].sort((a, b) => {
    if (tier(a) !== tier(b)) return tier(a) - tier(b);
    if (a.priority !== undefined && b.priority !== undefined && a.priority !== b.priority)
      return a.priority - b.priority;
    return a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
  });
}

export function policyTable(policies: readonly ControlplaneNetworkPolicy[]): TableSpec {
  return {
    header: ["NAME", "APPLIED-TO", "RULES", "SOURCE", "TIER-PRIORITY", "PRIORITY"],
    rows: policies.map((p) => [
      p.metadata.name,
      summarize(p.appliedToGroups),
      String(p.rules.length),
      formatSourceRef(p.sourceRef),
      p.tierPriority === undefined ? "" : String(p.tierPriority),
      p.priority === undefined ? "" : String(p.priority),
    ]),
    sortRows: false,
  };
}
