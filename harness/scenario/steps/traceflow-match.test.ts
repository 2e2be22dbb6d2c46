// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario reference syntax under test
// Judging Traceflow status the way the traceflow step does, against status as Antrea writes it (shapes from Antrea's
// test/e2e/traceflow_test.go and a kind cluster: timestamps, ttl, dstMAC, srcPodIP and tunnelDstIP included).
import { describe, expect, it } from "vitest";
import type { NodeResult } from "../../../images/api/traceflow.ts";
import {
  type ExpectedNode,
  type ExpectedObservation,
  formatExpectation,
  formatOutcome,
  type TraceExpectation,
  type TraceOutcome,
  traceProblems,
} from "./traceflow-match.ts";

/** `Component/Info/Action` -> ExpectedObservation, with optional fields. */
function obs(text: string, fields: Record<string, string | number | RegExp> = {}): ExpectedObservation {
  const parts = text.split("/");
  const [component, info, action] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
  return { component: component!, componentInfo: info, action: action!, fields: Object.entries(fields) };
}

const node = (name: string, observations: ExpectedObservation[], written = name): ExpectedNode => ({
  node: name,
  written,
  observations,
});

const want = (nodes: ExpectedNode[], over: Partial<TraceExpectation> = {}): TraceExpectation => ({
  phase: "Succeeded",
  nodes,
  exact: false,
  ...over,
});

const SENDER: NodeResult = {
  node: "kind-worker",
  timestamp: 1717171717,
  observations: [
    { component: "SpoofGuard", action: "Forwarded", srcPodIP: "10.244.1.5" },
    {
      component: "NetworkPolicy",
      componentInfo: "EgressRule",
      action: "Forwarded",
      networkPolicy: "K8sNetworkPolicy:tf-abcde/allow-all-egress",
    },
    {
      component: "Forwarding",
      componentInfo: "Output",
      action: "Forwarded",
      tunnelDstIP: "172.18.0.3",
      ttl: 63,
      dstMAC: "aa:bb:cc:dd:ee:ff",
    },
  ],
};
const RECEIVER: NodeResult = {
  node: "kind-worker2",
  timestamp: 1717171717,
  observations: [
    { component: "Forwarding", action: "Received" },
    { component: "Forwarding", componentInfo: "Output", action: "Delivered", ttl: 63 },
  ],
};
const INTER_NODE: TraceOutcome = { phase: "Succeeded", results: [SENDER, RECEIVER] };

