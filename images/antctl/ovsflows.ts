// `antctl get ovsflows`: what Antrea's agent answers on /ovsflows (pkg/agent/apiserver/handlers/ovsflows), the
// same parameter checks, precedence (pod, service, policy, table, groups) and error texts.

import { matchRegMarks, RewriteMACRegMark } from "../agent/pipeline/fields.ts";
import type { TableName } from "../agent/pipeline/tables.ts";
import type { OvsTools } from "../common/ovs.ts";
import { addressGroupsOnNode, appliedToGroupsOnNode, policiesOnNode } from "./controlplane.ts";
import { badRequest, notFound, serverError } from "./errors.ts";
import { type DumpedFlow, FlowDumper, flowParts } from "./flow-dump.ts";
import { type FlowTables, loadFlowTables } from "./flow-tables.ts";
import { type Kube, orNotFound } from "./kube.ts";
import { NAMESPACED_POLICY_TYPES, POLICY_TYPES, type PolicyTypeFlag } from "./networkpolicies.ts";
import { listPodInterfaces, type PodInterfaceResponse } from "./pod-interfaces.ts";
import { type LocalPod, policyFlowLines, ruleTables } from "./policy-flows.ts";

export interface OvsFlowsQuery {
  namespace?: string;
  pod?: string;
  service?: string;
  networkpolicy?: string;
  type?: PolicyTypeFlag;
  table?: string;
  tableNamesOnly?: boolean;
  groups?: string;
}

export interface OvsFlowsDeps {
  ovs: OvsTools;
  kube: Kube;
}

/** The lines antctl prints (after its empty header line). */
export async function queryOvsFlows(q: OvsFlowsQuery, deps: OvsFlowsDeps): Promise<string[]> {
  const dump = new FlowDumper(deps.ovs);
  if (q.tableNamesOnly) return (await loadFlowTables(deps.ovs)).sortedNames();
  if ((q.pod || q.service) && !q.namespace) throw badRequest("namespace must be provided");
  if (q.networkpolicy) {
    if (!q.type) throw badRequest("policy type must be provided with policy name");
    if (NAMESPACED_POLICY_TYPES.includes(q.type) && !q.namespace) {
      throw badRequest(`policy Namespace must be provided for policy type ${q.type}`);
    }
  }
  if (!q.pod && !q.service && !q.networkpolicy && !q.namespace && !q.table && !q.groups) {
    return lines(await dump.flows());
  }
  if (q.pod) return orNotFoundIfNone(await podFlows(deps.ovs, dump, q.pod, q.namespace!));
  if (q.service) return orNotFoundIfNone(await serviceFlows(deps, dump, q.service, q.namespace!));
  if (q.networkpolicy) {
    return orNotFoundIfNone(await networkPolicyFlows(deps, dump, q.networkpolicy, q.namespace, q.type!));
  }
  if (q.table) {
    const found = await tableFlows(deps.ovs, dump, q.table);
    if (!found) throw badRequest("invalid table name or number");
    return found;
  }
  if (q.groups) {
    const found = await groups(dump, q.groups);
    if (!found) throw badRequest("invalid group ID");
    return found;
  }
  throw badRequest("unsupported parameter combination");
}

function lines(flows: readonly DumpedFlow[]): string[] {
  return flows.map((f) => f.line);
}

/** The agent answers 404 when the entity is unknown. */
function orNotFoundIfNone(found: string[] | undefined): string[] {
  if (!found) throw notFound();
  return found;
}

/** Each segment is a table name or number; undefined when one is neither. */
async function tableFlows(ovs: OvsTools, dump: FlowDumper, spec: string): Promise<string[] | undefined> {
  const tables = await loadFlowTables(ovs);
  const result: string[] = [];
  for (const seg of spec.split(",")) {
    const table = tables.resolve(seg.trim());
    if (!table) return undefined;
    result.push(...lines(await dump.flows(`table=${table.id}`)));
  }
  return result;
}

/** `all`, or comma-separated 32-bit group IDs (undefined when one is not). */
async function groups(dump: FlowDumper, spec: string): Promise<string[] | undefined> {
  if (spec.toLowerCase() === "all") return dump.groups();
  const ids = spec.split(",").map((s) => s.trim());
  if (!ids.every((id) => /^\d+$/.test(id) && Number(id) <= 0xffffffff)) return undefined;
  const found: string[] = [];
  for (const id of ids) {
    const group = await dump.group(Number(id));
    if (group) found.push(group);
  }
  return found;
}

