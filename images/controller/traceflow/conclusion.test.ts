import { describe, expect, it } from "vitest";
import { type NodeResult, parseTraceflow, type Traceflow } from "../../api/traceflow.ts";
import { conclude, deadlineMs } from "./conclusion.ts";

const START = Date.parse("2025-01-01T00:00:00Z");

function running(spec: object, results?: NodeResult[]): Traceflow {
  const tf = parseTraceflow({
    metadata: { name: "tf", creationTimestamp: "2024-12-31T23:59:59Z" },
    spec,
    status: { phase: "Running", startTime: "2025-01-01T00:00:00Z", dataplaneTag: 7, results },
  });
  if (!tf) throw new Error("does not parse");
  return tf;
}

const podToPod = {
  source: { namespace: "default", pod: "a" },
  destination: { namespace: "default", pod: "b" },
};
const at = (nowMs = START) => ({ nowMs, deadlineMs: START + 20_000, podByIP: () => undefined });
const sender: NodeResult = {
  node: "n1",
  observations: [
    { component: "SpoofGuard", action: "Forwarded" },
    { component: "Forwarding", componentInfo: "Output", action: "Forwarded", tunnelDstIP: "172.18.0.3" },
  ],
};
const receiver: NodeResult = {
  node: "n2",
  observations: [
    { component: "Forwarding", action: "Received" },
    { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
  ],
};

describe("conclude", () => {
  it("needs the sender's SpoofGuard and a final action when a source Pod is given", () => {
    expect(conclude(running(podToPod), at())).toBeUndefined();
    expect(conclude(running(podToPod, [sender]), at())).toBeUndefined();
    expect(conclude(running(podToPod, [receiver]), at())).toBeUndefined();
    expect(conclude(running(podToPod, [sender, receiver]), at())).toEqual({
      phase: "Succeeded",
      startTime: "2025-01-01T00:00:00Z",
      dataplaneTag: 0,
      results: [sender, receiver],
    });
  });

  it("takes every final action, and a final action alone for a live trace without a source Pod", () => {
    for (const action of ["Dropped", "Rejected", "ForwardedOutOfNetwork"]) {
      const end = { node: "n1", observations: [{ component: "NetworkPolicy", action }] };
      const spoof = { node: "n1", observations: [{ component: "SpoofGuard", action: "Forwarded" }] };
      expect(conclude(running(podToPod, [spoof, end]), at())?.phase).toBe("Succeeded");
    }
    const live = { liveTraffic: true, destination: { namespace: "default", pod: "b" } };
    expect(conclude(running(live, [receiver]), at())?.phase).toBe("Succeeded");
    const received = { node: "n2", observations: [{ component: "Forwarding", action: "Received" }] };
    expect(conclude(running(live, [received]), at())).toBeUndefined();
  });

  it("ends a droppedOnly live trace with any result", () => {
    const spec = { liveTraffic: true, droppedOnly: true, destination: { namespace: "default", pod: "b" } };
    expect(conclude(running(spec), at())).toBeUndefined();
    const received = { node: "n2", observations: [{ component: "Forwarding", action: "Received" }] };
    expect(conclude(running(spec, [received]), at())?.phase).toBe("Succeeded");
  });

  it("names the Pod behind a translated destination IP", () => {
    const lb: NodeResult = {
      node: "n1",
      observations: [
        { component: "SpoofGuard", action: "Forwarded" },
        { component: "LB", action: "Forwarded", translatedDstIP: "10.10.1.5" },
        { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
      ],
    };
    const podByIP = (ip: string) => (ip === "10.10.1.5" ? "web/backend-0" : undefined);
    const done = conclude(running(podToPod, [lb]), { ...at(), podByIP });
    expect(done?.results?.[0]?.observations?.[1]).toEqual({
      component: "LB",
      action: "Forwarded",
      translatedDstIP: "10.10.1.5",
      pod: "web/backend-0",
    });
  });

  it("fails with Traceflow timeout once the deadline passed, keeping partial results", () => {
    expect(conclude(running(podToPod, [sender]), at(START + 19_999))).toBeUndefined();
    expect(conclude(running(podToPod, [sender]), at(START + 20_000))).toEqual({
      phase: "Failed",
      reason: "Traceflow timeout",
      startTime: "2025-01-01T00:00:00Z",
      dataplaneTag: 0,
      results: [sender],
    });
  });

  it("puts the deadline at the start plus spec.timeout (20 s by default)", () => {
    expect(deadlineMs(running(podToPod))).toBe(START + 20_000);
    expect(deadlineMs(running({ ...podToPod, timeout: 3 }))).toBe(START + 3_000);
    expect(deadlineMs(running({ ...podToPod, timeout: 3 }), START + 400)).toBe(START + 3_400);
    const old = running(podToPod);
    delete old.status?.startTime;
    expect(deadlineMs(old)).toBe(START - 1000 + 20_000);
  });
});
