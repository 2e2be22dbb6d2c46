// When a Running Traceflow is over (Antrea's checkTraceflowStatus): Succeeded once the agents reported the packet
// at its sender (a SpoofGuard observation) and at its end (a final action), or only at its end for a trace without
// a source Pod; a droppedOnly live trace succeeds with any result. Otherwise Failed with "Traceflow timeout" once
// its deadline passed. Both set dataplaneTag 0 and keep everything the agents wrote.
import {
  FINAL_ACTIONS,
  type NodeResult,
  TRACEFLOW_TIMEOUT_REASON,
  type Traceflow,
  type TraceflowStatus,
  traceflowTimeoutSeconds,
} from "../../api/traceflow.ts";

/** `ns/name` of the Pod that has `ip`, if any. */
export type PodByIP = (ip: string) => string | undefined;

/**
 * When the trace times out, in ms since the epoch: its start plus spec.timeout. `startedMs` is the exact start
 * where this controller knows it (status.startTime has whole seconds only).
 */
export function deadlineMs(tf: Traceflow, startedMs?: number): number {
  // Antrea falls back to the creation time for a Running Traceflow without startTime (written by older versions).
  const start = startedMs ?? Date.parse(tf.status?.startTime ?? tf.metadata.creationTimestamp ?? "");
  return (Number.isNaN(start) ? 0 : start) + traceflowTimeoutSeconds(tf) * 1000;
}

/** The final status of a Running Traceflow, or undefined while it is still running. */
export function conclude(
  tf: Traceflow,
  at: { nowMs: number; deadlineMs: number; podByIP: PodByIP },
): TraceflowStatus | undefined {
  const status = tf.status ?? {};
  const results = status.results ?? [];
  let succeeded: boolean;
  let concluded: NodeResult[] = results;
  if (tf.spec.liveTraffic && tf.spec.droppedOnly) {
    // A droppedOnly trace gets exactly one NodeResult: the drop.
    succeeded = results.length > 0;
  } else {
    let sender = false;
    let receiver = false;
    concluded = results.map((r) => {
      if (!r.observations) return r;
      const observations = r.observations.map((ob) => {
        if (ob.component === "SpoofGuard") sender = true;
        if (ob.action !== undefined && FINAL_ACTIONS.has(ob.action)) receiver = true;
        // A Service's endpoint that is a Pod is named (Antrea adds it for antctl and the UI).
        const pod = ob.translatedDstIP ? at.podByIP(ob.translatedDstIP) : undefined;
        return pod ? { ...ob, pod } : ob;
      });
      return { ...r, observations };
    });
    // With a source Pod both its Node and the receiving Node report; a live trace without one only has the latter.
    succeeded = (sender && receiver) || (receiver && !tf.spec.source?.pod);
  }
  const withResults = status.results ? { ...status, results: concluded } : status;
  if (succeeded) return { ...withResults, phase: "Succeeded", dataplaneTag: 0 };
  if (at.nowMs >= at.deadlineMs) {
    return { ...withResults, phase: "Failed", reason: TRACEFLOW_TIMEOUT_REASON, dataplaneTag: 0 };
  }
  return undefined;
}
