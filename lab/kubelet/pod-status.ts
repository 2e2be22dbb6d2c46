// The Pod status the kubelet reports, computed from what it knows (pure functions): phase by the
// kubelet's getPhase rules, the conditions it owns, and one ContainerStatus per container.
import { createHash } from "node:crypto";
import type { ContainerState, TerminatedState } from "./pod-state.ts";

export type Phase = "Pending" | "Running" | "Succeeded" | "Failed";
export type RestartPolicy = "Always" | "OnFailure" | "Never";

export interface WaitingReason {
  reason: string;
  message?: string;
}

/** One container as the Pod worker sees it at this moment. */
export interface ContainerSnapshot {
  name: string;
  image: string;
  /** Persisted record of the current instance; absent until it was first started. */
  state?: ContainerState;
  running: boolean;
  ready: boolean;
  /** Why it is not running now (ErrImagePull, CrashLoopBackOff, ContainerCreating...). */
  waiting?: WaitingReason;
}

interface TerminatedJson {
  exitCode: number;
  reason: string;
  message?: string;
  startedAt: string;
  finishedAt: string;
  containerID: string;
}

export interface ContainerStateJson {
  running?: { startedAt: string };
  terminated?: TerminatedJson;
  waiting?: WaitingReason;
}

export interface ContainerStatusJson {
  name: string;
  image: string;
  imageID: string;
  containerID?: string;
  ready: boolean;
  started: boolean;
  restartCount: number;
  state: ContainerStateJson;
  lastState: ContainerStateJson;
}

export interface PodConditionJson {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastProbeTime: null;
  lastTransitionTime: string;
}

export interface PodStatusJson {
  phase: Phase;
  conditions: PodConditionJson[];
  hostIP: string;
  hostIPs: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  startTime: string;
  initContainerStatuses?: ContainerStatusJson[];
  containerStatuses: ContainerStatusJson[];
}

export interface PodStatusInput {
  restartPolicy: RestartPolicy;
  /** Run one after the other, each to a successful exit, before the containers start. */
  initContainers: readonly ContainerSnapshot[];
  containers: readonly ContainerSnapshot[];
  /** Final phase once the Pod has finished (never changes again). */
  finalPhase?: "Succeeded" | "Failed";
  /** The sandbox exists with its network (PodReadyToStartContainers). */
  sandboxReady: boolean;
  podIPs: readonly string[];
  hostIP: string;
  startTime: string;
  /** spec.readinessGates condition types. */
  readinessGates: readonly string[];
  /** The conditions reported before (for lastTransitionTime and the ones the kubelet does not own). */
  previousConditions: readonly { type: string; status: string; lastTransitionTime?: string }[];
  now: string;
}

/** RFC 3339 with second precision, as Kubernetes writes timestamps. */
export function timestamp(d: Date): string {
  return d.toISOString().replace(/\.\d+Z$/, "Z");
}

export function containerIdUri(id: string): string {
  return `ovslab://${id}`;
}

/** An init container is done once it exited 0 (it is never started again). */
function initDone(c: ContainerSnapshot): boolean {
  return !c.running && c.state?.terminated?.exitCode === 0;
}

/** The kubelet's getPhase (init containers run to completion, none of them restartable sidecars). */
export function podPhase(
  restartPolicy: RestartPolicy,
  containers: readonly ContainerSnapshot[],
  initContainers: readonly ContainerSnapshot[] = [],
): Phase {
  if (!initContainers.every(initDone)) {
    const failed = initContainers.some((c) => !c.running && (c.state?.terminated?.exitCode ?? 0) !== 0);
    return failed && restartPolicy === "Never" ? "Failed" : "Pending";
  }
  let waiting = 0;
  let running = 0;
  let stopped = 0;
  let succeeded = 0;
  for (const c of containers) {
    if (c.running) running++;
    else if (c.state?.terminated) {
      // A container waiting to be restarted counts as stopped, as the kubelet does.
      stopped++;
      if (c.state.terminated.exitCode === 0) succeeded++;
    } else waiting++;
  }
  if (waiting > 0) return "Pending";
  if (running > 0) return "Running";
  if (stopped > 0) {
    if (restartPolicy === "Always") return "Running";
    if (stopped === succeeded) return "Succeeded";
    if (restartPolicy === "Never") return "Failed";
    return "Running";
  }
  return "Pending";
}

