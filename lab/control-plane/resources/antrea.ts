// crd.antrea.io/v1beta1 kinds with Antrea's names, short names, printer columns (build/charts/antrea/crds/*.yaml)
// and the checks Antrea's validating webhook makes that scenarios rely on. Like CRDs, they accept JSON, merge
// and apply patches but no strategic merge patch.
import { type FieldError, fieldErr } from "../errors.ts";
import { ipv4ToInt, isCIDR, isIPAddress, parseIPv4CIDR } from "../ip.ts";
import { arr, isObject, type KubeObject, num, obj, str } from "../object.ts";
import { ageColumn, column, dateColumn, pathColumn } from "./columns.ts";
import { validateIPBlock, validatePolicyPorts } from "./networking.ts";
import { type AdmissionContext, ALL_VERBS, type ColumnDef, type ResourceDef } from "./types.ts";
import { validateIP, validateLabelSelector } from "./validation.ts";

const antrea = {
  group: "crd.antrea.io",
  version: "v1beta1",
  categories: [],
  verbs: ALL_VERBS,
} as const;

/** The static tiers the antrea-controller always provides, by priority. */
export const STATIC_TIERS: Record<string, number> = {
  emergency: 50,
  securityops: 100,
  networkops: 150,
  platform: 200,
  application: 250,
  baseline: 253,
};

const crdAge: ColumnDef = { ...ageColumn, type: "date", description: "" };

// ---- Antrea-native policies ----

const policyColumns: ColumnDef[] = [
  pathColumn("Tier", "spec.tier", { description: "The Tier to which this policy belongs to." }),
  pathColumn("Priority", "spec.priority", { type: "number", format: "float" }),
  pathColumn("Desired Nodes", "status.desiredNodesRealized", { type: "number", format: "int32" }),
  pathColumn("Current Nodes", "status.currentNodesRealized", { type: "number", format: "int32" }),
  crdAge,
];

const ACTIONS = ["Allow", "Drop", "Reject", "Pass"];

function tierExists(name: string, ctx: AdmissionContext): boolean {
  const lower = name.toLowerCase();
  return lower in STATIC_TIERS || ctx.list("tiers.crd.antrea.io").some((t) => t.metadata.name === lower);
}

function validateAntreaPeers(field: string, peers: unknown): FieldError[] {
  const errs: FieldError[] = [];
  arr(peers).forEach((p, i) => {
    const peer = obj(p);
    const at = `${field}[${i}]`;
    if (peer.ipBlock !== undefined) {
      errs.push(...validateIPBlock(`${at}.ipBlock`, peer.ipBlock));
      if (peer.podSelector !== undefined || peer.namespaceSelector !== undefined) {
        errs.push(fieldErr.forbidden(at, "ipBlock cannot be set with podSelector or namespaceSelector"));
      }
    }
    for (const k of ["podSelector", "namespaceSelector", "nodeSelector"]) {
      errs.push(...validateLabelSelector(`${at}.${k}`, peer[k]));
    }
  });
  return errs;
}

