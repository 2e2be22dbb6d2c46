// From the controlplane objects to what this Node must install: each rule of each policy becomes conjunctions
// (from = 1, to = 2, service = 3, spec §1.5) over the Pods of this Node it applies to, plus the K8s isolation
// drops. Ingress "to" is the Pods' ofports (reg1), egress "from" their IPs. Named ports are resolved per Pod: for
// ingress on the applied-to Pods, for egress on the peer Pods; members that resolve alike share one conjunction,
// so one rule may need several conj_ids. Pure: the controller feeds it what it watched and what the Node has.
import type {
  ControlplaneNetworkPolicy,
  Direction,
  GroupMember,
  NamedPort,
  NetworkPolicyPeer,
  NetworkPolicyRule,
  RuleAction,
  Service,
} from "../../api/controlplane.ts";
import { formatSourceRef } from "../../api/controlplane.ts";
import { DEFAULT_TIER_PRIORITY } from "../../api/crd-policy.ts";
import type { Cidr } from "../ipv4.ts";
import { matchRegField, TargetOFPortField } from "../pipeline/fields.ts";
import type { TableName } from "../pipeline/tables.ts";
import { formatAddress, hostCidr, ipBlockCidrs, isAny } from "./address-set.ts";
import { type PortSpec, portMatches, portSetKey } from "./port-match.ts";
import { antreaRulePlacement, isolationTable, k8sRulePlacement, type RulePlacement } from "./priority.ts";

/** A Pod with an interface on this Node's br-int. */
export interface LocalPod {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly ofport: number;
}

export interface PolicyInputs {
  /** The policies whose span contains this Node. */
  readonly policies: readonly ControlplaneNetworkPolicy[];
  /** Groups by name: all that are known, whatever their span (a missing group means "not received yet"). */
  readonly addressGroups: ReadonlyMap<string, readonly GroupMember[]>;
  readonly appliedToGroups: ReadonlyMap<string, readonly GroupMember[]>;
  readonly localPods: readonly LocalPod[];
  /** Whether the pipeline has the AntreaPolicy tables (feature gate); without them Antrea-native rules are skipped. */
  readonly antreaPolicy: boolean;
}

/** The policy rule a conjunction realizes, as Traceflow observations name it. */
export interface RuleRef {
  /** `K8sNetworkPolicy:ns/name`, `AntreaClusterNetworkPolicy:name`, ... */
  readonly policy: string;
  readonly name?: string;
  readonly action: RuleAction;
}

/** One OVS conjunction: its clauses in order, each a list of matches (one clause flow per match). */
export interface Conjunction {
  readonly rule: RuleRef;
  /** Identity for conj_id allocation: stays the same while the rule and its port grouping do. */
  readonly key: string;
  readonly direction: Direction;
  readonly action: RuleAction;
  readonly placement: RulePlacement;
  readonly clauses: readonly (readonly string[])[][];
}

export interface IsolationDrop {
  readonly table: TableName;
  readonly match: readonly string[];
}

export interface CompiledPolicies {
  readonly conjunctions: Conjunction[];
  readonly isolation: IsolationDrop[];
  /** Names of the policies whose groups were all known, i.e. that the computed flows fully realize. */
  readonly complete: Set<string>;
  /** Policies waiting for groups, with the missing group names. */
  readonly waiting: Map<string, string[]>;
  /** Policies this Node cannot realize, with the reason (reported as realization failures). */
  readonly unsupported: Map<string, string>;
}

interface PeerAddress {
  readonly cidr: Cidr;
  /** Named ports of a peer Pod (egress rules resolve names on them). */
  readonly ports?: readonly NamedPort[];
}

interface AppliedPod {
  readonly pod: LocalPod;
  readonly ports?: readonly NamedPort[];
}

const podKey = (namespace: string, name: string) => `${namespace}/${name}`;

