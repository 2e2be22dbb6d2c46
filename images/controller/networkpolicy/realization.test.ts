import { describe, expect, it } from "vitest";
import { antreaPolicyStatus, realization } from "./realization.ts";

describe("realization", () => {
  const span = ["node1", "node2"];

  it("counts the Nodes of the span that realized the current generation", () => {
    expect(realization(span, 3, [])).toMatchObject({
      phase: "Realizing",
      currentNodesRealized: 0,
      desiredNodesRealized: 2,
    });
    const partial = realization(span, 3, [
      { nodeName: "node1", generation: 2 },
      { nodeName: "node2", generation: 3 },
    ]);
    expect(partial).toMatchObject({ phase: "Realizing", currentNodesRealized: 1, desiredNodesRealized: 2 });
    const all = realization(span, 3, [
      { nodeName: "node1", generation: 3 },
      { nodeName: "node2", generation: 3 },
    ]);
    expect(all).toMatchObject({ phase: "Realized", currentNodesRealized: 2, desiredNodesRealized: 2 });
  });

  it("is Realized with 0/0 for an empty span, and marks reports outside the span stale", () => {
    expect(realization([], 1, [{ nodeName: "gone", generation: 1 }])).toEqual({
      phase: "Realized",
      currentNodesRealized: 0,
      desiredNodesRealized: 0,
      failures: [],
      staleNodes: ["gone"],
    });
  });

  it("fails when a Node reports a failure for the current generation", () => {
    const r = realization(span, 4, [
      { nodeName: "node1", generation: 4, realizationFailure: true, message: "agent failure" },
      { nodeName: "node2", generation: 4 },
    ]);
    expect(r).toMatchObject({ phase: "Failed", currentNodesRealized: 1, failures: [{ nodeName: "node1" }] });
    const status = antreaPolicyStatus(r, 7, undefined, new Date("2026-01-02T03:04:05.678Z"));
    expect(status).toEqual({
      phase: "Failed",
      observedGeneration: 7,
      currentNodesRealized: 1,
      desiredNodesRealized: 2,
      conditions: [
        { type: "Realizable", status: "True", lastTransitionTime: "2026-01-02T03:04:05Z" },
        {
          type: "RealizationFailure",
          status: "True",
          reason: "NetworkPolicyRealizationFailedOnNode",
          message: 'Failed Nodes count 1: "node1":"agent failure"',
          lastTransitionTime: "2026-01-02T03:04:05Z",
        },
      ],
    });
  });

  it("is Pending before the policy is published and keeps condition times while they hold", () => {
    expect(antreaPolicyStatus(undefined, 1, undefined, new Date())).toEqual({
      phase: "Pending",
      observedGeneration: 1,
      currentNodesRealized: 0,
      desiredNodesRealized: 0,
    });
    const first = antreaPolicyStatus(realization([], 1, []), 1, undefined, new Date("2026-01-01T00:00:00Z"));
    const later = antreaPolicyStatus(realization([], 1, []), 1, first, new Date("2026-06-01T00:00:00Z"));
    expect(later).toEqual(first);
  });
});
