// The smaller core/v1 kinds: Namespace, Node, Endpoints, ConfigMap, Secret, ServiceAccount, Event.
import { type FieldError, fieldErr } from "../errors.ts";
import { isCIDR } from "../ip.ts";
import { arr, isObject, type KubeObject, num, obj, str } from "../object.ts";
import { ageColumn, column, joinOrNone, since } from "./columns.ts";
import { namespaceSchema, nodeSchema, serviceAccountSchema, withMetadata } from "./patch-schemas.ts";
import { ALL_VERBS, type ResourceDef } from "./types.ts";
import { validateIP, validatePortNumber, validateProtocol } from "./validation.ts";

const core = { group: "", version: "v1", verbs: ALL_VERBS } as const;

export const namespace: ResourceDef = {
  ...core,
  kind: "Namespace",
  plural: "namespaces",
  singular: "namespace",
  shortNames: ["ns"],
  namespaced: false,
  categories: [],
  verbs: ["create", "delete", "get", "list", "patch", "update", "watch"],
  statusSubresource: true,
  nameRule: "label",
  columns: [
    column("Status", (o) => str(obj(o.status).phase) ?? "Active", {
      description: "The status of the namespace",
    }),
    ageColumn,
  ],
  fieldSelectors: ["status.phase"],
  patchSchema: namespaceSchema,
  mutate: (o) => {
    // kube-apiserver labels every namespace with its own name so namespaceSelectors can pick it.
    o.metadata.labels = { ...o.metadata.labels, "kubernetes.io/metadata.name": o.metadata.name ?? "" };
    const spec = obj(o.spec);
    spec.finalizers ??= ["kubernetes"];
    o.spec = spec;
    const status = obj(o.status);
    status.phase ??= "Active";
    o.status = status;
    return undefined;
  },
};

function nodeStatus(o: KubeObject): string {
  const ready = arr(obj(o.status).conditions).find((c) => isObject(c) && c.type === "Ready");
  let s = "Unknown";
  if (isObject(ready))
    s = ready.status === "True" ? "Ready" : ready.status === "False" ? "NotReady" : "Unknown";
  return obj(o.spec).unschedulable === true ? `${s},SchedulingDisabled` : s;
}

function nodeRoles(o: KubeObject): string {
  const roles: string[] = [];
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (k.startsWith("node-role.kubernetes.io/")) roles.push(k.slice("node-role.kubernetes.io/".length));
    else if (k === "kubernetes.io/role") roles.push(v);
  }
  return joinOrNone(roles.filter((r) => r !== "").sort());
}

function nodeAddress(type: string) {
  return (o: KubeObject) => {
    const a = arr(obj(o.status).addresses).find((x) => isObject(x) && x.type === type);
    return isObject(a) ? (str(a.address) ?? "<none>") : "<none>";
  };
}

function nodeInfo(field: string) {
  return (o: KubeObject) => str(obj(obj(o.status).nodeInfo)[field]) || "<unknown>";
}

export const node: ResourceDef = {
  ...core,
  kind: "Node",
  plural: "nodes",
  singular: "node",
  shortNames: ["no"],
  namespaced: false,
  categories: [],
  statusSubresource: true,
  keepStatusOnCreate: true,
  columns: [
    column("Status", nodeStatus, { description: "The status of the node" }),
    column("Roles", nodeRoles, { description: "The roles of the node" }),
    ageColumn,
    column("Version", (o) => str(obj(obj(o.status).nodeInfo).kubeletVersion) ?? "", {
      description: "Kubelet Version reported by the node.",
    }),
    column("Internal-IP", nodeAddress("InternalIP"), { priority: 1 }),
    column("External-IP", nodeAddress("ExternalIP"), { priority: 1 }),
    column("OS-Image", nodeInfo("osImage"), { priority: 1 }),
    column("Kernel-Version", nodeInfo("kernelVersion"), { priority: 1 }),
    column("Container-Runtime", nodeInfo("containerRuntimeVersion"), { priority: 1 }),
  ],
  fieldSelectors: ["spec.unschedulable"],
  patchSchema: nodeSchema,
  validate: (o) => {
    const spec = obj(o.spec);
    const errs: FieldError[] = [];
    if (spec.podCIDR !== undefined && !isCIDR(spec.podCIDR)) {
      errs.push(fieldErr.invalid("spec.podCIDR", spec.podCIDR, "must be a valid CIDR"));
    }
    arr(spec.podCIDRs).forEach((c, i) => {
      if (!isCIDR(c)) errs.push(fieldErr.invalid(`spec.podCIDRs[${i}]`, c, "must be a valid CIDR"));
    });
    return errs;
  },
};

function endpointsCell(o: KubeObject): string {
  const list: string[] = [];
  for (const s of arr(o.subsets).filter(isObject)) {
    const ports = arr(s.ports).filter(isObject);
    for (const a of arr(s.addresses).filter(isObject)) {
      if (ports.length === 0) list.push(str(a.ip) ?? "");
      for (const p of ports) list.push(`${str(a.ip) ?? ""}:${num(p.port) ?? ""}`);
    }
  }
  if (list.length === 0) return "<none>";
  return list.length > 3 ? `${list.slice(0, 3).join(",")} + ${list.length - 3} more...` : list.join(",");
}