export function compilePolicies(inputs: PolicyInputs): CompiledPolicies {
  const local = new Map<string, LocalPod[]>();
  for (const pod of inputs.localPods) {
    const key = podKey(pod.namespace, pod.name);
    local.set(key, [...(local.get(key) ?? []), pod]);
  }
  const conjunctions: Conjunction[] = [];
  const isolation = new Map<string, IsolationDrop>();
  const complete = new Set<string>();
  const waiting = new Map<string, string[]>();
  const unsupported = new Map<string, string>();

  for (const policy of inputs.policies) {
    const name = policy.metadata.name;
    const k8s = policy.sourceRef.type === "K8sNetworkPolicy";
    if (!k8s && !inputs.antreaPolicy) {
      unsupported.set(name, "Antrea-native policies need the AntreaPolicy feature gate");
      continue;
    }
    const missing = missingGroups(policy, inputs);
    if (missing.length) {
      waiting.set(name, missing);
      continue;
    }
    complete.add(name);
    policy.rules.forEach((rule, index) => {
      const applied = appliedPods(rule.appliedToGroups ?? policy.appliedToGroups, inputs, local);
      if (!applied.length) return;
      if (k8s) {
        for (const { pod } of applied) {
          const match =
            rule.direction === "In"
              ? [matchRegField(TargetOFPortField, pod.ofport)]
              : ["ip", `nw_src=${pod.ip}`];
          const drop = { table: isolationTable(rule.direction), match };
          isolation.set(`${drop.table}/${match.join(",")}`, drop);
        }
        // The isolation rule of a policy type without rules has no action: only the drops above.
        if (!rule.action) return;
      }
      const placement = k8s
        ? k8sRulePlacement(rule.direction)
        : antreaRulePlacement(
            rule.direction,
            policy.tierPriority ?? DEFAULT_TIER_PRIORITY,
            policy.priority ?? 0,
            rule.priority ?? index,
          );
      const action = rule.action ?? "Allow";
      const ruleRef: RuleRef = {
        policy: formatSourceRef(policy.sourceRef),
        ...(rule.name ? { name: rule.name } : {}),
        action,
      };
      const base = { direction: rule.direction, action, placement, rule: ruleRef };
      conjunctions.push(
        ...ruleClauses(rule, applied, inputs).map(({ portKey, clauses }) => ({
          ...base,
          key: `${name}/${index}/${portKey}`,
          clauses,
        })),
      );
    });
  }
  return { conjunctions, isolation: [...isolation.values()], complete, waiting, unsupported };
}

function missingGroups(policy: ControlplaneNetworkPolicy, inputs: PolicyInputs): string[] {
  const missing = new Set<string>();
  for (const g of policy.appliedToGroups) if (!inputs.appliedToGroups.has(g)) missing.add(g);
  for (const rule of policy.rules) {
    for (const g of rule.appliedToGroups ?? []) if (!inputs.appliedToGroups.has(g)) missing.add(g);
    for (const g of [...(rule.from.addressGroups ?? []), ...(rule.to.addressGroups ?? [])]) {
      if (!inputs.addressGroups.has(g)) missing.add(g);
    }
  }
  return [...missing].sort();
}

function appliedPods(
  groups: readonly string[],
  inputs: PolicyInputs,
  local: ReadonlyMap<string, LocalPod[]>,
): AppliedPod[] {
  const byOfport = new Map<number, AppliedPod>();
  for (const g of groups) {
    for (const m of inputs.appliedToGroups.get(g) ?? []) {
      if (!m.pod) continue;
      for (const pod of local.get(podKey(m.pod.namespace, m.pod.name)) ?? []) {
        byOfport.set(pod.ofport, m.ports ? { pod, ports: m.ports } : { pod });
      }
    }
  }
  return [...byOfport.values()];
}

