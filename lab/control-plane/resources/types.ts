// A resource kind declared as data: identity and discovery facts, Table columns, and the admission hooks
// (defaulting/allocation in `mutate`, checks in `validate`). Adding behaviour for a kind means editing its
// one ResourceDef; the API server applies the hooks uniformly on create, update, patch and apply.
import type { FieldError } from "../errors.ts";
import type { KubeObject } from "../object.ts";
import type { PatchSchema } from "../patch/strategic-merge.ts";

export type Verb = "create" | "delete" | "deletecollection" | "get" | "list" | "patch" | "update" | "watch";

export const ALL_VERBS: readonly Verb[] = [
  "create",
  "delete",
  "deletecollection",
  "get",
  "list",
  "patch",
  "update",
  "watch",
];

export interface ColumnDef {
  /** Header as Kubernetes declares it (`Cluster-IP`); kubectl upper-cases it. */
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description?: string;
  /** 0 = always shown, >0 = only with `-o wide`. */
  priority: number;
  /** The cell value; undefined/null prints as `<none>`. */
  cell: (o: KubeObject, now: Date) => unknown;
}

/** What admission hooks may see of the cluster besides the object itself. */
export interface AdmissionContext {
  operation: "CREATE" | "UPDATE";
  /** The stored object before this write (UPDATE only). */
  old?: KubeObject;
  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined;
  list(resource: string, namespace?: string): KubeObject[];
  /** The Service ClusterIP range, e.g. `10.96.0.0/16`. */
  serviceCIDR: string;
  now: Date;
}

export type NameRule = "subdomain" | "label" | "dns1035";

export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  namespaced: boolean;
  categories: readonly string[];
  verbs: readonly Verb[];
  /** Has a `/status` subresource: main-resource writes keep the stored status, `/status` writes only status. */
  statusSubresource: boolean;
  /** Has a `/scale` subresource (autoscaling/v1 Scale over spec.replicas, status.replicas, spec.selector). */
  scaleSubresource?: boolean;
  /** A create may set status although the kind has a status subresource (Nodes register with theirs). */
  keepStatusOnCreate?: boolean;
  /** How metadata.name is validated (default: DNS-1123 subdomain). */
  nameRule?: NameRule;
  /** Table columns after NAME (include the Age column where the kind shows it). */
  columns: readonly ColumnDef[];
  /** The columns carry their own Name column (Events print LAST SEEN first), so none is prepended. */
  ownNameColumn?: boolean;
  /** Field selectors besides metadata.name and metadata.namespace. */
  fieldSelectors?: readonly string[];
  /** Strategic-merge strategies; a kind without one only accepts JSON/merge/apply patches (like a CRD). */
  patchSchema?: PatchSchema;
  /** PUT on a missing object creates it. */
  allowCreateOnUpdate?: boolean;
  /** Defaulting and allocation; runs before validation and may reject with field errors. */
  mutate?: (o: KubeObject, ctx: AdmissionContext) => FieldError[] | undefined;
  /** Checks beyond the common metadata checks. */
  validate?: (o: KubeObject, ctx: AdmissionContext) => FieldError[];
  /** Default grace period for deletion (objects then stay until deleted again with 0, e.g. by a kubelet). */
  gracePeriodSeconds?: (o: KubeObject) => number;
}

export function resourceKey(def: Pick<ResourceDef, "group" | "plural">): string {
  return def.group ? `${def.plural}.${def.group}` : def.plural;
}

export function groupVersion(def: Pick<ResourceDef, "group" | "version">): string {
  return def.group ? `${def.group}/${def.version}` : def.version;
}