export const endpoints: ResourceDef = {
  ...core,
  kind: "Endpoints",
  plural: "endpoints",
  singular: "endpoints",
  shortNames: ["ep"],
  namespaced: true,
  categories: [],
  statusSubresource: false,
  allowCreateOnUpdate: true,
  columns: [column("Endpoints", endpointsCell, { description: "Endpoints of the service" }), ageColumn],
  patchSchema: withMetadata(),
  validate: (o) => {
    const errs: FieldError[] = [];
    arr(o.subsets).forEach((s, i) => {
      if (!isObject(s)) return;
      for (const key of ["addresses", "notReadyAddresses"]) {
        arr(s[key]).forEach((a, j) => {
          errs.push(...validateIP(`subsets[${i}].${key}[${j}].ip`, isObject(a) ? a.ip : a));
        });
      }
      arr(s.ports).forEach((p, j) => {
        if (!isObject(p)) return;
        errs.push(...validatePortNumber(`subsets[${i}].ports[${j}].port`, p.port));
        errs.push(...validateProtocol(`subsets[${i}].ports[${j}].protocol`, p.protocol));
      });
    });
    return errs;
  },
};

function dataCount(o: KubeObject): number {
  return Object.keys(obj(o.data)).length + Object.keys(obj(o.binaryData)).length;
}

export const configMap: ResourceDef = {
  ...core,
  kind: "ConfigMap",
  plural: "configmaps",
  singular: "configmap",
  shortNames: ["cm"],
  namespaced: true,
  categories: [],
  statusSubresource: false,
  columns: [column("Data", dataCount, { type: "integer" }), ageColumn],
  patchSchema: withMetadata(),
  validate: (o) =>
    Object.entries(obj(o.data))
      .filter(([, v]) => typeof v !== "string")
      .map(([k, v]) => fieldErr.invalid(`data[${k}]`, v, "must be a string")),
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const secret: ResourceDef = {
  ...core,
  kind: "Secret",
  plural: "secrets",
  singular: "secret",
  shortNames: [],
  namespaced: true,
  categories: [],
  statusSubresource: false,
  columns: [
    column("Type", (o) => str(o.type) ?? "Opaque"),
    column("Data", (o) => Object.keys(obj(o.data)).length, { type: "integer" }),
    ageColumn,
  ],
  fieldSelectors: ["type"],
  patchSchema: withMetadata(),
  mutate: (o) => {
    o.type ??= "Opaque";
    // stringData is write-only: kube-apiserver folds it into data.
    if (isObject(o.stringData)) {
      const data = obj(o.data);
      for (const [k, v] of Object.entries(o.stringData)) data[k] = Buffer.from(String(v)).toString("base64");
      o.data = data;
    }
    delete o.stringData;
    return undefined;
  },
  validate: (o) =>
    Object.entries(obj(o.data))
      .filter(([, v]) => typeof v !== "string" || !BASE64.test(v))
      .map(([k, v]) => fieldErr.invalid(`data[${k}]`, v, "must be base64 encoded")),
};

export const serviceAccount: ResourceDef = {
  ...core,
  kind: "ServiceAccount",
  plural: "serviceaccounts",
  singular: "serviceaccount",
  shortNames: ["sa"],
  namespaced: true,
  categories: [],
  statusSubresource: false,
  columns: [column("Secrets", (o) => arr(o.secrets).length, { type: "integer" }), ageColumn],
  patchSchema: serviceAccountSchema,
};

function eventObject(o: KubeObject): string {
  const io = obj(o.involvedObject);
  return `${(str(io.kind) ?? "").toLowerCase()}/${str(io.name) ?? ""}`;
}

export const event: ResourceDef = {
  ...core,
  kind: "Event",
  plural: "events",
  singular: "event",
  shortNames: ["ev"],
  namespaced: true,
  categories: [],
  statusSubresource: false,
  allowCreateOnUpdate: true,
  ownNameColumn: true,
  columns: [
    column("Last Seen", (o, now) =>
      since(str(o.lastTimestamp) ?? str(o.eventTime) ?? o.metadata.creationTimestamp, now),
    ),
    column("Type", (o) => str(o.type) ?? ""),
    column("Reason", (o) => str(o.reason) ?? ""),
    column("Object", eventObject),
    column("Subobject", (o) => str(obj(o.involvedObject).fieldPath) ?? "", { priority: 1 }),
    column("Source", (o) => str(obj(o.source).component) ?? "", { priority: 1 }),
    column("Message", (o) => str(o.message) ?? ""),
    column("First Seen", (o, now) => since(str(o.firstTimestamp) ?? o.metadata.creationTimestamp, now), {
      priority: 1,
    }),
    column("Count", (o) => num(o.count) ?? 1, { type: "integer", priority: 1 }),
    column("Name", (o) => o.metadata.name ?? "", { priority: 1 }),
  ],
  fieldSelectors: [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  patchSchema: withMetadata(),
  mutate: (o, ctx) => {
    if (ctx.operation === "CREATE") {
      o.firstTimestamp ??= ctx.now.toISOString().replace(/\.\d+Z$/, "Z");
      o.lastTimestamp ??= o.firstTimestamp;
      o.count ??= 1;
    }
    return undefined;
  },
  validate: (o) => (isObject(o.involvedObject) ? [] : [fieldErr.required("involvedObject")]),
};