describe("traceProblems", () => {
  it("accepts each Node's observations as an ordered subsequence, ignoring fields it does not name", () => {
    const expectation = want([
      node("kind-worker", [
        obs("SpoofGuard/Forwarded"),
        obs("Forwarding/Output/Forwarded", { tunnelDstIP: "172.18.0.3" }),
      ]),
      node("kind-worker2", [obs("Forwarding/Received"), obs("Forwarding/Output/Delivered")]),
    ]);
    expect(traceProblems(INTER_NODE, expectation)).toEqual([]);
    // Results come in the order the agents wrote them; the expectation's order of Nodes does not matter.
    expect(traceProblems({ ...INTER_NODE, results: [RECEIVER, SENDER] }, expectation)).toEqual([]);
  });

  it("says which observation is missing, after which one, and which field differs", () => {
    expect(
      traceProblems(
        INTER_NODE,
        want([
          node("kind-worker2", [obs("Forwarding/Received"), obs("NetworkPolicy/IngressDefaultRule/Dropped")]),
        ]),
      ),
    ).toEqual(["kind-worker2: no NetworkPolicy/IngressDefaultRule/Dropped after Forwarding/Received"]);
    expect(
      traceProblems(
        INTER_NODE,
        want([node("kind-worker", [obs("Forwarding/Output/Forwarded"), obs("SpoofGuard/Forwarded")])]),
      ),
    ).toEqual(["kind-worker: no SpoofGuard/Forwarded after Forwarding/Output/Forwarded"]);
    expect(
      traceProblems(
        INTER_NODE,
        want([
          node("kind-worker", [
            obs("SpoofGuard/Forwarded"),
            obs("Forwarding/Output/Forwarded", { tunnelDstIP: "172.18.0.9", pod: "x/c" }),
          ]),
        ]),
      ),
    ).toEqual([
      'kind-worker: Forwarding/Output/Forwarded[tunnelDstIP="172.18.0.9",pod="x/c"] after SpoofGuard/Forwarded: tunnelDstIP is "172.18.0.3", expected "172.18.0.9", pod is not set, expected "x/c"',
    ]);
  });

  it("compares component, componentInfo and action exactly: no componentInfo is not any componentInfo", () => {
    expect(traceProblems(INTER_NODE, want([node("kind-worker", [obs("NetworkPolicy/Forwarded")])]))).toEqual([
      "kind-worker: no NetworkPolicy/Forwarded",
    ]);
    expect(
      traceProblems(INTER_NODE, want([node("kind-worker2", [obs("Forwarding/Output/Received")])])),
    ).toEqual(["kind-worker2: no Forwarding/Output/Received"]);
  });

  it("matches field values as regular expressions and numbers", () => {
    const regex = obs("NetworkPolicy/EgressRule/Forwarded", {
      networkPolicy: /^K8sNetworkPolicy:tf-[a-z0-9]+\/allow-all-egress$/,
    });
    expect(traceProblems(INTER_NODE, want([node("kind-worker", [regex])]))).toEqual([]);
    const ttl = obs("Forwarding/Output/Delivered", { ttl: 64 });
    expect(traceProblems(INTER_NODE, want([node("kind-worker2", [ttl])]))).toEqual([
      "kind-worker2: Forwarding/Output/Delivered[ttl=64]: ttl is 63, expected 64",
    ]);
  });

  it("treats Antrea's older name ForwardedOutOfOverlay as ForwardedOutOfNetwork, either way round", () => {
    const external = (action: string): TraceOutcome => ({
      phase: "Succeeded",
      results: [
        {
          node: "kind-worker",
          observations: [
            { component: "SpoofGuard", action: "Forwarded" },
            { component: "Forwarding", componentInfo: "Output", action },
          ],
        },
      ],
    });
    for (const seen of ["ForwardedOutOfOverlay", "ForwardedOutOfNetwork"]) {
      for (const expected of ["ForwardedOutOfOverlay", "ForwardedOutOfNetwork"]) {
        const e = want(
          [node("kind-worker", [obs("SpoofGuard/Forwarded"), obs(`Forwarding/Output/${expected}`)])],
          {
            exact: true,
          },
        );
        expect(traceProblems(external(seen), e)).toEqual([]);
      }
    }
    expect(
      traceProblems(
        external("Forwarded"),
        want([node("kind-worker", [obs("Forwarding/Output/ForwardedOutOfNetwork")])]),
      ),
    ).toEqual(["kind-worker: no Forwarding/Output/ForwardedOutOfNetwork"]);
  });

  it("reports a Node without results, naming the Nodes that did report", () => {
    expect(
      traceProblems(
        INTER_NODE,
        want([node("kind-worker3", [obs("Forwarding/Received")], "${pod/x/c.node}")]),
      ),
    ).toEqual(["kind-worker3: no result (results came from kind-worker, kind-worker2)"]);
    expect(
      traceProblems({ phase: "Failed", results: [] }, want([node("n", [obs("SpoofGuard/Forwarded")])])),
    ).toEqual(["phase Failed, expected Succeeded", "n: no result (results came from no Node)"]);
  });

  it("exact: the same Nodes, one result each, the same observations (as Antrea's e2e compares them)", () => {
    const sender = [obs("SpoofGuard/Forwarded"), obs("Forwarding/Output/Forwarded")];
    const receiver = [obs("Forwarding/Received"), obs("Forwarding/Output/Delivered")];
    expect(
      traceProblems(
        INTER_NODE,
        want([node("kind-worker", sender), node("kind-worker2", receiver)], { exact: true }),
      ),
    ).toEqual([
      "kind-worker: 3 observation(s), expected 2",
      "kind-worker: observation 2: NetworkPolicy/EgressRule/Forwarded, expected Forwarding/Output/Forwarded",
    ]);
    const withPolicy = [sender[0]!, obs("NetworkPolicy/EgressRule/Forwarded"), sender[1]!];
    expect(
      traceProblems(
        INTER_NODE,
        want([node("kind-worker", withPolicy), node("kind-worker2", receiver)], { exact: true }),
      ),
    ).toEqual([]);
    expect(traceProblems(INTER_NODE, want([node("kind-worker", withPolicy)], { exact: true }))).toEqual([
      "kind-worker2: unexpected result Forwarding/Received, Forwarding/Output/Delivered",
    ]);
    expect(
      traceProblems(
        { phase: "Succeeded", results: [SENDER, RECEIVER, RECEIVER] },
        want([node("kind-worker", withPolicy), node("kind-worker2", receiver)], { exact: true }),
      ),
    ).toEqual(["kind-worker2: 2 results, expected one"]);
    expect(
      traceProblems(
        INTER_NODE,
        want([node("kind-worker", withPolicy), node("kind-worker2", [receiver[0]!])], { exact: true }),
      ),
    ).toEqual(["kind-worker2: 2 observation(s), expected 1"]);
  });

  it("checks the phase and the reason (exact text or regular expression)", () => {
    const failed: TraceOutcome = {
      phase: "Failed",
      reason: 'Node: kind-worker, error: failed to get the destination Pod: pods "missing" not found',
      results: [],
    };
    expect(traceProblems(failed, want([], { phase: "Failed", reason: /missing.*not found/ }))).toEqual([]);
    expect(traceProblems(failed, want([], { phase: "Failed", reason: "Traceflow timeout" }))).toEqual([
      'reason "Node: kind-worker, error: failed to get the destination Pod: pods \\"missing\\" not found", expected "Traceflow timeout"',
    ]);
    expect(traceProblems(failed, want([]))).toEqual([
      'phase Failed (reason: Node: kind-worker, error: failed to get the destination Pod: pods "missing" not found), expected Succeeded',
    ]);
    expect(traceProblems({ phase: "Running", results: [] }, want([], { phase: "Failed" }))).toEqual([
      "phase Running, expected Failed",
    ]);
  });
});