function validateAntreaPolicy(o: KubeObject, ctx: AdmissionContext): FieldError[] {
  const spec = obj(o.spec);
  const errs: FieldError[] = [];
  const priority = spec.priority;
  if (priority === undefined) errs.push(fieldErr.required("spec.priority"));
  else if (typeof priority !== "number" || priority < 1 || priority > 10000) {
    errs.push(fieldErr.invalid("spec.priority", priority, "must be between 1 and 10000"));
  }
  const tier = spec.tier;
  if (tier !== undefined && tier !== "" && (typeof tier !== "string" || !tierExists(tier, ctx))) {
    errs.push(fieldErr.invalid("spec.tier", tier, `tier ${String(tier)} does not exist`));
  }
  const specAppliedTo = arr(spec.appliedTo).length > 0;
  const names = new Set<string>();
  for (const dir of ["ingress", "egress"] as const) {
    arr(spec[dir]).forEach((r, i) => {
      const rule = obj(r);
      const at = `spec.${dir}[${i}]`;
      if (rule.action === undefined) errs.push(fieldErr.required(`${at}.action`));
      else if (!ACTIONS.includes(String(rule.action)))
        errs.push(fieldErr.notSupported(`${at}.action`, rule.action, ACTIONS));
      const name = str(rule.name);
      if (name) {
        if (names.has(name)) errs.push(fieldErr.duplicate(`${at}.name`, name));
        names.add(name);
      }
      const ruleAppliedTo = arr(rule.appliedTo).length > 0;
      if (specAppliedTo && ruleAppliedTo) {
        errs.push(
          fieldErr.forbidden(`${at}.appliedTo`, "appliedTo should not be set in both spec and rules"),
        );
      } else if (!specAppliedTo && !ruleAppliedTo) {
        errs.push(fieldErr.required(`${at}.appliedTo`, "appliedTo needs to be set in either spec or rules"));
      }
      errs.push(...validatePolicyPorts(`${at}.ports`, rule.ports));
      errs.push(
        ...validateAntreaPeers(
          `${at}.${dir === "ingress" ? "from" : "to"}`,
          rule[dir === "ingress" ? "from" : "to"],
        ),
      );
    });
  }
  if (!specAppliedTo && arr(spec.ingress).length === 0 && arr(spec.egress).length === 0) {
    errs.push(fieldErr.required("spec.appliedTo", "appliedTo needs to be set in either spec or rules"));
  }
  return errs;
}

export const clusterNetworkPolicy: ResourceDef = {
  ...antrea,
  kind: "ClusterNetworkPolicy",
  plural: "clusternetworkpolicies",
  singular: "clusternetworkpolicy",
  shortNames: ["acnp"],
  namespaced: false,
  statusSubresource: true,
  columns: policyColumns,
  validate: validateAntreaPolicy,
};

export const antreaNetworkPolicy: ResourceDef = {
  ...antrea,
  kind: "NetworkPolicy",
  plural: "networkpolicies",
  singular: "networkpolicy",
  shortNames: ["anp"],
  namespaced: true,
  statusSubresource: true,
  columns: policyColumns,
  validate: validateAntreaPolicy,
};

export const tier: ResourceDef = {
  ...antrea,
  kind: "Tier",
  plural: "tiers",
  singular: "tier",
  shortNames: ["tr"],
  namespaced: false,
  statusSubresource: false,
  columns: [pathColumn("Priority", "spec.priority", { type: "integer" }), crdAge],
  validate: (o, ctx) => {
    const p = obj(o.spec).priority;
    if (p === undefined) return [fieldErr.required("spec.priority")];
    if (typeof p !== "number" || !Number.isInteger(p) || p < 0 || p > 255) {
      return [fieldErr.invalid("spec.priority", p, "must be an integer between 0 and 255")];
    }
    if (ctx.old && obj(ctx.old.spec).priority !== p) {
      return [fieldErr.forbidden("spec.priority", "tier priority can not be updated")];
    }
    const clash = ctx
      .list("tiers.crd.antrea.io")
      .find((t) => t.metadata.name !== o.metadata.name && obj(t.spec).priority === p);
    const staticClash = Object.entries(STATIC_TIERS).find(([n, prio]) => prio === p && n !== o.metadata.name);
    if (clash || staticClash) {
      return [
        fieldErr.invalid(
          "spec.priority",
          p,
          `tier ${clash?.metadata.name ?? staticClash?.[0]} with priority ${p} already exists`,
        ),
      ];
    }
    return [];
  },
};

// ---- groups ----

function validateGroup(o: KubeObject): FieldError[] {
  const spec = obj(o.spec);
  const errs: FieldError[] = [];
  const kinds = [
    spec.podSelector !== undefined ||
      spec.namespaceSelector !== undefined ||
      spec.externalEntitySelector !== undefined,
    spec.ipBlocks !== undefined,
    spec.serviceReference !== undefined,
    spec.childGroups !== undefined,
  ].filter(Boolean).length;
  if (kinds > 1) {
    errs.push(
      fieldErr.forbidden(
        "spec",
        "at most one of podSelector/namespaceSelector/externalEntitySelector, ipBlocks, serviceReference or childGroups can be set",
      ),
    );
  }
  arr(spec.ipBlocks).forEach((b, i) => {
    errs.push(...validateIPBlock(`spec.ipBlocks[${i}]`, b));
  });
  for (const k of ["podSelector", "namespaceSelector", "externalEntitySelector"]) {
    errs.push(...validateLabelSelector(`spec.${k}`, spec[k]));
  }
  return errs;
}

