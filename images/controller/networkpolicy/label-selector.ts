// metav1.LabelSelector evaluation, and its canonical text as apimachinery's labels.Selector.String() prints it:
// requirements sorted by key, set values sorted and de-duplicated (`app=web,tier in (a,b),!legacy`). The text
// is part of the normalized group name that Antrea hashes into AddressGroup/AppliedToGroup names.
import type { LabelSelector } from "../../api/crd-policy.ts";

type Labels = Readonly<Record<string, string>> | undefined;

interface Requirement {
  key: string;
  operator: "=" | "in" | "notin" | "exists" | "!exists";
  values: string[];
}

const OPERATORS = { In: "in", NotIn: "notin", Exists: "exists", DoesNotExist: "!exists" } as const;

function requirements(sel: LabelSelector): Requirement[] {
  const reqs: Requirement[] = Object.entries(sel.matchLabels ?? {}).map(([key, value]) => ({
    key,
    operator: "=",
    values: [value],
  }));
  for (const e of sel.matchExpressions ?? []) {
    reqs.push({ key: e.key, operator: OPERATORS[e.operator], values: [...new Set(e.values ?? [])].sort() });
  }
  return reqs.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function requirementText(r: Requirement): string {
  switch (r.operator) {
    case "=":
      return `${r.key}=${r.values[0] ?? ""}`;
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${r.values.join(",")})`;
    case "exists":
      return r.key;
    case "!exists":
      return `!${r.key}`;
  }
}

/** labels.Selector.String(); the empty selector (which selects everything) prints as "". */
export function selectorText(sel: LabelSelector): string {
  return requirements(sel).map(requirementText).join(",");
}

function requirementMatches(r: Requirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "=":
      return has && value === r.values[0];
    case "in":
      return has && r.values.includes(value ?? "");
    case "notin":
      return !has || !r.values.includes(value ?? "");
    case "exists":
      return has;
    case "!exists":
      return !has;
  }
}

export function selectorMatches(sel: LabelSelector, labels: Labels): boolean {
  return requirements(sel).every((r) => requirementMatches(r, labels));
}
