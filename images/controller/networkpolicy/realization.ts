// Realization of a policy from the agents' reports (Antrea's StatusController.syncHandler): the Nodes in the
// span that reported the current generation are realized; any that reported a failure for it makes the policy
// Failed; reports of Nodes outside the span are stale. A policy whose span is empty is Realized with 0/0.
import type { NetworkPolicyNodeStatus } from "../../api/controlplane.ts";
import type { AntreaPolicyStatus, NetworkPolicyCondition } from "../../api/crd-policy.ts";

export interface Realization {
  phase: "Realizing" | "Realized" | "Failed";
  currentNodesRealized: number;
  desiredNodesRealized: number;
  failures: { nodeName: string; message: string }[];
  /** Reporting Nodes that are no longer in the span. */
  staleNodes: string[];
}

export function realization(
  span: readonly string[],
  generation: number,
  reports: readonly NetworkPolicyNodeStatus[],
): Realization {
  const inSpan = new Set(span);
  let current = 0;
  const failures: Realization["failures"] = [];
  const staleNodes: string[] = [];
  for (const r of reports) {
    if (!inSpan.has(r.nodeName)) staleNodes.push(r.nodeName);
    else if (r.generation !== generation) continue;
    else if (r.realizationFailure) failures.push({ nodeName: r.nodeName, message: r.message ?? "" });
    else current++;
  }
  const phase = failures.length > 0 ? "Failed" : current === inSpan.size ? "Realized" : "Realizing";
  return { phase, currentNodesRealized: current, desiredNodesRealized: inSpan.size, failures, staleNodes };
}

/** Antrea caps condition messages. */
const MAX_MESSAGE_LENGTH = 256;

function failureMessage(failures: Realization["failures"]): string {
  const details = failures.map((f) => `"${f.nodeName}":"${f.message}"`).join(", ");
  const text = `Failed Nodes count ${failures.length}: ${details}`;
  return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}...` : text;
}

/**
 * The status of an ACNP/ANNP: Pending until the controlplane object is published (`r` undefined). A condition
 * keeps its lastTransitionTime while its status stays the same, so an unchanged status compares equal.
 */
export function antreaPolicyStatus(
  r: Realization | undefined,
  observedGeneration: number,
  previous: AntreaPolicyStatus | undefined,
  now: Date,
): AntreaPolicyStatus {
  const since = (c: Omit<NetworkPolicyCondition, "lastTransitionTime">): NetworkPolicyCondition => {
    const before = previous?.conditions?.find((p) => p.type === c.type && p.status === c.status);
    return { ...c, lastTransitionTime: before?.lastTransitionTime ?? `${now.toISOString().slice(0, 19)}Z` };
  };
  if (!r) {
    return { phase: "Pending", observedGeneration, currentNodesRealized: 0, desiredNodesRealized: 0 };
  }
  const conditions = [since({ type: "Realizable", status: "True" })];
  if (r.failures.length > 0) {
    conditions.push(
      since({
        type: "RealizationFailure",
        status: "True",
        reason: "NetworkPolicyRealizationFailedOnNode",
        message: failureMessage(r.failures),
      }),
    );
  }
  return {
    phase: r.phase,
    observedGeneration,
    currentNodesRealized: r.currentNodesRealized,
    desiredNodesRealized: r.desiredNodesRealized,
    conditions,
  };
}
