// Service (core/v1): ClusterIP allocation from the service CIDR, NodePort allocation, defaults and columns.
import { type FieldError, fieldErr } from "../errors.ts";
import { intToIPv4, isIPAddress, parseIPv4CIDR, rangeContains } from "../ip.ts";
import { arr, isObject, type JsonObject, type KubeObject, num, obj, str } from "../object.ts";
import { ageColumn, column, joinOrNone } from "./columns.ts";
import { serviceSchema } from "./patch-schemas.ts";
import { type AdmissionContext, ALL_VERBS, type ResourceDef } from "./types.ts";
import { validatePortNumber, validatePortNumOrName, validateProtocol } from "./validation.ts";

const TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
export const NODE_PORT_RANGE = { min: 30000, max: 32767 };

function otherServices(ctx: AdmissionContext, self: KubeObject): KubeObject[] {
  return ctx.list("services").filter((s) => s.metadata.uid !== self.metadata.uid || !self.metadata.uid);
}

function allocateClusterIP(o: KubeObject, spec: JsonObject, ctx: AdmissionContext): FieldError[] {
  const range = parseIPv4CIDR(ctx.serviceCIDR);
  const taken = new Set(otherServices(ctx, o).map((s) => str(obj(s.spec).clusterIP)));
  const requested = str(spec.clusterIP);
  if (requested === "None") return [];
  if (requested) {
    if (!isIPAddress(requested)) {
      return [
        fieldErr.invalid(
          "spec.clusterIPs[0]",
          requested,
          "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)",
        ),
      ];
    }
    if (!rangeContains(range, requested)) {
      return [
        fieldErr.invalid(
          "spec.clusterIPs",
          [requested],
          `failed to allocate IP ${requested}: the provided IP (${requested}) is not in the valid range. The range of valid IPs is ${ctx.serviceCIDR}`,
        ),
      ];
    }
    if (taken.has(requested)) {
      return [
        fieldErr.invalid(
          "spec.clusterIPs",
          [requested],
          `failed to allocate IP ${requested}: provided IP is already allocated`,
        ),
      ];
    }
    return [];
  }
  // Skip the network address; the first usable address belongs to the `kubernetes` Service.
  for (let n = range.base + 1; n < range.base + range.size - 1; n++) {
    const ip = intToIPv4(n);
    if (!taken.has(ip)) {
      spec.clusterIP = ip;
      return [];
    }
  }
  return [fieldErr.invalid("spec.clusterIPs", [], `failed to allocate a serviceIP: range is full`)];
}

function allocateNodePorts(o: KubeObject, spec: JsonObject, ctx: AdmissionContext): FieldError[] {
  const taken = new Set<number>();
  for (const s of otherServices(ctx, o)) {
    for (const p of arr(obj(s.spec).ports)) {
      const n = isObject(p) ? num(p.nodePort) : undefined;
      if (n !== undefined) taken.add(n);
    }
  }
  const errs: FieldError[] = [];
  arr(spec.ports).forEach((p, i) => {
    if (!isObject(p)) return;
    const requested = num(p.nodePort);
    if (requested !== undefined) {
      if (requested < NODE_PORT_RANGE.min || requested > NODE_PORT_RANGE.max) {
        errs.push(
          fieldErr.invalid(
            `spec.ports[${i}].nodePort`,
            requested,
            `provided port is not in the valid range. The range of valid ports is ${NODE_PORT_RANGE.min}-${NODE_PORT_RANGE.max}`,
          ),
        );
      } else if (taken.has(requested)) {
        errs.push(
          fieldErr.invalid(`spec.ports[${i}].nodePort`, requested, "provided port is already allocated"),
        );
      }
      taken.add(requested);
      return;
    }
    for (let port = NODE_PORT_RANGE.min; port <= NODE_PORT_RANGE.max; port++) {
      if (!taken.has(port)) {
        p.nodePort = port;
        taken.add(port);
        return;
      }
    }
    errs.push(fieldErr.invalid(`spec.ports[${i}].nodePort`, requested, "range is full"));
  });
  return errs;
}

function portsCell(o: KubeObject): string {
  const ports = arr(obj(o.spec).ports).filter(isObject);
  if (ports.length === 0) return "<none>";
  return ports
    .map((p) => `${num(p.port) ?? ""}${p.nodePort ? `:${num(p.nodePort)}` : ""}/${str(p.protocol) ?? "TCP"}`)
    .join(",");
}

function externalIPCell(o: KubeObject): string {
  const spec = obj(o.spec);
  const type = str(spec.type) ?? "ClusterIP";
  if (type === "ExternalName") return str(spec.externalName) ?? "<none>";
  const ingress = arr(obj(obj(o.status).loadBalancer).ingress)
    .filter(isObject)
    .map((i) => str(i.ip) ?? str(i.hostname));
  const external = arr(spec.externalIPs).map(String);
  if (type === "LoadBalancer") {
    const all = [...ingress, ...external].filter((x): x is string => !!x);
    return all.length > 0 ? all.join(",") : "<pending>";
  }
  return joinOrNone(external);
}