export const clusterGroup: ResourceDef = {
  ...antrea,
  kind: "ClusterGroup",
  plural: "clustergroups",
  singular: "clustergroup",
  shortNames: ["cg"],
  namespaced: false,
  statusSubresource: true,
  columns: [crdAge],
  validate: validateGroup,
};

export const group: ResourceDef = {
  ...antrea,
  kind: "Group",
  plural: "groups",
  singular: "group",
  shortNames: ["grp"],
  namespaced: true,
  statusSubresource: true,
  columns: [crdAge],
  validate: validateGroup,
};

// ---- Egress and ExternalIPPool ----

export const egress: ResourceDef = {
  ...antrea,
  kind: "Egress",
  plural: "egresses",
  singular: "egress",
  shortNames: ["eg"],
  namespaced: false,
  statusSubresource: true,
  columns: [
    pathColumn("EgressIP", "status.egressIP", {
      description: "The effective SNAT IP address for the selected workloads.",
    }),
    crdAge,
    pathColumn("Node", "status.egressNode", { description: "The Owner Node of egress IP" }),
  ],
  validate: (o, ctx) => {
    const spec = obj(o.spec);
    const errs: FieldError[] = validateEgressIPInPool(o, ctx);
    if (!isObject(spec.appliedTo)) errs.push(fieldErr.required("spec.appliedTo"));
    else {
      errs.push(...validateLabelSelector("spec.appliedTo.podSelector", spec.appliedTo.podSelector));
      errs.push(
        ...validateLabelSelector("spec.appliedTo.namespaceSelector", spec.appliedTo.namespaceSelector),
      );
    }
    if (spec.egressIP !== undefined && spec.egressIP !== "")
      errs.push(...validateIP("spec.egressIP", spec.egressIP));
    arr(spec.egressIPs).forEach((ip, i) => {
      if (ip !== "") errs.push(...validateIP(`spec.egressIPs[${i}]`, ip));
    });
    const single = (spec.egressIP !== undefined && spec.egressIP !== "") || spec.externalIPPool !== undefined;
    const multi = spec.egressIPs !== undefined || spec.externalIPPools !== undefined;
    if (single && multi) {
      errs.push(
        fieldErr.forbidden(
          "spec",
          "egressIP/externalIPPool and egressIPs/externalIPPools are mutually exclusive",
        ),
      );
    }
    if (!single && !multi) {
      errs.push(
        fieldErr.required(
          "spec.egressIP",
          "one of egressIP, externalIPPool, egressIPs or externalIPPools is required",
        ),
      );
    }
    const bw = spec.bandwidth;
    if (bw !== undefined && (!isObject(bw) || typeof bw.rate !== "string" || typeof bw.burst !== "string")) {
      errs.push(fieldErr.invalid("spec.bandwidth", bw, "rate and burst must be quantities such as 10Mbps"));
    }
    return errs;
  },
};

/** An IPv4 `ipRanges[]` entry as [first, last] address (a CIDR's network to broadcast), or undefined. */
function ipv4RangeBounds(r: unknown): [number, number] | undefined {
  const range = obj(r);
  if (typeof range.cidr === "string" && isCIDR(range.cidr) && !range.cidr.includes(":")) {
    const { base, size } = parseIPv4CIDR(range.cidr);
    return [base, base + size - 1];
  }
  const { start, end } = range;
  if (!isIPAddress(start) || !isIPAddress(end) || start.includes(":") || end.includes(":")) return undefined;
  return [ipv4ToInt(start), ipv4ToInt(end)];
}

const rangeText = (r: unknown) => {
  const range = obj(r);
  return typeof range.cidr === "string" ? `[${range.cidr}]` : `[${str(range.start)}-${str(range.end)}]`;
};

/**
 * Antrea's ExternalIPPool webhook: a range may not overlap another range of the pool or of another pool, and an
 * update may not delete a range (IPs may be allocated from it).
 */
