// The flows of compiled policies (spec §1.5, §1.6): clause flows, shared between conjunctions that match the same
// thing at the same priority (one flow, several conjunction() actions), the conj_id action flow of each rule, the
// metric-table flows, and the K8s isolation drops.
import type { Direction } from "../../api/controlplane.ts";
import { type Flow, FlowBuilder } from "../openflow/flow.ts";
import { CT_ZONE, PRIORITY } from "../pipeline/constants.ts";
import {
  APConjIDField,
  APDenyRegMark,
  type CtLabelField,
  DispositionRejectRegMark,
  EgressRuleCTLabel,
  IngressRuleCTLabel,
  loadCtLabel,
  loadRegField,
  loadRegMark,
  matchRegField,
  matchRegMarks,
  TFEgressConjIDField,
  TFIngressConjIDField,
} from "../pipeline/fields.ts";
import type { Pipeline, TableName } from "../pipeline/tables.ts";
import type { CompiledPolicies, Conjunction } from "./rules.ts";

/**
 * `controller()` userdata of the packet-in a Reject rule sends: category NetworkPolicy (2, the cookie category),
 * operation reject (4, Antrea's PacketInNPRejectOperation bit). The reject responder listens for exactly this.
 */
export const REJECT_USERDATA = "02.04";
/** Enough of the rejected packet for its Ethernet, IP (with options) and TCP (with options) headers. */
const REJECT_MAX_LEN = 256;

const metricTable = (d: Direction): TableName => (d === "In" ? "IngressMetric" : "EgressMetric");
const k8sTable = (d: Direction): TableName => (d === "In" ? "IngressRule" : "EgressRule");

/** All flows of the compiled policies; `conjId` gives each conjunction's ID. */
export function policyFlows(
  p: Pipeline,
  compiled: CompiledPolicies,
  conjId: (c: Conjunction) => number,
): Flow[] {
  const shared = new FlowBuilder(p, "NetworkPolicy");
  const flows: Flow[] = [];
  // Clause flows by table, priority and match, collecting the conjunction() actions of every rule that needs them.
  const clauses = new Map<
    string,
    {
      table: TableName;
      priority: number;
      match: readonly string[];
      actions: { id: number; k: number; n: number }[];
    }
  >();
  for (const c of compiled.conjunctions) {
    const id = conjId(c);
    const { table, priority } = c.placement;
    c.clauses.forEach((matches, i) => {
      for (const match of matches) {
        const key = `${table}/${priority}/${match.join(",")}`;
        const entry = clauses.get(key) ?? { table, priority, match, actions: [] };
        entry.actions.push({ id, k: i + 1, n: c.clauses.length });
        clauses.set(key, entry);
      }
    });
    flows.push(...ruleFlows(p, c, id));
  }
  for (const { table, priority, match, actions } of clauses.values()) {
    // Sorted, so that a flow's text does not depend on the order policies were seen in.
    actions.sort((a, b) => a.id - b.id || a.k - b.k);
    flows.push(
      shared.flow(
        table,
        priority,
        match,
        actions.map((a) => `conjunction(${a.id},${a.k}/${a.n})`),
      ),
    );
  }
  for (const drop of compiled.isolation) {
    flows.push(shared.flow(drop.table, PRIORITY.normal, drop.match, ["drop"]));
  }
  return flows;
}

/** The conj_id flow of a rule and its metric-table flows. */
function ruleFlows(p: Pipeline, c: Conjunction, id: number): Flow[] {
  const b = new FlowBuilder(p, "NetworkPolicy", id);
  const { table, actionPriority } = c.placement;
  const metric = metricTable(c.direction);
  const tfConjField = c.direction === "In" ? TFIngressConjIDField : TFEgressConjIDField;
  const deny = [loadRegField(APConjIDField, id), loadRegMark(APDenyRegMark)];
  const denyMetric = () =>
    b.flow(
      metric,
      PRIORITY.normal,
      [matchRegMarks(APDenyRegMark), matchRegField(APConjIDField, id)],
      ["drop"],
    );
  switch (c.action) {
    case "Allow": {
      const label = c.direction === "In" ? IngressRuleCTLabel : EgressRuleCTLabel;
      const labelMatch = ctLabelMatch(label, id);
      return [
        b.flow(
          table,
          actionPriority,
          [`conj_id=${id}`, "ip"],
          [
            loadRegField(tfConjField, id),
            `ct(commit,table=${p.id(metric)},zone=${CT_ZONE},exec(${loadCtLabel(label, id)}))`,
          ],
        ),
        // Counters only: the connections this rule allowed, new and established.
        b.flow(metric, PRIORITY.normal, ["ct_state=+new", labelMatch, "ip"], [p.gotoNext(metric)]),
        b.flow(metric, PRIORITY.normal, ["ct_state=-new", labelMatch, "ip"], [p.gotoNext(metric)]),
      ];
    }
    case "Drop":
      return [b.flow(table, actionPriority, [`conj_id=${id}`], [...deny, p.goto(metric)]), denyMetric()];
    case "Reject":
      return [
        b.flow(
          table,
          actionPriority,
          [`conj_id=${id}`],
          [
            ...deny,
            loadRegMark(DispositionRejectRegMark),
            `controller(max_len=${REJECT_MAX_LEN},userdata=${REJECT_USERDATA})`,
            p.goto(metric),
          ],
        ),
        denyMetric(),
      ];
    case "Pass": {
      // On to the K8s NetworkPolicy tables; a Baseline rule has nothing below it but the metric table.
      const next =
        table === "AntreaPolicyIngressRule" || table === "AntreaPolicyEgressRule"
          ? k8sTable(c.direction)
          : metric;
      return [
        b.flow(table, actionPriority, [`conj_id=${id}`], [loadRegField(tfConjField, id), p.goto(next)]),
      ];
    }
  }
}

/** `ct_label=0x3/0xffffffff` (ingress) or `ct_label=0x300000000/0xffffffff00000000` (egress). */
function ctLabelMatch(label: CtLabelField, id: number): string {
  const shift = BigInt(label.start);
  const mask = ((1n << BigInt(label.end - label.start + 1)) - 1n) << shift;
  return `ct_label=0x${(BigInt(id) << shift).toString(16)}/0x${mask.toString(16)}`;
}