function selectorCell(o: KubeObject): string {
  const sel = obj(obj(o.spec).selector);
  const parts = Object.keys(sel)
    .sort()
    .map((k) => `${k}=${String(sel[k])}`);
  return parts.length > 0 ? parts.join(",") : "<none>";
}

export const service: ResourceDef = {
  group: "",
  version: "v1",
  kind: "Service",
  plural: "services",
  singular: "service",
  shortNames: ["svc"],
  namespaced: true,
  categories: ["all"],
  verbs: ALL_VERBS,
  statusSubresource: true,
  nameRule: "dns1035",
  columns: [
    column("Type", (o) => str(obj(o.spec).type) ?? "ClusterIP", { description: "The type of the service." }),
    column("Cluster-IP", (o) => str(obj(o.spec).clusterIP) || "<none>", { description: "The cluster IP." }),
    column("External-IP", externalIPCell, { description: "The external IP." }),
    column("Port(s)", portsCell, { description: "The ports of the service." }),
    ageColumn,
    column("Selector", selectorCell, { priority: 1, description: "The selector of the service." }),
  ],
  fieldSelectors: ["spec.clusterIP", "spec.type"],
  patchSchema: serviceSchema,
  mutate: (o, ctx) => {
    if (!isObject(o.spec)) o.spec = {};
    const spec = o.spec as JsonObject;
    spec.type ??= "ClusterIP";
    spec.sessionAffinity ??= "None";
    if (spec.type === "ExternalName") return undefined;
    for (const p of arr(spec.ports)) {
      if (!isObject(p)) continue;
      p.protocol ??= "TCP";
      p.targetPort ??= p.port;
    }
    const oldSpec = ctx.old ? obj(ctx.old.spec) : undefined;
    // The ClusterIP is kept across updates that do not mention it (a PUT of a fresh manifest).
    if (oldSpec?.clusterIP && (spec.clusterIP === undefined || spec.clusterIP === ""))
      spec.clusterIP = oldSpec.clusterIP;
    if (oldSpec && oldSpec.type === spec.type) {
      for (const p of arr(spec.ports)) {
        if (!isObject(p) || p.nodePort !== undefined) continue;
        const before = arr(oldSpec.ports).find(
          (q) => isObject(q) && q.port === p.port && q.protocol === p.protocol,
        );
        if (isObject(before) && before.nodePort !== undefined) p.nodePort = before.nodePort;
      }
    }
    const errs = ctx.old && spec.clusterIP === oldSpec?.clusterIP ? [] : allocateClusterIP(o, spec, ctx);
    if (errs.length > 0) return errs;
    spec.clusterIPs = spec.clusterIP === undefined ? undefined : [spec.clusterIP];
    spec.ipFamilies ??= ["IPv4"];
    spec.ipFamilyPolicy ??= "SingleStack";
    spec.internalTrafficPolicy ??= "Cluster";
    if (spec.type === "NodePort" || spec.type === "LoadBalancer") {
      spec.externalTrafficPolicy ??= "Cluster";
      return allocateNodePorts(o, spec, ctx);
    }
    for (const p of arr(spec.ports)) if (isObject(p)) delete p.nodePort;
    return undefined;
  },
  validate: (o, ctx) => {
    const spec = obj(o.spec);
    const errs: FieldError[] = [];
    const type = spec.type;
    if (!TYPES.includes(String(type))) errs.push(fieldErr.notSupported("spec.type", type, TYPES));
    if (type === "ExternalName" && !str(spec.externalName)) errs.push(fieldErr.required("spec.externalName"));
    const ports = arr(spec.ports);
    if (type !== "ExternalName" && ports.length === 0 && spec.clusterIP !== "None") {
      errs.push(fieldErr.required("spec.ports"));
    }
    const seen = new Set<string>();
    ports.forEach((p, i) => {
      if (!isObject(p)) return;
      const at = `spec.ports[${i}]`;
      if (ports.length > 1 && !str(p.name)) errs.push(fieldErr.required(`${at}.name`));
      errs.push(...validatePortNumber(`${at}.port`, p.port));
      errs.push(...validateProtocol(`${at}.protocol`, p.protocol));
      if (p.targetPort !== undefined) errs.push(...validatePortNumOrName(`${at}.targetPort`, p.targetPort));
      const key = `${String(p.port)}/${String(p.protocol)}`;
      if (seen.has(key)) errs.push(fieldErr.duplicate(at, { port: p.port, protocol: p.protocol }));
      seen.add(key);
    });
    const before = ctx.old ? str(obj(ctx.old.spec).clusterIP) : undefined;
    if (before && spec.clusterIP !== before && obj(ctx.old?.spec).type === spec.type) {
      errs.push(fieldErr.invalid("spec.clusterIPs[0]", spec.clusterIP, "may not change once set"));
    }
    return errs;
  },
};