function validatePoolRanges(o: KubeObject, ctx: AdmissionContext): FieldError[] {
  const errs: FieldError[] = [];
  const taken: { text: string; bounds: [number, number] }[] = [];
  for (const pool of ctx.list("externalippools.crd.antrea.io")) {
    if (pool.metadata.name === o.metadata.name) continue;
    for (const r of arr(obj(pool.spec).ipRanges)) {
      const bounds = ipv4RangeBounds(r);
      if (bounds) taken.push({ text: `range ${rangeText(r)} of pool ${pool.metadata.name}`, bounds });
    }
  }
  arr(obj(o.spec).ipRanges).forEach((r, i) => {
    const bounds = ipv4RangeBounds(r);
    if (!bounds) return;
    const clash = taken.find((t) => bounds[0] <= t.bounds[1] && bounds[1] >= t.bounds[0]);
    if (clash)
      errs.push(
        fieldErr.invalid(`spec.ipRanges[${i}]`, r, `range ${rangeText(r)} overlaps with ${clash.text}`),
      );
    taken.push({ text: `range ${rangeText(r)}`, bounds });
  });
  if (ctx.old) {
    const now = new Set(arr(obj(o.spec).ipRanges).map(rangeText));
    const deleted = arr(obj(ctx.old.spec).ipRanges)
      .map(rangeText)
      .filter((t) => !now.has(t));
    if (deleted.length) {
      errs.push(
        fieldErr.forbidden("spec.ipRanges", `existing IPRanges ${deleted.join(", ")} cannot be deleted`),
      );
    }
  }
  return errs;
}

/** Antrea's Egress webhook: an egressIP given with an externalIPPool must be in that pool, which must exist. */
function validateEgressIPInPool(o: KubeObject, ctx: AdmissionContext): FieldError[] {
  const spec = obj(o.spec);
  const old = obj(ctx.old?.spec);
  if (ctx.old && spec.egressIP === old.egressIP && spec.externalIPPool === old.externalIPPool) return [];
  const ip = spec.egressIP;
  const poolName = spec.externalIPPool;
  if (typeof ip !== "string" || ip === "" || typeof poolName !== "string" || poolName === "") return [];
  if (!isIPAddress(ip) || ip.includes(":")) return [];
  const pool = ctx.get("externalippools.crd.antrea.io", undefined, poolName);
  if (!pool) {
    return [fieldErr.invalid("spec.externalIPPool", poolName, `ExternalIPPool ${poolName} does not exist`)];
  }
  const n = ipv4ToInt(ip);
  // Like Antrea's allocator, a CIDR range holds its addresses after the network address.
  const within = arr(obj(pool.spec).ipRanges).some((r) => {
    const bounds = ipv4RangeBounds(r);
    const first = bounds && (typeof obj(r).cidr === "string" ? bounds[0] + 1 : bounds[0]);
    return bounds !== undefined && first !== undefined && n >= first && n <= bounds[1];
  });
  return within ? [] : [fieldErr.invalid("spec.egressIP", ip, `IP ${ip} is not within the IP range`)];
}

function validateIPRange(at: string, r: unknown): FieldError[] {
  const range = obj(r);
  if (range.cidr !== undefined) {
    if (range.start !== undefined || range.end !== undefined) {
      return [fieldErr.forbidden(at, "cidr and start/end are mutually exclusive")];
    }
    return isCIDR(range.cidr) ? [] : [fieldErr.invalid(`${at}.cidr`, range.cidr, "must be a valid CIDR")];
  }
  const errs = [...validateIP(`${at}.start`, range.start), ...validateIP(`${at}.end`, range.end)];
  if (errs.length > 0) return errs;
  const start = String(range.start);
  const end = String(range.end);
  if (start.includes(":") !== end.includes(":")) {
    return [fieldErr.invalid(at, r, "start and end must be of the same IP family")];
  }
  if (!start.includes(":") && ipv4ToInt(start) > ipv4ToInt(end)) {
    return [fieldErr.invalid(`${at}.end`, end, "end must not be lower than start")];
  }
  return [];
}

