import { describe, expect, it } from "vitest";
import { antreaRulePlacement, antreaRulePriority, k8sRulePlacement } from "./priority.ts";

describe("rule placement", () => {
  it("computes Antrea's OpenFlow priority from Tier, policy priority and rule index", () => {
    // spec §1.6: Application tier, priority 5, rule 0 -> 14500; rule 1 -> 14499.
    expect(antreaRulePriority(250, 5, 0)).toBe(14500);
    expect(antreaRulePriority(250, 5, 1)).toBe(14499);
    expect(antreaRulePriority(250, 1.5, 0)).toBe(14850);
    expect(antreaRulePriority(100, 1, 0)).toBe(65000 - (100 * 200 + 20));
    expect(antreaRulePriority(50, 1, 2)).toBe(65000 - (50 * 200 + 20 + 2));
    // Baseline: [10, 180], below the K8s isolation drops at 200.
    expect(antreaRulePriority(253, 1, 0)).toBe(170);
    expect(antreaRulePriority(253, 100, 0)).toBe(10);
    expect(antreaRulePriority(250, 10_000, 0)).toBe(100);
    // A higher-precedence Tier always wins over a lower one.
    expect(antreaRulePriority(100, 10_000 / 20 - 1, 0)).toBeGreaterThan(antreaRulePriority(150, 0, 0));
  });

  it("puts K8s rules in *Rule at 200/190 and Antrea rules in AntreaPolicy*Rule or *DefaultRule (Baseline)", () => {
    expect(k8sRulePlacement("In")).toEqual({ table: "IngressRule", priority: 200, actionPriority: 190 });
    expect(k8sRulePlacement("Out")).toEqual({ table: "EgressRule", priority: 200, actionPriority: 190 });
    expect(antreaRulePlacement("In", 250, 5, 0)).toEqual({
      table: "AntreaPolicyIngressRule",
      priority: 14500,
      actionPriority: 14500,
    });
    expect(antreaRulePlacement("Out", 253, 1, 0).table).toBe("EgressDefaultRule");
  });
});
