// coordination.k8s.io/v1 Lease (node heartbeats, leader election).
import { obj, str } from "../object.ts";
import { ageColumn, column } from "./columns.ts";
import { withMetadata } from "./patch-schemas.ts";
import { ALL_VERBS, type ResourceDef } from "./types.ts";

export const lease: ResourceDef = {
  group: "coordination.k8s.io",
  version: "v1",
  kind: "Lease",
  plural: "leases",
  singular: "lease",
  shortNames: [],
  namespaced: true,
  categories: [],
  verbs: ALL_VERBS,
  statusSubresource: false,
  columns: [column("Holder", (o) => str(obj(o.spec).holderIdentity) ?? ""), ageColumn],
  patchSchema: withMetadata(),
};
