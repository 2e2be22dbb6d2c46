// Antrea's GroupSelector (pkg/controller/types/group.go): which Pods (or Nodes) a group selects, and the
// normalized name that identifies equal selectors so that policies share their groups.
import type { LabelSelector } from "../../api/crd-policy.ts";
import { selectorMatches, selectorText } from "./label-selector.ts";

export interface GroupSelector {
  /** Pods of this Namespace only; never set together with namespaceSelector. */
  namespace?: string;
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  /** Selects Nodes (their IPs) instead of Pods; set alone. */
  nodeSelector?: LabelSelector;
}

/**
 * NewGroupSelector: without a namespaceSelector the Pods are looked for in `namespace` (the policy's, or "" for
 * all Namespaces in cluster-scoped policies).
 */
export function newGroupSelector(
  namespace: string,
  podSelector: LabelSelector | undefined,
  namespaceSelector: LabelSelector | undefined,
): GroupSelector {
  const sel: GroupSelector = {};
  if (podSelector) sel.podSelector = podSelector;
  if (namespaceSelector) sel.namespaceSelector = namespaceSelector;
  else if (namespace) sel.namespace = namespace;
  return sel;
}

/** GenerateNormalizedName: e.g. `namespace=default And podSelector=app=nginx` (parts sorted). */
export function normalizedName(sel: GroupSelector): string {
  const parts: string[] = [];
  if (sel.namespaceSelector) parts.push(`namespaceSelector=${selectorText(sel.namespaceSelector)}`);
  else if (sel.namespace) parts.push(`namespace=${sel.namespace}`);
  if (sel.podSelector) parts.push(`podSelector=${selectorText(sel.podSelector)}`);
  if (sel.nodeSelector) parts.push(`nodeSelector=${selectorText(sel.nodeSelector)}`);
  return parts.sort().join(" And ");
}

export interface PodFacts {
  namespace: string;
  labels: Readonly<Record<string, string>> | undefined;
  namespaceLabels: Readonly<Record<string, string>> | undefined;
}

export function selectsPod(sel: GroupSelector, pod: PodFacts): boolean {
  if (sel.nodeSelector) return false;
  if (sel.namespace !== undefined && sel.namespace !== pod.namespace) return false;
  if (sel.namespaceSelector && !selectorMatches(sel.namespaceSelector, pod.namespaceLabels)) return false;
  return sel.podSelector ? selectorMatches(sel.podSelector, pod.labels) : true;
}

export function selectsNode(
  sel: GroupSelector,
  nodeLabels: Readonly<Record<string, string>> | undefined,
): boolean {
  return sel.nodeSelector !== undefined && selectorMatches(sel.nodeSelector, nodeLabels);
}