export const externalIPPool: ResourceDef = {
  ...antrea,
  kind: "ExternalIPPool",
  plural: "externalippools",
  singular: "externalippool",
  shortNames: ["eip"],
  namespaced: false,
  statusSubresource: true,
  columns: [
    pathColumn("Total", "status.usage.total", { type: "integer", description: "The number of total IPs" }),
    pathColumn("Used", "status.usage.used", { type: "integer", description: "The number of allocated IPs" }),
    crdAge,
  ],
  validate: (o, ctx) => {
    const spec = obj(o.spec);
    const errs: FieldError[] = validatePoolRanges(o, ctx);
    if (!Array.isArray(spec.ipRanges)) errs.push(fieldErr.required("spec.ipRanges"));
    arr(spec.ipRanges).forEach((r, i) => {
      errs.push(...validateIPRange(`spec.ipRanges[${i}]`, r));
    });
    if (spec.nodeSelector === undefined) errs.push(fieldErr.required("spec.nodeSelector"));
    else errs.push(...validateLabelSelector("spec.nodeSelector", spec.nodeSelector));
    if (spec.subnetInfo !== undefined) {
      const si = obj(spec.subnetInfo);
      errs.push(...validateIP("spec.subnetInfo.gateway", si.gateway));
      const len = num(si.prefixLength);
      if (
        len === undefined ||
        len < 1 ||
        len > (isIPAddress(si.gateway) && String(si.gateway).includes(":") ? 127 : 32)
      ) {
        errs.push(
          fieldErr.invalid("spec.subnetInfo.prefixLength", si.prefixLength, "must be a valid prefix length"),
        );
      }
      const vlan = si.vlan;
      if (vlan !== undefined && (typeof vlan !== "number" || vlan < 0 || vlan > 4094)) {
        errs.push(fieldErr.invalid("spec.subnetInfo.vlan", vlan, "must be between 0 and 4094"));
      }
    }
    return errs;
  },
};

// ---- Traceflow ----

export const traceflow: ResourceDef = {
  ...antrea,
  kind: "Traceflow",
  plural: "traceflows",
  singular: "traceflow",
  shortNames: ["tf"],
  namespaced: false,
  statusSubresource: true,
  // Antrea declares everything but Phase and Age with priority 10, i.e. shown only with `-o wide`.
  columns: [
    pathColumn("Phase", "status.phase", { description: "The phase of the Traceflow." }),
    pathColumn("Source-Pod", "spec.source.pod", { priority: 10 }),
    pathColumn("Destination-Pod", "spec.destination.pod", { priority: 10 }),
    pathColumn("Destination-IP", "spec.destination.ip", { priority: 10 }),
    pathColumn("Live-Traffic", "spec.liveTraffic", { type: "boolean", priority: 10 }),
    pathColumn("Dropped-Only", "spec.droppedOnly", { type: "boolean", priority: 10 }),
    pathColumn("Timeout", "spec.timeout", { type: "integer", priority: 10 }),
    crdAge,
  ],
  // The CRD's schema is checked first; Antrea's webhook sees only objects that pass it.
  validate: (o, ctx) => {
    const errs = validateTraceflowSchema(o);
    return errs.length > 0 ? errs : traceflowWebhookErrors(o, ctx);
  },
};

function validateTraceflowSchema(o: KubeObject): FieldError[] {
  if (!isObject(o.spec)) return [fieldErr.required("spec")];
  const spec = o.spec;
  const errs: FieldError[] = [];
  const live = spec.liveTraffic === true;
  const source = obj(spec.source);
  const dest = obj(spec.destination);
  if (source.ip !== undefined) {
    if (!live)
      errs.push(
        fieldErr.forbidden("spec.source.ip", "source IP can only be specified for live-traffic Traceflow"),
      );
    else errs.push(...validateIP("spec.source.ip", source.ip));
  }
  const targets = ["pod", "service", "ip"].filter((k) => dest[k] !== undefined && dest[k] !== "");
  if (targets.length > 1)
    errs.push(fieldErr.forbidden("spec.destination", "only one of pod, service and ip can be set"));
  if (dest.ip !== undefined && dest.ip !== "") errs.push(...validateIP("spec.destination.ip", dest.ip));
  if (!live && targets.length === 0)
    errs.push(fieldErr.required("spec.destination", "destination must be specified"));
  if (spec.droppedOnly === true && !live) {
    errs.push(
      fieldErr.forbidden("spec.droppedOnly", "droppedOnly can only be set for live-traffic Traceflow"),
    );
  }
  const timeout = spec.timeout;
  if (timeout !== undefined && (typeof timeout !== "number" || timeout < 1 || timeout > 300)) {
    errs.push(fieldErr.invalid("spec.timeout", timeout, "should be between 1 and 300"));
  }
  return errs;
}

