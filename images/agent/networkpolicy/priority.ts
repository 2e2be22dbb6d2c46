// Where a rule's flows go and at which OpenFlow priority (Antrea's pkg/agent/controller/networkpolicy/priority.go,
// spec §1.5, §1.6): K8s NetworkPolicy rules match at 200 and act at 190 in EgressRule/IngressRule; Antrea-native
// rules use one priority for all their flows, from their Tier, policy priority and rule index, in the
// AntreaPolicy*Rule tables, or below the K8s isolation drops in the *DefaultRule tables for the Baseline Tier.
// Antrea moves a rule to a free neighbouring priority when two rules compute the same one; this agent does not
// (equal priorities are equal precedence, which only matters for overlapping rules with different actions).
import type { Direction } from "../../api/controlplane.ts";
import { DEFAULT_TIER_PRIORITY, STATIC_TIERS } from "../../api/crd-policy.ts";
import { PRIORITY } from "../pipeline/constants.ts";
import type { TableName } from "../pipeline/tables.ts";

export const BASELINE_TIER_PRIORITY = STATIC_TIERS.find((t) => t.name === "baseline")?.priority ?? 253;

/** OpenFlow priority ranges of Antrea-native rules: [bottom, top]. */
const POLICY = { top: 65000, bottom: 100, tierOffset: 200, priorityOffset: 20, defaultTierOffset: 100 };
const BASELINE = { top: 180, bottom: 10, tierOffset: 0, priorityOffset: 10 };

/** Antrea's initialOFPriority: `top - (tier*tierOffset + policyPriority*priorityOffset + ruleIndex)`. */
export function antreaRulePriority(tierPriority: number, policyPriority: number, ruleIndex: number): number {
  const baseline = tierPriority === BASELINE_TIER_PRIORITY;
  const range = baseline ? BASELINE : POLICY;
  const priorityOffset = baseline
    ? BASELINE.priorityOffset
    : tierPriority === DEFAULT_TIER_PRIORITY
      ? POLICY.defaultTierOffset
      : POLICY.priorityOffset;
  const offset =
    range.tierOffset * tierPriority + Math.trunc(policyPriority * priorityOffset) + Math.max(ruleIndex, 0);
  return offset > range.top - range.bottom ? range.bottom : range.top - offset;
}

export interface RulePlacement {
  /** Table of the clause and action flows. */
  table: TableName;
  /** Priority of the clause flows. */
  priority: number;
  /** Priority of the conj_id (action) flow. */
  actionPriority: number;
}

export function k8sRulePlacement(direction: Direction): RulePlacement {
  return {
    table: direction === "In" ? "IngressRule" : "EgressRule",
    priority: PRIORITY.normal,
    actionPriority: PRIORITY.low,
  };
}

export function antreaRulePlacement(
  direction: Direction,
  tierPriority: number,
  policyPriority: number,
  ruleIndex: number,
): RulePlacement {
  const priority = antreaRulePriority(tierPriority, policyPriority, ruleIndex);
  const baseline = tierPriority === BASELINE_TIER_PRIORITY;
  const table: TableName = baseline
    ? direction === "In"
      ? "IngressDefaultRule"
      : "EgressDefaultRule"
    : direction === "In"
      ? "AntreaPolicyIngressRule"
      : "AntreaPolicyEgressRule";
  return { table, priority, actionPriority: priority };
}

/** The K8s isolation ("default deny") drops of a direction: priority 200 in the *DefaultRule tables. */
export function isolationTable(direction: Direction): TableName {
  return direction === "In" ? "IngressDefaultRule" : "EgressDefaultRule";
}