function peerAddresses(peer: NetworkPolicyPeer, inputs: PolicyInputs): PeerAddress[] {
  const out = new Map<string, PeerAddress>();
  for (const g of peer.addressGroups ?? []) {
    for (const m of inputs.addressGroups.get(g) ?? []) {
      for (const ip of m.ips ?? []) {
        if (ip.includes(":")) continue;
        const cidr = hostCidr(ip);
        const key = formatAddress(cidr);
        const known = out.get(key);
        // The same IP in two groups: keep the named ports of whichever entry has them.
        if (!known?.ports) out.set(key, m.ports ? { cidr, ports: m.ports } : { cidr });
      }
    }
  }
  for (const cidr of ipBlockCidrs(peer.ipBlocks ?? [])) {
    if (!out.has(formatAddress(cidr))) out.set(formatAddress(cidr), { cidr });
  }
  return [...out.values()];
}

/** The ports a member gets: the rule's numbered ports, plus its named ports that the rule names. */
function resolvePorts(services: readonly Service[], named: readonly NamedPort[] | undefined): PortSpec[] {
  const specs: PortSpec[] = [];
  for (const s of services) {
    const protocol = s.protocol ?? "TCP";
    if (typeof s.port === "string") {
      const hit = named?.find((n) => n.name === s.port && n.protocol === protocol);
      if (hit) specs.push({ protocol, port: hit.port });
    } else if (s.port === undefined) specs.push({ protocol });
    else
      specs.push(
        s.endPort === undefined ? { protocol, port: s.port } : { protocol, port: s.port, endPort: s.endPort },
      );
  }
  return specs;
}

/** Splits members by the ports they resolve to; without services, all members form one group. */
function groupByPorts<T>(
  members: readonly T[],
  services: readonly Service[] | undefined,
  namedPortsOf: (m: T) => readonly NamedPort[] | undefined,
): { portKey: string; ports?: PortSpec[]; members: T[] }[] {
  if (!services) return members.length ? [{ portKey: "", members: [...members] }] : [];
  const groups = new Map<string, { portKey: string; ports: PortSpec[]; members: T[] }>();
  for (const m of members) {
    const ports = resolvePorts(services, namedPortsOf(m));
    if (!ports.length) continue;
    const portKey = portSetKey(ports);
    const g = groups.get(portKey) ?? { portKey, ports, members: [] };
    g.members.push(m);
    groups.set(portKey, g);
  }
  return [...groups.values()];
}

function addressMatches(addresses: readonly PeerAddress[], field: "nw_src" | "nw_dst"): string[][] {
  // An "any" peer makes every other address of the clause redundant.
  if (addresses.some((a) => isAny(a.cidr))) return [["ip"]];
  return [...new Set(addresses.map((a) => formatAddress(a.cidr)))].map((a) => ["ip", `${field}=${a}`]);
}

function serviceClause(ports: readonly PortSpec[] | undefined): string[][][] {
  if (!ports) return [];
  const seen = new Map<string, string[]>();
  for (const m of ports.flatMap(portMatches)) seen.set(m.join(","), m);
  return [[...seen.values()]];
}

function ruleClauses(
  rule: NetworkPolicyRule,
  applied: readonly AppliedPod[],
  inputs: PolicyInputs,
): { portKey: string; clauses: string[][][] }[] {
  const result: { portKey: string; clauses: string[][][] }[] = [];
  if (rule.direction === "In") {
    const from = addressMatches(peerAddresses(rule.from, inputs), "nw_src");
    for (const g of groupByPorts(applied, rule.services, (a) => a.ports)) {
      const to = g.members.map((a) => [matchRegField(TargetOFPortField, a.pod.ofport)]);
      result.push({ portKey: g.portKey, clauses: [from, to, ...serviceClause(g.ports)] });
    }
  } else {
    const from = applied.map((a) => ["ip", `nw_src=${a.pod.ip}`]);
    for (const g of groupByPorts(peerAddresses(rule.to, inputs), rule.services, (p) => p.ports)) {
      result.push({
        portKey: g.portKey,
        clauses: [from, addressMatches(g.members, "nw_dst"), ...serviceClause(g.ports)],
      });
    }
  }
  // A clause nothing can match (a peer group without members) makes the conjunction unsatisfiable: leave it out.
  return result.filter((r) => r.clauses.every((c) => c.length > 0));
}