/**
 * Antrea's validating webhook for Traceflows (pkg/controller/traceflow/validate.go), on create and on update of
 * the main resource (status writes are not checked, so a trace whose source Pod went away can still end). Like
 * the webhook it reports its first objection only, with Antrea's words.
 */
function traceflowWebhookErrors(o: KubeObject, ctx: AdmissionContext): FieldError[] {
  const spec = obj(o.spec);
  const source = obj(spec.source);
  const sourcePod = str(source.pod) ?? "";
  const sourceNamespace = str(source.namespace) ?? "";
  if (spec.liveTraffic !== true) {
    if (!sourceNamespace || !sourcePod) {
      return [
        fieldErr.required("spec.source.pod", "source Pod must be specified in non-live-traffic Traceflow"),
      ];
    }
    const pod = ctx.get("pods", sourceNamespace, sourcePod);
    if (!pod) {
      return [
        fieldErr.invalid(
          "spec.source.pod",
          sourcePod,
          `requested source Pod ${sourceNamespace}/${sourcePod} not found`,
        ),
      ];
    }
    if (obj(pod.spec).hostNetwork === true) {
      return [
        fieldErr.forbidden(
          "spec.source.pod",
          "using hostNetwork Pod as source in non-live-traffic Traceflow is not supported",
        ),
      ];
    }
  }
  if (!sourcePod && !str(obj(spec.destination).pod)) {
    return [
      fieldErr.required(
        "spec",
        `Traceflow ${o.metadata.name ?? ""} has neither source nor destination Pod specified`,
      ),
    ];
  }
  return [];
}

// ---- agent / controller info ----

function healthy(conditionsField: string, healthyType: string, field: "status" | "lastHeartbeatTime") {
  return (o: KubeObject) => {
    const c = arr(o[conditionsField]).find((x) => isObject(x) && x.type === healthyType);
    return isObject(c) ? c[field] : undefined;
  };
}

export const antreaAgentInfo: ResourceDef = {
  ...antrea,
  kind: "AntreaAgentInfo",
  plural: "antreaagentinfos",
  singular: "antreaagentinfo",
  shortNames: ["aai"],
  namespaced: false,
  statusSubresource: false,
  columns: [
    column("Healthy", healthy("agentConditions", "AgentHealthy", "status"), {
      description: "Health status of this Agent",
    }),
    dateColumn("Last Heartbeat", healthy("agentConditions", "AgentHealthy", "lastHeartbeatTime")),
    pathColumn("Version", "version", { priority: 1 }),
    pathColumn("Node", "nodeRef.name", { priority: 1 }),
    pathColumn("Num Pods", "localPodNum", { type: "integer", priority: 2 }),
    column("Subnets", (o) => (o.nodeSubnets === undefined ? undefined : JSON.stringify(o.nodeSubnets)), {
      priority: 2,
    }),
  ],
};

export const antreaControllerInfo: ResourceDef = {
  ...antrea,
  kind: "AntreaControllerInfo",
  plural: "antreacontrollerinfos",
  singular: "antreacontrollerinfo",
  shortNames: ["aci"],
  namespaced: false,
  statusSubresource: false,
  columns: [
    column("Healthy", healthy("controllerConditions", "ControllerHealthy", "status")),
    dateColumn("Last Heartbeat", healthy("controllerConditions", "ControllerHealthy", "lastHeartbeatTime")),
    pathColumn("Version", "version", { priority: 1 }),
    pathColumn("Connected Agents", "connectedAgentNum", { type: "integer", priority: 1 }),
    pathColumn("Node", "nodeRef.name", { priority: 1 }),
    pathColumn("Num Network Policies", "networkPolicyControllerInfo.networkPolicyNum", {
      type: "integer",
      priority: 2,
    }),
  ],
};