describe("formatExpectation and formatOutcome", () => {
  it("print each Node's observations compactly, with the references the keys were written as", () => {
    const expectation = want([
      node(
        "kind-worker",
        [obs("SpoofGuard/Forwarded"), obs("Forwarding/Output/Forwarded", { tunnelDstIP: "172.18.0.3" })],
        "${pod/x/a.node}",
      ),
      node("kind-worker2", [obs("Forwarding/Received"), obs("Forwarding/Output/Delivered")]),
    ]);
    expect(formatExpectation(expectation)).toBe(
      [
        "phase Succeeded",
        'kind-worker (${pod/x/a.node}): SpoofGuard/Forwarded, Forwarding/Output/Forwarded[tunnelDstIP="172.18.0.3"]',
        "kind-worker2: Forwarding/Received, Forwarding/Output/Delivered",
        "(in this order per Node; others may come between)",
      ].join("\n"),
    );
    expect(formatOutcome(INTER_NODE, expectation)).toBe(
      [
        "phase Succeeded",
        'kind-worker: SpoofGuard/Forwarded, NetworkPolicy/EgressRule/Forwarded, Forwarding/Output/Forwarded[tunnelDstIP="172.18.0.3"]',
        "kind-worker2: Forwarding/Received, Forwarding/Output/Delivered",
      ].join("\n"),
    );
    expect(formatExpectation(want([], { phase: "Failed", reason: /not found/, exact: true }))).toBe(
      "phase Failed\nreason /not found/",
    );
    expect(formatOutcome({ phase: "", reason: "", results: [] }, want([]))).toBe("phase (none)\nno results");
  });
});