export function buildPodStatus(input: PodStatusInput): PodStatusJson {
  const phase = input.finalPhase ?? podPhase(input.restartPolicy, input.containers, input.initContainers);
  const finished = phase === "Succeeded" || phase === "Failed";
  const uninitialized = input.initContainers.filter((c) => !initDone(c)).map((c) => c.name);
  const unready = input.containers.filter((c) => !c.ready || !c.running).map((c) => c.name);
  const previous = new Map(input.previousConditions.map((c) => [c.type, c]));
  const condition = (type: string, ok: boolean, reason?: string, message?: string): PodConditionJson => {
    const status = ok ? "True" : "False";
    const before = previous.get(type);
    return {
      type,
      status,
      ...(reason ? { reason } : {}),
      ...(message ? { message } : {}),
      lastProbeTime: null,
      lastTransitionTime:
        before?.status === status && before.lastTransitionTime ? before.lastTransitionTime : input.now,
    };
  };
  const gatesMissing = input.readinessGates.filter((g) => previous.get(g)?.status !== "True");
  const containersReady = finished
    ? condition("ContainersReady", false, "PodCompleted")
    : condition(
        "ContainersReady",
        unready.length === 0,
        unready.length ? "ContainersNotReady" : undefined,
        unready.length ? `containers with unready status: [${unready.join(" ")}]` : undefined,
      );
  let ready: PodConditionJson;
  if (finished) ready = condition("Ready", false, "PodCompleted");
  else if (unready.length) ready = condition("Ready", false, containersReady.reason, containersReady.message);
  else if (gatesMissing.length) {
    ready = condition(
      "Ready",
      false,
      "ReadinessGatesNotReady",
      `corresponding condition of pod readiness gate "${gatesMissing[0]}" does not exist.`,
    );
  } else ready = condition("Ready", true);

  const owned: PodConditionJson[] = [
    condition("PodReadyToStartContainers", input.sandboxReady),
    uninitialized.length
      ? condition(
          "Initialized",
          false,
          "ContainersNotInitialized",
          `containers with incomplete status: [${uninitialized.join(" ")}]`,
        )
      : condition("Initialized", true),
    ready,
    containersReady,
  ];
  const ownedTypes = new Set(owned.map((c) => c.type));
  const kept = input.previousConditions
    .filter((c) => !ownedTypes.has(c.type))
    .map((c) => c as unknown as PodConditionJson);
  if (!kept.some((c) => c.type === "PodScheduled")) kept.unshift(condition("PodScheduled", true));

  return {
    phase,
    conditions: [...kept, ...owned],
    hostIP: input.hostIP,
    hostIPs: [{ ip: input.hostIP }],
    ...(input.podIPs.length ? { podIP: input.podIPs[0], podIPs: input.podIPs.map((ip) => ({ ip })) } : {}),
    startTime: input.startTime,
    ...(input.initContainers.length
      ? {
          // A finished init container counts as ready, as the kubelet reports it.
          initContainerStatuses: input.initContainers.map((c) => ({
            ...containerStatus(c),
            ready: initDone(c),
          })),
        }
      : {}),
    containerStatuses: input.containers.map(containerStatus),
  };
}

function containerStatus(c: ContainerSnapshot): ContainerStatusJson {
  const s = c.state;
  const base = {
    name: c.name,
    image: c.image,
    imageID: s ? imageId(s.image) : "",
    ...(s ? { containerID: containerIdUri(s.id) } : {}),
    restartCount: s?.restartCount ?? 0,
  };
  if (!s) {
    return {
      ...base,
      ready: false,
      started: false,
      state: { waiting: c.waiting ?? { reason: "ContainerCreating" } },
      lastState: {},
    };
  }
  const last = s.lastTerminated ? { terminated: terminatedJson(s.lastTerminated) } : {};
  if (c.running || !s.terminated) {
    return {
      ...base,
      ready: c.ready,
      started: true,
      state: { running: { startedAt: s.startedAt } },
      lastState: last,
    };
  }
  if (c.waiting) {
    return {
      ...base,
      ready: false,
      started: false,
      state: { waiting: c.waiting },
      lastState: { terminated: terminatedJson(s.terminated) },
    };
  }
  return {
    ...base,
    ready: false,
    started: false,
    state: { terminated: terminatedJson(s.terminated) },
    lastState: last,
  };
}

function terminatedJson(t: TerminatedState): TerminatedJson {
  return {
    exitCode: t.exitCode,
    reason: t.reason,
    ...(t.message ? { message: t.message } : {}),
    startedAt: t.startedAt,
    finishedAt: t.finishedAt,
    containerID: containerIdUri(t.containerId),
  };
}

/** Images are never pulled; the reported image id is a stable digest of the reference. */
function imageId(image: string): string {
  const ref = image.split("@")[0] ?? image;
  const repo = ref.lastIndexOf(":") > ref.lastIndexOf("/") ? ref.slice(0, ref.lastIndexOf(":")) : ref;
  return `${repo}@sha256:${createHash("sha256").update(image).digest("hex")}`;
}
