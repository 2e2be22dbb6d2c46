import { describe, expect, it } from "vitest";
import type { ContainerState } from "./pod-state.ts";
import { buildPodStatus, type ContainerSnapshot, type PodStatusInput, podPhase } from "./pod-status.ts";

const T0 = "2026-01-01T00:00:00Z";
const T1 = "2026-01-01T00:01:00Z";

function instance(exitCode?: number, restartCount = 0): ContainerState {
  return {
    id: "a".repeat(64),
    image: "busybox:1.36",
    restartCount,
    startedAt: T0,
    env: {},
    ...(exitCode === undefined
      ? {}
      : {
          terminated: {
            exitCode,
            reason: exitCode ? "Error" : "Completed",
            startedAt: T0,
            finishedAt: T1,
            containerId: "a".repeat(64),
          },
        }),
  };
}

const running = (name = "c", ready = true): ContainerSnapshot => ({
  name,
  image: "busybox:1.36",
  state: instance(),
  running: true,
  ready,
});
const exited = (code: number, name = "c", waiting = false): ContainerSnapshot => ({
  name,
  image: "busybox:1.36",
  state: instance(code),
  running: false,
  ready: false,
  ...(waiting ? { waiting: { reason: "CrashLoopBackOff", message: "back-off" } } : {}),
});
const notStarted = (reason = "ContainerCreating"): ContainerSnapshot => ({
  name: "c",
  image: "x",
  running: false,
  ready: false,
  waiting: { reason },
});

describe("podPhase (the kubelet's getPhase)", () => {
  it("waits for init containers, and fails with them under Never", () => {
    const waiting = { ...notStarted("PodInitializing"), name: "main" };
    expect(podPhase("Always", [waiting], [exited(0, "i1"), running("i2")])).toBe("Pending");
    expect(podPhase("Never", [waiting], [exited(1, "i1")])).toBe("Failed");
    expect(podPhase("OnFailure", [waiting], [exited(1, "i1", true)])).toBe("Pending");
    expect(podPhase("Never", [running("main")], [exited(0, "i1")])).toBe("Running");
  });

  it.each([
    ["a container that never ran", "Always", [notStarted()], "Pending"],
    ["one running", "Never", [running(), exited(0, "d")], "Running"],
    ["all exited 0, Never", "Never", [exited(0), exited(0, "d")], "Succeeded"],
    ["all exited 0, OnFailure", "OnFailure", [exited(0)], "Succeeded"],
    ["a failure, Never", "Never", [exited(0), exited(1, "d")], "Failed"],
    ["a failure, OnFailure (restarting)", "OnFailure", [exited(1, "c", true)], "Running"],
    ["exited 0, Always (restarting)", "Always", [exited(0, "c", true)], "Running"],
    ["one waiting, one running", "Always", [running(), { ...notStarted(), name: "d" }], "Pending"],
  ] as const)("%s -> %s", (_what, policy, containers, phase) => {
    expect(podPhase(policy, containers)).toBe(phase);
  });
});

