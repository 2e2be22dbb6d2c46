// controlplane.antrea.io/v1beta2: the policies and groups the antrea-controller computes and every agent
// realizes (NetworkPolicy, AddressGroup, AppliedToGroup; see images/api/controlplane.ts for the fields). Antrea
// serves them read-only from its aggregated API; here they are stored objects written by the controller. Columns
// follow `antctl get networkpolicy|addressgroup|appliedtogroup`, plus the published span and realization.
// Agents report realization by a strategic merge patch of networkpolicies/<name>/status whose status.nodes
// merges by nodeName, so each agent writes only its own entry.
import { type FieldError, fieldErr } from "../errors.ts";
import { arr, isObject, type KubeObject, num, obj, str } from "../object.ts";
import { ageColumn, column, pathColumn } from "./columns.ts";
import { withMetadata } from "./patch-schemas.ts";
import { ALL_VERBS, type ColumnDef, type ResourceDef } from "./types.ts";

const controlplane = {
  group: "controlplane.antrea.io",
  version: "v1beta2",
  categories: [],
  verbs: ALL_VERBS,
  shortNames: [],
  namespaced: false,
} as const;

/** antctl's list cells: sorted, comma-joined, cut at 50 characters with ` + N more...`. */
export function summarize(values: readonly string[], max = 50): string | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort();
  let out = "";
  for (const [i, v] of sorted.entries()) {
    const next = i === 0 ? v : `,${v}`;
    if (i > 0 && out.length + next.length > max) return `${out} + ${sorted.length - i} more...`;
    out += next;
  }
  return out;
}

function strings(v: unknown): string[] {
  return arr(v).filter((x): x is string => typeof x === "string");
}

const spanColumn: ColumnDef = column("Span", (o) => summarize(strings(o.span)), {
  priority: 1,
  description: "Nodes that need the object.",
});

function source(o: KubeObject): string | undefined {
  const ref = obj(o.sourceRef);
  const type = str(ref.type);
  if (!type) return undefined;
  const ns = str(ref.namespace);
  return ns ? `${type}:${ns}/${str(ref.name) ?? ""}` : `${type}:${str(ref.name) ?? ""}`;
}

function memberIPs(o: KubeObject, member: "pod" | "node"): string[] {
  return arr(o.groupMembers)
    .filter((m) => isObject(m) && isObject(m[member]))
    .flatMap((m) => strings(obj(m).ips));
}

const DIRECTIONS = ["In", "Out"];
const ACTIONS = ["Allow", "Drop", "Reject", "Pass"];

function validateStrings(field: string, v: unknown): FieldError[] {
  if (v === undefined) return [];
  return Array.isArray(v) && v.every((x) => typeof x === "string")
    ? []
    : [fieldErr.invalid(field, v, "must be a list of strings")];
}

function validatePolicy(o: KubeObject): FieldError[] {
  const errs = [...validateStrings("appliedToGroups", o.appliedToGroups), ...validateStrings("span", o.span)];
  if (!isObject(o.sourceRef)) errs.push(fieldErr.required("sourceRef"));
  arr(o.rules).forEach((r, i) => {
    const rule = obj(r);
    if (!DIRECTIONS.includes(String(rule.direction)))
      errs.push(fieldErr.notSupported(`rules[${i}].direction`, rule.direction, DIRECTIONS));
    if (rule.action !== undefined && !ACTIONS.includes(String(rule.action)))
      errs.push(fieldErr.notSupported(`rules[${i}].action`, rule.action, ACTIONS));
  });
  return errs;
}

function validateGroup(o: KubeObject): FieldError[] {
  const errs = validateStrings("span", o.span);
  arr(o.groupMembers).forEach((m, i) => {
    if (!isObject(m) || (!isObject(m.pod) && !isObject(m.node)))
      errs.push(fieldErr.required(`groupMembers[${i}]`, "a member is a pod or a node"));
  });
  return errs;
}

export const controlplaneNetworkPolicy: ResourceDef = {
  ...controlplane,
  kind: "NetworkPolicy",
  plural: "networkpolicies",
  singular: "networkpolicy",
  statusSubresource: true,
  columns: [
    column("Source", source, { description: "The policy this one is computed from." }),
    column("Rules", (o) => arr(o.rules).length, { type: "integer" }),
    column("Applied-To", (o) => summarize(strings(o.appliedToGroups))),
    pathColumn("Tier-Priority", "tierPriority", { type: "integer" }),
    pathColumn("Priority", "priority", { type: "number" }),
    pathColumn("Phase", "status.phase", { description: "Realization on the Nodes of the span." }),
    column(
      "Nodes-Realized",
      (o) => {
        const s = obj(o.status);
        const cur = num(s.currentNodesRealized);
        const want = num(s.desiredNodesRealized);
        return cur === undefined || want === undefined ? undefined : `${cur}/${want}`;
      },
      { priority: 1 },
    ),
    spanColumn,
    ageColumn,
  ],
  // The harness finds the object of a policy by its source (the name is the source's uid).
  fieldSelectors: ["sourceRef.type", "sourceRef.namespace", "sourceRef.name", "sourceRef.uid"],
  patchSchema: withMetadata({ status: { fields: { nodes: { mergeKey: "nodeName" } } } }),
  validate: validatePolicy,
};

export const addressGroup: ResourceDef = {
  ...controlplane,
  kind: "AddressGroup",
  plural: "addressgroups",
  singular: "addressgroup",
  statusSubresource: false,
  columns: [
    column("Pod-IPs", (o) => summarize(memberIPs(o, "pod"))),
    column("Node-IPs", (o) => summarize(memberIPs(o, "node"))),
    spanColumn,
    ageColumn,
  ],
  patchSchema: withMetadata(),
  validate: validateGroup,
};

export const appliedToGroup: ResourceDef = {
  ...controlplane,
  kind: "AppliedToGroup",
  plural: "appliedtogroups",
  singular: "appliedtogroup",
  statusSubresource: false,
  columns: [
    column("Pods", (o) =>
      summarize(
        arr(o.groupMembers)
          .map((m) => obj(obj(m).pod))
          .filter((p) => str(p.name))
          .map((p) => `${str(p.namespace) ?? ""}/${str(p.name) ?? ""}`),
      ),
    ),
    spanColumn,
    ageColumn,
  ],
  patchSchema: withMetadata(),
  validate: validateGroup,
};

export const controlplaneKinds: readonly ResourceDef[] = [
  controlplaneNetworkPolicy,
  addressGroup,
  appliedToGroup,
];
