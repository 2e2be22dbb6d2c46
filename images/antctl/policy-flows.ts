// The flows that realize one NetworkPolicy on this Node (`get ovsflows -N`). Antrea's agent knows each rule's
// conj_id from memory; antctl here finds them in the flows themselves, from how a rule is realized (spec §1.5):
// clauses numbered from=1, to=2, service=3; ingress "to" matches the applied-to Pods' ofports (`reg1=0x5`), egress
// "from" their IPs (`nw_src=`), peers their IPs or CIDRs, services their ports. A conj_id is the rule's when each
// of its clauses has a flow matching what the rule says. Output per rule, as Antrea: the action flow, then the
// conjunctive match flows, then the default-drop flows of the applied-to Pods.

import { matchRegField, TargetOFPortField } from "../agent/pipeline/fields.ts";
import type { TableName } from "../agent/pipeline/tables.ts";
import type {
  AddressGroup,
  AppliedToGroup,
  ControlplaneNetworkPolicy,
  IPNet,
  NetworkPolicyRule,
} from "../api/controlplane.ts";
import { flowParts } from "./flow-dump.ts";

/** A Pod attached to this Node. */
export interface LocalPod {
  readonly ip: string;
  readonly ofport: number;
}

export interface PolicyContext {
  readonly addressGroups: ReadonlyMap<string, AddressGroup>;
  readonly appliedToGroups: ReadonlyMap<string, AppliedToGroup>;
  /** Keyed by `namespace/name`. */
  readonly localPods: ReadonlyMap<string, LocalPod>;
}

const BASELINE_TIER_PRIORITY = 253;

/** The table of a rule's conjunctive flows and the table of its default drops. */
export function ruleTables(
  policy: ControlplaneNetworkPolicy,
  rule: NetworkPolicyRule,
): { rules: TableName; defaults: TableName } {
  const ingress = rule.direction === "In";
  const defaults = ingress ? "IngressDefaultRule" : "EgressDefaultRule";
  if (policy.sourceRef.type === "K8sNetworkPolicy") {
    return { rules: ingress ? "IngressRule" : "EgressRule", defaults };
  }
  if (policy.tierPriority === BASELINE_TIER_PRIORITY) return { rules: defaults, defaults };
  return { rules: ingress ? "AntreaPolicyIngressRule" : "AntreaPolicyEgressRule", defaults };
}

/**
 * The flow lines of `policy`, picked from `dumps` (the dumped lines of each policy table), without repeats.
 */
export function policyFlowLines(
  policy: ControlplaneNetworkPolicy,
  ctx: PolicyContext,
  dumps: ReadonlyMap<TableName, readonly string[]>,
): string[] {
  const lines = new Set<string>();
  for (const rule of policy.rules) {
    const tables = ruleTables(policy, rule);
    const flows = (dumps.get(tables.rules) ?? []).map((line) => ({ line, ...flowParts(line) }));
    const atTokens = appliedToTokens(policy, rule, ctx);
    const peers = peerTokens(rule, ctx);
    if (peers.length > 0) {
      const n = rule.services?.length ? 3 : 2;
      const atClause = rule.direction === "In" ? 2 : 1;
      const peerClause = 3 - atClause;
      const ports = (rule.services ?? []).flatMap((s) =>
        typeof s.port === "number" ? [`tp_dst=${s.port}`] : [],
      );
      const clauseHas = (id: number, clause: number, tokens: readonly string[]) =>
        flows.some(
          (f) =>
            f.actions.includes(`conjunction(${id},${clause}/${n})`) &&
            (tokens.length === 0 || f.match.some((m) => tokens.includes(m))),
        );
      const candidates = new Set(
        flows.flatMap((f) =>
          f.match.some((m) => atTokens.includes(m))
            ? [...f.actions.matchAll(new RegExp(`conjunction\\((\\d+),${atClause}/${n}\\)`, "g"))].map((m) =>
                Number(m[1]),
              )
            : [],
        ),
      );
      for (const id of [...candidates].sort((a, b) => a - b)) {
        if (!clauseHas(id, peerClause, peers) || (n === 3 && !clauseHas(id, 3, ports))) continue;
        for (const f of flows) if (f.match.includes(`conj_id=${id}`)) lines.add(f.line);
        for (const f of flows) if (f.actions.includes(`conjunction(${id},`)) lines.add(f.line);
      }
    }
    for (const line of dumps.get(tables.defaults) ?? []) {
      const f = flowParts(line);
      if (f.actions === "drop" && f.match.some((m) => atTokens.includes(m))) lines.add(line);
    }
  }
  return [...lines];
}

/** How the rule's applied-to Pods on this Node appear in its flows. */
function appliedToTokens(
  policy: ControlplaneNetworkPolicy,
  rule: NetworkPolicyRule,
  ctx: PolicyContext,
): string[] {
  const groups = rule.appliedToGroups?.length ? rule.appliedToGroups : policy.appliedToGroups;
  const pods = groups
    .flatMap((g) => ctx.appliedToGroups.get(g)?.groupMembers ?? [])
    .flatMap((m) => {
      const local = m.pod ? ctx.localPods.get(`${m.pod.namespace}/${m.pod.name}`) : undefined;
      return local ? [local] : [];
    });
  return pods.map((p) =>
    rule.direction === "In" ? matchRegField(TargetOFPortField, p.ofport) : `nw_src=${p.ip}`,
  );
}

/** How the rule's peers appear in its flows: `nw_src=` (ingress) or `nw_dst=` (egress) IPs and CIDRs. */
function peerTokens(rule: NetworkPolicyRule, ctx: PolicyContext): string[] {
  const peer = rule.direction === "In" ? rule.from : rule.to;
  const field = rule.direction === "In" ? "nw_src" : "nw_dst";
  const ips = (peer.addressGroups ?? []).flatMap((g) =>
    (ctx.addressGroups.get(g)?.groupMembers ?? []).flatMap((m) => m.ips ?? []),
  );
  return [
    ...ips.map((ip) => `${field}=${ip}`),
    ...(peer.ipBlocks ?? []).map((b) => cidrMatch(field, b.cidr)),
  ];
}

/** As ovs-ofctl prints an address match: a /32 is a plain address, and "anywhere" is just `ip`. */
function cidrMatch(field: string, net: IPNet): string {
  if (net.prefixLength === 0) return "ip";
  return `${field}=${net.prefixLength === 32 ? net.ip : `${net.ip}/${net.prefixLength}`}`;
}