describe("buildPodStatus", () => {
  const base: PodStatusInput = {
    restartPolicy: "Always",
    initContainers: [],
    containers: [running()],
    sandboxReady: true,
    podIPs: ["10.0.0.5"],
    hostIP: "172.18.0.2",
    startTime: T0,
    readinessGates: [],
    previousConditions: [],
    now: T1,
  };
  const cond = (s: ReturnType<typeof buildPodStatus>, type: string) =>
    s.conditions.find((c) => c.type === type);

  it("reports a ready Pod with its IPs and a running container", () => {
    const s = buildPodStatus(base);
    expect(s).toMatchObject({
      phase: "Running",
      podIP: "10.0.0.5",
      podIPs: [{ ip: "10.0.0.5" }],
      hostIPs: [{ ip: "172.18.0.2" }],
    });
    expect(s.conditions.map((c) => `${c.type}=${c.status}`)).toEqual([
      "PodScheduled=True",
      "PodReadyToStartContainers=True",
      "Initialized=True",
      "Ready=True",
      "ContainersReady=True",
    ]);
    expect(s.containerStatuses[0]).toMatchObject({
      ready: true,
      started: true,
      containerID: `ovslab://${"a".repeat(64)}`,
      state: { running: { startedAt: T0 } },
      lastState: {},
    });
    expect(s.containerStatuses[0]?.imageID).toMatch(/^busybox@sha256:[0-9a-f]{64}$/);
  });

  it("keeps lastTransitionTime while a condition holds and keeps conditions it does not own", () => {
    const s = buildPodStatus({
      ...base,
      containers: [running("c", false)],
      previousConditions: [
        { type: "Ready", status: "True", lastTransitionTime: T0 },
        { type: "PodScheduled", status: "True", lastTransitionTime: T0 },
        { type: "Initialized", status: "True", lastTransitionTime: T0 },
      ],
    });
    expect(cond(s, "Ready")).toMatchObject({
      status: "False",
      reason: "ContainersNotReady",
      message: "containers with unready status: [c]",
      lastTransitionTime: T1,
    });
    expect(cond(s, "Initialized")?.lastTransitionTime).toBe(T0);
    expect(cond(s, "PodScheduled")?.lastTransitionTime).toBe(T0);
  });

  it("holds Ready back until the readiness gates are met", () => {
    const gated = { ...base, readinessGates: ["example.com/gate"] };
    expect(cond(buildPodStatus(gated), "Ready")).toMatchObject({
      status: "False",
      reason: "ReadinessGatesNotReady",
    });
    const met = buildPodStatus({
      ...gated,
      previousConditions: [{ type: "example.com/gate", status: "True", lastTransitionTime: T0 }],
    });
    expect(cond(met, "Ready")?.status).toBe("True");
    expect(cond(met, "example.com/gate")?.status).toBe("True");
  });

  it("shows a container in back-off as waiting with its last termination", () => {
    const s = buildPodStatus({ ...base, containers: [exited(1, "c", true)] });
    expect(s.containerStatuses[0]).toMatchObject({
      ready: false,
      started: false,
      state: { waiting: { reason: "CrashLoopBackOff" } },
      lastState: { terminated: { exitCode: 1, reason: "Error" } },
    });
  });

  it("reports a finished Pod as completed", () => {
    const s = buildPodStatus({
      ...base,
      restartPolicy: "Never",
      containers: [exited(1)],
      finalPhase: "Failed",
      sandboxReady: false,
    });
    expect(s.phase).toBe("Failed");
    expect(cond(s, "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
    expect(s.containerStatuses[0]?.state.terminated).toMatchObject({ exitCode: 1, finishedAt: T1 });
  });

  it("reports init containers and Initialized", () => {
    const s = buildPodStatus({
      ...base,
      initContainers: [exited(0, "i1"), running("i2", false)],
      containers: [{ ...notStarted("PodInitializing"), name: "main" }],
    });
    expect(s.phase).toBe("Pending");
    expect(cond(s, "Initialized")).toMatchObject({
      status: "False",
      reason: "ContainersNotInitialized",
      message: "containers with incomplete status: [i2]",
    });
    expect(s.initContainerStatuses?.map((c) => [c.name, c.ready])).toEqual([
      ["i1", true],
      ["i2", false],
    ]);
    expect(s.containerStatuses[0]?.state.waiting?.reason).toBe("PodInitializing");
  });

  it("reports a container that never started as waiting, without an id", () => {
    const s = buildPodStatus({ ...base, containers: [notStarted("ErrImagePull")], podIPs: [] });
    expect(s.phase).toBe("Pending");
    expect(s.podIP).toBeUndefined();
    expect(s.containerStatuses[0]).toMatchObject({
      state: { waiting: { reason: "ErrImagePull" } },
      imageID: "",
    });
    expect(s.containerStatuses[0]?.containerID).toBeUndefined();
  });
});