/** The flows Antrea installs for a Pod's interface, each found by its match (GetPodFlowKeys + DumpMatchedFlow). */
async function podFlows(
  ovs: OvsTools,
  dump: FlowDumper,
  name: string,
  namespace: string,
): Promise<string[] | undefined> {
  const iface = (await listPodInterfaces(ovs)).find((i) => i.name === name && i.podNamespace === namespace);
  if (!iface) return undefined;
  const tables = await loadFlowTables(ovs);
  const found: string[] = [];
  for (const key of podFlowKeys(iface, tables)) {
    const flow = await dump.matchedFlow(key);
    if (flow) found.push(flow.line);
  }
  return found;
}

function podFlowKeys(i: PodInterfaceResponse, tables: FlowTables): string[] {
  const [ip] = i.ips ?? [];
  const port = `in_port=${i.ofPort}`;
  const keys: [TableName, string][] = [
    ["Classifier", port],
    ["SpoofGuard", `ip,${port},dl_src=${i.mac},nw_src=${ip}`],
    ["ARPSpoofGuard", `arp,${port},arp_spa=${ip},arp_sha=${i.mac}`],
    ["L3Forwarding", `ip,${matchRegMarks(RewriteMACRegMark)},nw_dst=${ip}`],
    ["L2ForwardingCalc", `dl_dst=${i.mac}`],
    // A Pod reaching itself through a Service (hairpin), with AntreaProxy only.
    ["SNATMark", `ct_state=+new+trk,ip,nw_src=${ip},nw_dst=${ip}`],
  ];
  return keys.flatMap(([name, match]) => {
    const id = tables.id(name);
    return id === undefined ? [] : [`table=${id},${match}`];
  });
}

/**
 * A Service's flows and groups: per port, the ServiceLB flow of ClusterIP:port, the flows that share its cookie
 * (the agent gives all flows of a Service port one cookie) and the group it selects Endpoints with.
 */
async function serviceFlows(
  deps: OvsFlowsDeps,
  dump: FlowDumper,
  name: string,
  namespace: string,
): Promise<string[] | undefined> {
  const tables = await loadFlowTables(deps.ovs);
  const lb = tables.id("ServiceLB");
  if (lb === undefined) throw serverError(503, "AntreaProxy is not enabled");
  const { core } = await deps.kube.clients();
  const svc = await orNotFound(core.readNamespacedService({ name, namespace }));
  const lbFlows = await dump.flows(`table=${lb}`);
  const flows: string[] = [];
  const groupIds: number[] = [];
  for (const sp of svc.spec?.ports ?? []) {
    const want = [`nw_dst=${svc.spec?.clusterIP}`, `tp_dst=${sp.port}`, (sp.protocol ?? "TCP").toLowerCase()];
    for (const f of lbFlows.filter((f) => want.every((w) => flowParts(f.line).match.includes(w)))) {
      flows.push(...lines(f.cookie ? await dump.flows(`cookie=${f.cookie}/-1`) : [f]));
      const group = /group:(\d+)/.exec(flowParts(f.line).actions)?.[1];
      if (group) groupIds.push(Number(group));
    }
  }
  if (!flows.length) return undefined;
  const groupLines: string[] = [];
  for (const id of groupIds) {
    const group = await dump.group(id);
    if (group) groupLines.push(group);
  }
  return [...flows, ...groupLines];
}

async function networkPolicyFlows(
  deps: OvsFlowsDeps,
  dump: FlowDumper,
  name: string,
  namespace: string | undefined,
  type: PolicyTypeFlag,
): Promise<string[] | undefined> {
  const policies = (await policiesOnNode(deps.kube)).filter(
    (p) =>
      p.sourceRef.name === name &&
      p.sourceRef.type === POLICY_TYPES[type] &&
      (!namespace || p.sourceRef.namespace === namespace),
  );
  if (!policies.length) return undefined;
  const [addressGroups, appliedToGroups, ifaces, tables] = await Promise.all([
    addressGroupsOnNode(deps.kube),
    appliedToGroupsOnNode(deps.kube),
    listPodInterfaces(deps.ovs),
    loadFlowTables(deps.ovs),
  ]);
  const ctx = {
    addressGroups: new Map(addressGroups.map((g) => [g.metadata.name, g])),
    appliedToGroups: new Map(appliedToGroups.map((g) => [g.metadata.name, g])),
    localPods: new Map<string, LocalPod>(
      ifaces.map((i) => [`${i.podNamespace}/${i.name}`, { ip: i.ips?.[0] ?? "", ofport: i.ofPort ?? 0 }]),
    ),
  };
  const dumps = new Map<TableName, string[]>();
  for (const policy of policies) {
    for (const rule of policy.rules) {
      for (const table of Object.values(ruleTables(policy, rule))) {
        const id = tables.id(table);
        if (id !== undefined && !dumps.has(table)) dumps.set(table, lines(await dump.flows(`table=${id}`)));
      }
    }
  }
  return policies.flatMap((p) => policyFlowLines(p, ctx, dumps));
}
