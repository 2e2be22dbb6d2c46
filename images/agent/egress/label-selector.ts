// metav1.LabelSelector matching, for Egress appliedTo and ExternalIPPool nodeSelector: every matchLabels entry and
// every matchExpressions requirement must hold; the empty selector matches everything.
import type { LabelSelector } from "../../api/crd-policy.ts";

type Labels = Readonly<Record<string, string>> | undefined;

function requirementHolds(
  e: NonNullable<LabelSelector["matchExpressions"]>[number],
  labels: Record<string, string>,
): boolean {
  const has = Object.hasOwn(labels, e.key);
  const values = e.values ?? [];
  switch (e.operator) {
    case "In":
      return has && values.includes(labels[e.key]!);
    case "NotIn":
      return !has || !values.includes(labels[e.key]!);
    case "Exists":
      return has;
    case "DoesNotExist":
      return !has;
  }
}

export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  const l = labels ?? {};
  return (
    Object.entries(sel.matchLabels ?? {}).every(([k, v]) => Object.hasOwn(l, k) && l[k] === v) &&
    (sel.matchExpressions ?? []).every((e) => requirementHolds(e, l))
  );
}
