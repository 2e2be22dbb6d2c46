// apps/v1 Deployment and ReplicaSet.
import { type FieldError, fieldErr } from "../errors.ts";
import { arr, isObject, type JsonObject, type KubeObject, num, obj, str } from "../object.ts";
import { formatLabelSelector, fromLabelSelectorObject, matchesLabels } from "../selectors.ts";
import { ageColumn, column } from "./columns.ts";
import { workloadSchema } from "./patch-schemas.ts";
import { defaultPodSpec, validatePodSpec } from "./pod.ts";
import { ALL_VERBS, type ColumnDef, type ResourceDef } from "./types.ts";
import { immutable, validateLabelSelector } from "./validation.ts";

const status = (o: KubeObject, field: string) => num(obj(o.status)[field]) ?? 0;

function templateContainers(o: KubeObject, field: "name" | "image"): string {
  const containers = arr(obj(obj(obj(o.spec).template).spec).containers).filter(isObject);
  return containers.map((c) => str(c[field]) ?? "").join(",");
}

const wideColumns: ColumnDef[] = [
  column("Containers", (o) => templateContainers(o, "name"), { priority: 1 }),
  column("Images", (o) => templateContainers(o, "image"), { priority: 1 }),
  column("Selector", (o) => formatLabelSelector(obj(o.spec).selector), { priority: 1 }),
];

function defaultWorkload(o: KubeObject): JsonObject {
  const spec = obj(o.spec);
  o.spec = spec;
  spec.replicas ??= 1;
  spec.revisionHistoryLimit ??= 10;
  const template = obj(spec.template);
  if (isObject(template.spec)) defaultPodSpec(template.spec);
  return spec;
}

function validateWorkload(o: KubeObject, old: KubeObject | undefined): FieldError[] {
  const spec = obj(o.spec);
  const errs: FieldError[] = [];
  const replicas = spec.replicas;
  if (
    replicas !== undefined &&
    (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0)
  ) {
    errs.push(fieldErr.invalid("spec.replicas", replicas, "must be greater than or equal to 0"));
  }
  const selector = spec.selector;
  if (!isObject(selector) || Object.keys(selector).length === 0) {
    errs.push(fieldErr.required("spec.selector"));
  } else {
    errs.push(...validateLabelSelector("spec.selector", selector));
    const reqs = fromLabelSelectorObject(selector);
    const labels = obj(obj(spec.template).metadata).labels;
    if (reqs && reqs.length === 0) {
      errs.push(fieldErr.invalid("spec.selector", selector, "empty selector is invalid for deployment"));
    } else if (
      reqs &&
      !matchesLabels(reqs, isObject(labels) ? (labels as Record<string, string>) : undefined)
    ) {
      errs.push(
        fieldErr.invalid(
          "spec.template.metadata.labels",
          labels ?? {},
          "`selector` does not match template `labels`",
        ),
      );
    }
    if (old) errs.push(...immutable("spec.selector", selector, obj(old.spec).selector));
  }
  errs.push(...validatePodSpec("spec.template.spec", obj(spec.template).spec));
  return errs;
}

export const deployment: ResourceDef = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  plural: "deployments",
  singular: "deployment",
  shortNames: ["deploy"],
  namespaced: true,
  categories: ["all"],
  verbs: ALL_VERBS,
  statusSubresource: true,
  scaleSubresource: true,
  columns: [
    column("Ready", (o) => `${status(o, "readyReplicas")}/${num(obj(o.spec).replicas) ?? 0}`),
    column("Up-to-date", (o) => status(o, "updatedReplicas"), { type: "integer" }),
    column("Available", (o) => status(o, "availableReplicas"), { type: "integer" }),
    ageColumn,
    ...wideColumns,
  ],
  patchSchema: workloadSchema,
  mutate: (o) => {
    const spec = defaultWorkload(o);
    spec.progressDeadlineSeconds ??= 600;
    const strategy = obj(spec.strategy);
    strategy.type ??= "RollingUpdate";
    if (strategy.type === "RollingUpdate") {
      strategy.rollingUpdate = { maxUnavailable: "25%", maxSurge: "25%", ...obj(strategy.rollingUpdate) };
    }
    spec.strategy = strategy;
    return undefined;
  },
  validate: (o, ctx) => {
    const errs = validateWorkload(o, ctx.old);
    const type = obj(obj(o.spec).strategy).type;
    if (type !== "RollingUpdate" && type !== "Recreate") {
      errs.push(fieldErr.notSupported("spec.strategy.type", type, ["Recreate", "RollingUpdate"]));
    }
    return errs;
  },
};

export const replicaSet: ResourceDef = {
  group: "apps",
  version: "v1",
  kind: "ReplicaSet",
  plural: "replicasets",
  singular: "replicaset",
  shortNames: ["rs"],
  namespaced: true,
  categories: ["all"],
  verbs: ALL_VERBS,
  statusSubresource: true,
  scaleSubresource: true,
  columns: [
    column("Desired", (o) => num(obj(o.spec).replicas) ?? 0, { type: "integer" }),
    column("Current", (o) => status(o, "replicas"), { type: "integer" }),
    column("Ready", (o) => status(o, "readyReplicas"), { type: "integer" }),
    ageColumn,
    ...wideColumns,
  ],
  patchSchema: workloadSchema,
  mutate: (o) => {
    defaultWorkload(o);
    return undefined;
  },
  validate: (o, ctx) => validateWorkload(o, ctx.old),
};
