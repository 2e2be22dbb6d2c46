// One worker per Pod: brings the Pod from its spec to running processes and back. Each sync looks at
// the newest Pod object and the state on disk, takes the next step (sandbox, containers, probes,
// teardown) and reports the status when it changed. Syncs of one Pod never overlap; a timer keeps
// them going so that exits, back-offs, probes and retries happen without API events.
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Container, V1Pod, V1PodCondition } from "@kubernetes/client-node";
import { resolveContainerCommand } from "../../images/workloads/images.ts";
import { NoNetworkConfigError } from "./cni/config.ts";
import type { PortMapping } from "./cni/runtime.ts";
import type { KubeletConfig } from "./config.ts";
import { containerEnv, expandVars } from "./container-env.ts";
import { errorMessage, type Logger } from "./log.ts";
import {
  type ContainerState,
  containerLogFile,
  type PodState,
  removePodDir,
  runDir,
  writePodState,
} from "./pod-state.ts";
import {
  buildPodStatus,
  type ContainerSnapshot,
  containerIdUri,
  type PodConditionJson,
  type PodStatusJson,
  podPhase,
  type RestartPolicy,
  timestamp,
  type WaitingReason,
} from "./pod-status.ts";
import { probeTiming, runProbe } from "./probes.ts";
import { isRunning, killAllInNetns, readExitCode, signalGroup, startContainerProcess } from "./processes.ts";
import {
  type CniSettings,
  createNetns,
  netnsPath,
  type PodRef,
  removeSandbox,
  sandboxName,
  setUpPodNetwork,
} from "./sandbox.ts";

/** The API calls a Pod worker makes. */
export interface PodApi {
  patchStatus(namespace: string, name: string, status: PodStatusJson): Promise<void>;
  /** Confirms a graceful deletion (DELETE with gracePeriodSeconds 0, uid precondition); fine if gone. */
  deletePod(namespace: string, name: string, uid: string): Promise<void>;
  event(pod: PodRef, type: "Normal" | "Warning", reason: string, message: string): Promise<void>;
}

export interface WorkerContext {
  config: KubeletConfig;
  cni: CniSettings;
  api: PodApi;
  log: Logger;
}

/** What the worker knows about a container beyond the state file (lost on restart, rebuilt). */
interface ContainerRuntime {
  running: boolean;
  ready: boolean;
  waiting?: WaitingReason;
  /** The container instance (id) the readiness belongs to. */
  instance?: string;
  successes: number;
  failures: number;
  nextProbeAt: number;
}

const TEARDOWN_ATTEMPTS = 3;

export class PodWorker {
  private pod?: V1Pod;
  private gone = false;
  private readonly runtimes = new Map<string, ContainerRuntime>();
  private sandboxWaiting?: WaitingReason;
  private sandboxFailures = 0;
  private sandboxRetryAt = 0;
  private teardownFailures = 0;
  private lastPosted?: string;
  private lastConditions?: PodConditionJson[];
  private readonly eventsSent = new Set<string>();
  private timer?: NodeJS.Timeout;
  private syncing?: Promise<void>;
  private again = false;
  private stopped = false;
  private finished = false;

  constructor(
    private readonly ctx: WorkerContext,
    readonly uid: string,
    private state: PodState | undefined,
    private readonly onFinished: (uid: string) => void,
  ) {}

  /** The newest Pod object from the API. */
  update(pod: V1Pod): void {
    this.pod = pod;
    this.kick();
  }

  /** The Pod is no longer in the API (deleted, or vanished while the kubelet was down). */
  markGone(lastSeen?: V1Pod): void {
    if (lastSeen) this.pod = lastSeen;
    this.gone = true;
    this.kick();
  }

  start(): void {
    this.timer = setInterval(() => this.kick(), this.ctx.config.podSyncIntervalSeconds * 1000);
    this.kick();
  }

  /** Stops syncing without touching the Pod's processes (a kubelet restart). */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.syncing;
  }

  private kick(): void {
    if (this.stopped || this.finished) return;
    if (this.syncing) {
      this.again = true;
      return;
    }
    this.syncing = (async () => {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (err) {
          this.ctx.log.error(`pod ${this.describe()}: ${errorMessage(err)}`);
        }
      } while (this.again && !this.stopped && !this.finished);
    })().finally(() => {
      this.syncing = undefined;
    });
  }

  private describe(): string {
    const ref = this.ref();
    return ref ? `${ref.namespace}/${ref.name}` : this.uid;
  }

  private ref(): PodRef | undefined {
    if (this.state) return { namespace: this.state.namespace, name: this.state.name, uid: this.uid };
    const meta = this.pod?.metadata;
    return meta?.name
      ? { namespace: meta.namespace ?? "default", name: meta.name, uid: this.uid }
      : undefined;
  }

  private async sync(): Promise<void> {
    const pod = this.pod;
    if (this.gone || pod?.metadata?.deletionTimestamp) return this.terminate();
    if (!pod) return; // known only from disk until the first Pod list says whether it still exists
    let state = this.state;
    if (!state) {
      // Never run a Pod the API already reports as finished (its state was lost): nothing to do but wait.
      if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return;
      state = await this.admit(pod);
    }
    if (!state.finalPhase) {
      if ((await this.ensureSandbox(pod, state)) && (await this.runInitContainers(pod, state))) {
        for (const container of pod.spec?.containers ?? []) await this.syncContainer(pod, state, container);
        await this.probe(pod, state);
      }
      const phase = podPhase(
        restartPolicy(pod),
        this.snapshots(pod.spec?.containers, state),
        this.snapshots(pod.spec?.initContainers, state),
      );
      if (phase === "Succeeded" || phase === "Failed") {
        state.finalPhase = phase;
        await this.persist();
        this.ctx.log.info(`pod ${this.describe()}: ${phase}`);
      }
    }
    if (state.finalPhase && !state.networkReleased) await this.releaseSandbox(state);
    await this.report(pod, state);
  }

  private async admit(pod: V1Pod): Promise<PodState> {
    const { config } = this.ctx;
    const state: PodState = {
      version: 1,
      uid: this.uid,
      namespace: pod.metadata?.namespace ?? "default",
      name: pod.metadata?.name ?? "",
      startTime: timestamp(new Date()),
      gracePeriodSeconds: pod.spec?.terminationGracePeriodSeconds ?? 30,
      ...(pod.spec?.hostNetwork ? {} : { sandbox: sandboxName(config.sandboxPrefix, this.uid) }),
      networkReleased: false,
      containers: {},
    };
    this.state = state;
    await this.persist();
    this.ctx.log.info(
      `pod ${this.describe()}: admitted${state.sandbox ? ` (sandbox ${state.sandbox})` : ""}`,
    );
    return state;
  }

  private async persist(): Promise<void> {
    if (this.state) await writePodState(this.ctx.config.stateDir, this.state);
  }

  // ---- sandbox ----

  /** True when the Pod's network is up (always for hostNetwork Pods); otherwise retries with back-off. */
  private async ensureSandbox(pod: V1Pod, state: PodState): Promise<boolean> {
    if (!state.sandbox || state.network) return true;
    if (Date.now() < this.sandboxRetryAt) return false;
    const sandbox = state.sandbox;
    const { cni, log } = this.ctx;
    try {
      // Leftovers of an attempt that failed or was interrupted by a kubelet restart.
      if (existsSync(netnsPath(sandbox))) await removeSandbox(cni, sandbox);
      await createNetns(sandbox);
      const { network, ips } = await setUpPodNetwork(cni, sandbox, this.ref() as PodRef, portMappings(pod));
      state.network = { name: network, ips };
      await this.persist();
      this.sandboxFailures = 0;
      this.sandboxWaiting = undefined;
      log.info(`pod ${this.describe()}: sandbox ${sandbox} ready, IPs ${ips.join(", ")}`);
      return true;
    } catch (err) {
      const message =
        err instanceof NoNetworkConfigError
          ? `network is not ready: container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized (${err.message})`
          : `failed to set up network for sandbox "${sandbox}": ${errorMessage(err)}`;
      this.sandboxFailures++;
      this.sandboxRetryAt = Date.now() + this.backoffMs(this.sandboxFailures);
      this.sandboxWaiting = { reason: "ContainerCreating", message };
      log.warn(`pod ${this.describe()}: ${message}`);
      await this.event("Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${message}`);
      // As the CNI spec asks after a failed ADD: DEL, then drop the namespace; the next try starts fresh.
      await removeSandbox(cni, sandbox).catch((e: unknown) =>
        log.warn(`pod ${this.describe()}: cleaning up sandbox ${sandbox}: ${errorMessage(e)}`),
      );
      return false;
    }
  }

  /** A finished Pod gives back its IP; its status keeps showing it, as Kubernetes does. */
  private async releaseSandbox(state: PodState): Promise<void> {
    if (state.sandbox) await removeSandbox(this.ctx.cni, state.sandbox, state.network?.name);
    state.networkReleased = true;
    await this.persist();
  }

  // ---- containers ----

  private runtime(name: string): ContainerRuntime {
    let rt = this.runtimes.get(name);
    if (!rt) {
      rt = { running: false, ready: false, successes: 0, failures: 0, nextProbeAt: 0 };
      this.runtimes.set(name, rt);
    }
    return rt;
  }

  /** Runs the init containers one after the other; true once all of them exited 0. */
  private async runInitContainers(pod: V1Pod, state: PodState): Promise<boolean> {
    // Init containers are restarted on failure unless the Pod's policy is Never.
    const policy = restartPolicy(pod) === "Never" ? "Never" : "OnFailure";
    for (const spec of pod.spec?.initContainers ?? []) {
      if (state.containers[spec.name]?.terminated?.exitCode === 0) continue;
      await this.syncContainer(pod, state, spec, policy);
      if (state.containers[spec.name]?.terminated?.exitCode !== 0) return false;
    }
    return true;
  }

  private async syncContainer(
    pod: V1Pod,
    state: PodState,
    spec: V1Container,
    policy: RestartPolicy = restartPolicy(pod),
  ): Promise<void> {
    const rt = this.runtime(spec.name);
    const current = state.containers[spec.name];
    if (!current) return this.startContainer(pod, state, spec);
    if (!current.terminated) {
      if (current.process && (await isRunning(current.process))) {
        rt.running = true;
        if (rt.instance !== current.id) this.adoptReadiness(pod, spec, current, rt);
        return;
      }
      const exitCode = await readExitCode(this.exitFile(current.id));
      // The shim records the exit code right after the container ends: wait for it.
      if (exitCode === undefined && current.shim && (await isRunning(current.shim))) return;
      current.terminated = {
        exitCode: exitCode ?? 137,
        reason: exitCode === undefined ? "ContainerStatusUnknown" : exitCode === 0 ? "Completed" : "Error",
        ...(exitCode === undefined ? { message: "The container could not be located when it ended" } : {}),
        startedAt: current.startedAt,
        finishedAt: timestamp(new Date()),
        containerId: current.id,
      };
      rt.running = false;
      rt.ready = false;
      await this.persist();
      this.ctx.log.info(
        `pod ${this.describe()}: container ${spec.name} exited with code ${current.terminated.exitCode}`,
      );
    }
    rt.running = false;
    const terminated = current.terminated;
    if (policy === "Never" || (policy === "OnFailure" && terminated.exitCode === 0)) {
      rt.waiting = undefined;
      return;
    }
    const delay = current.restartCount === 0 ? 0 : this.backoffMs(current.restartCount);
    if (Date.now() < Date.parse(terminated.finishedAt) + delay) {
      const message = `back-off ${delay / 1000}s restarting failed container=${spec.name} pod=${state.name}_${state.namespace}(${this.uid})`;
      rt.waiting = { reason: "CrashLoopBackOff", message };
      await this.event(
        "Warning",
        "BackOff",
        `Back-off restarting failed container ${spec.name} in pod ${state.name}`,
      );
      return;
    }
    await this.startContainer(pod, state, spec, current);
  }

  private async startContainer(
    pod: V1Pod,
    state: PodState,
    spec: V1Container,
    previous?: ContainerState,
  ): Promise<void> {
    const { config, log } = this.ctx;
    const rt = this.runtime(spec.name);
    const image = spec.image ?? "";
    const podIPs = state.network?.ips ?? (state.sandbox ? [] : [config.address]);
    const envResult = containerEnv(spec, { pod, nodeName: config.nodeName, hostIP: config.address, podIPs });
    if ("error" in envResult) {
      rt.waiting = { reason: "CreateContainerConfigError", message: envResult.error };
      await this.event("Warning", "Failed", `Error: ${envResult.error}`);
      return;
    }
    const env = envResult.env;
    const command = resolveContainerCommand({
      image,
      command: spec.command?.map((a) => expandVars(a, env)),
      args: spec.args?.map((a) => expandVars(a, env)),
      ports: spec.ports,
    });
    if ("error" in command) {
      rt.waiting = { reason: "ErrImagePull", message: command.error };
      await this.event("Warning", "Failed", `Failed to pull image "${image}": ${command.error}`);
      return;
    }
    const fullEnv = { ...env, ...command.env };
    const id = randomBytes(32).toString("hex");
    const restartCount = previous ? previous.restartCount + 1 : 0;
    const logFile = containerLogFile(config.stateDir, this.uid, spec.name, restartCount);
    await mkdir(dirname(logFile), { recursive: true });
    await mkdir(runDir(config.stateDir, this.uid), { recursive: true });
    const startedAt = timestamp(new Date());
    const record: ContainerState = {
      id,
      image,
      restartCount,
      startedAt,
      env: fullEnv,
      ...(previous?.terminated ? { lastTerminated: previous.terminated } : {}),
    };
    try {
      const started = await startContainerProcess({
        argv: command.argv,
        env: fullEnv,
        netns: state.sandbox ?? config.hostNetns,
        cwd: dirname(logFile),
        logFile,
        pidFile: join(runDir(config.stateDir, this.uid), `${id}.pid`),
        exitFile: this.exitFile(id),
      });
      record.shim = started.shim;
      record.process = started.container;
      rt.running = true;
      rt.waiting = undefined;
      rt.instance = id;
      rt.ready = !spec.readinessProbe;
      rt.successes = 0;
      rt.failures = 0;
      rt.nextProbeAt =
        Date.now() + (spec.readinessProbe ? probeTiming(spec.readinessProbe).initialDelayMs : 0);
      log.info(
        `pod ${this.describe()}: container ${spec.name} started (pid ${started.container.pid}, restart ${restartCount})`,
      );
      await this.event("Normal", "Started", `Started container ${spec.name}`);
    } catch (err) {
      const message = `failed to start container ${spec.name}: ${errorMessage(err)}`;
      record.terminated = {
        exitCode: 128,
        reason: "StartError",
        message,
        startedAt,
        finishedAt: startedAt,
        containerId: id,
      };
      rt.running = false;
      log.warn(`pod ${this.describe()}: ${message}`);
      await this.event("Warning", "Failed", `Error: ${message}`);
    }
    state.containers[spec.name] = record;
    await this.persist();
  }

  /** After a kubelet restart: a container that was ready stays ready until its probe says otherwise. */
  private adoptReadiness(pod: V1Pod, spec: V1Container, current: ContainerState, rt: ContainerRuntime): void {
    const reported = pod.status?.containerStatuses?.find((s) => s.name === spec.name);
    rt.instance = current.id;
    rt.ready =
      !spec.readinessProbe ||
      (reported?.ready === true && reported.containerID === containerIdUri(current.id));
    rt.successes = 0;
    rt.failures = 0;
    rt.nextProbeAt = Date.now();
    rt.waiting = undefined;
  }

  private exitFile(id: string): string {
    return join(runDir(this.ctx.config.stateDir, this.uid), `${id}.exit`);
  }

  private backoffMs(attempt: number): number {
    const { initialSeconds, maxSeconds } = this.ctx.config.restartBackoff;
    return Math.min(initialSeconds * 2 ** Math.max(0, attempt - 1), maxSeconds) * 1000;
  }

  // ---- readiness probes ----

  private async probe(pod: V1Pod, state: PodState): Promise<void> {
    const { config } = this.ctx;
    for (const spec of pod.spec?.containers ?? []) {
      const probe = spec.readinessProbe;
      const rt = this.runtime(spec.name);
      const current = state.containers[spec.name];
      if (!probe || !rt.running || !current || Date.now() < rt.nextProbeAt) continue;
      const timing = probeTiming(probe);
      const result = await runProbe(probe, {
        podIP: state.network?.ips[0] ?? config.address,
        container: spec,
        nodeNetns: config.hostNetns,
        sandboxNetns: state.sandbox ?? config.hostNetns,
        env: current.env,
      });
      rt.nextProbeAt = Date.now() + timing.periodMs;
      if (result.success) {
        rt.failures = 0;
        rt.successes++;
        if (!rt.ready && rt.successes >= timing.successThreshold) {
          rt.ready = true;
          this.ctx.log.info(`pod ${this.describe()}: container ${spec.name} is ready`);
        }
      } else {
        rt.successes = 0;
        rt.failures++;
        if (rt.failures >= timing.failureThreshold) rt.ready = false;
        await this.event("Warning", "Unhealthy", `Readiness probe failed: ${result.output}`);
      }
    }
  }

  // ---- status ----

  private snapshots(specs: readonly V1Container[] | undefined, state: PodState): ContainerSnapshot[] {
    return (specs ?? []).map((spec) => {
      const rt = this.runtime(spec.name);
      const current = state.containers[spec.name];
      const initializing = !current && !this.sandboxWaiting && state.network !== undefined;
      return {
        name: spec.name,
        image: spec.image ?? "",
        state: current,
        running: rt.running,
        ready: rt.running && rt.ready,
        ...(rt.running
          ? {}
          : {
              waiting:
                rt.waiting ??
                this.sandboxWaiting ??
                (initializing ? { reason: "PodInitializing" } : undefined),
            }),
      };
    });
  }

  private async report(pod: V1Pod, state: PodState): Promise<void> {
    const { config, api } = this.ctx;
    const previous = (pod.status?.conditions ?? []).map(conditionJson);
    const owned = new Map((this.lastConditions ?? []).map((c) => [c.type, c]));
    const status = buildPodStatus({
      restartPolicy: restartPolicy(pod),
      initContainers: this.snapshots(pod.spec?.initContainers, state),
      containers: this.snapshots(pod.spec?.containers, state),
      finalPhase: state.finalPhase,
      sandboxReady: !state.finalPhase && (state.sandbox ? state.network !== undefined : true),
      podIPs: state.network?.ips ?? (state.sandbox ? [] : [config.address]),
      hostIP: config.address,
      startTime: state.startTime,
      readinessGates: (pod.spec?.readinessGates ?? []).map((g) => g.conditionType),
      previousConditions: previous
        .map((c) => owned.get(c.type) ?? c)
        .concat([...owned.values()].filter((c) => !previous.some((p) => p.type === c.type))),
      now: timestamp(new Date()),
    });
    const text = JSON.stringify(status);
    if (text === this.lastPosted) return;
    await api.patchStatus(state.namespace, state.name, status);
    this.lastPosted = text;
    this.lastConditions = status.conditions;
  }

  private async event(type: "Normal" | "Warning", reason: string, message: string): Promise<void> {
    const ref = this.ref();
    // One event per kind of message: timings and counters in messages would otherwise make each unique.
    const key = `${reason}\n${message.replace(/\d+/g, "#")}`;
    if (!ref || this.eventsSent.has(key)) return;
    this.eventsSent.add(key);
    try {
      await this.ctx.api.event(ref, type, reason, message);
    } catch (err) {
      this.ctx.log.warn(`pod ${this.describe()}: cannot record event ${reason}: ${errorMessage(err)}`);
    }
  }

  // ---- deletion ----

  /** Stops the containers within the grace period, tears the sandbox down, forgets the Pod, confirms the deletion. */
  private async terminate(): Promise<void> {
    const { config, log, api } = this.ctx;
    const state = this.state;
    const pod = this.pod;
    if (state) {
      const grace = Math.min(
        config.maxGracePeriodSeconds,
        pod?.metadata?.deletionGracePeriodSeconds ?? state.gracePeriodSeconds,
      );
      await this.killContainers(state, grace * 1000);
      if (state.sandbox && !state.networkReleased) {
        try {
          await removeSandbox(this.ctx.cni, state.sandbox, state.network?.name);
        } catch (err) {
          if (++this.teardownFailures < TEARDOWN_ATTEMPTS) throw err;
          log.warn(`pod ${this.describe()}: giving up on the network teardown: ${errorMessage(err)}`);
        }
      }
      await removePodDir(config.stateDir, this.uid);
      log.info(`pod ${this.describe()}: stopped and removed`);
    }
    const ref = this.ref();
    if (!this.gone && ref) await api.deletePod(ref.namespace, ref.name, this.uid);
    this.finished = true;
    clearInterval(this.timer);
    this.onFinished(this.uid);
  }

  private async killContainers(state: PodState, graceMs: number): Promise<void> {
    const live = Object.entries(state.containers).filter(([, c]) => c.process && !c.terminated);
    let signalled = 0;
    for (const [name, c] of live) {
      if (c.process && (await signalGroup(c.process, "SIGTERM"))) {
        signalled++;
        if (!this.gone) await this.event("Normal", "Killing", `Stopping container ${name}`);
      }
    }
    const deadline = Date.now() + graceMs;
    while (signalled && Date.now() < deadline) {
      const alive = await Promise.all(live.map(([, c]) => (c.process ? isRunning(c.process) : false)));
      if (!alive.includes(true)) break;
      await sleep(100);
    }
    for (const [, c] of live) if (c.process) await signalGroup(c.process, "SIGKILL");
    if (state.sandbox && existsSync(netnsPath(state.sandbox))) await killAllInNetns(state.sandbox);
  }
}

function restartPolicy(pod: V1Pod): RestartPolicy {
  const p = pod.spec?.restartPolicy;
  return p === "Never" || p === "OnFailure" ? p : "Always";
}

/** hostPort mappings for the portmap plugin (CNI portMappings capability). */
function portMappings(pod: V1Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort) continue;
      const protocol = (p.protocol ?? "TCP").toLowerCase() as PortMapping["protocol"];
      out.push({
        hostPort: p.hostPort,
        containerPort: p.containerPort,
        protocol,
        ...(p.hostIP ? { hostIP: p.hostIP } : {}),
      });
    }
  }
  return out;
}

/** A condition from the API (timestamps may arrive as Date objects) in the form the kubelet writes. */
function conditionJson(c: V1PodCondition): PodConditionJson {
  const t = c.lastTransitionTime as unknown;
  return {
    type: c.type,
    status: c.status as PodConditionJson["status"],
    ...(c.reason ? { reason: c.reason } : {}),
    ...(c.message ? { message: c.message } : {}),
    lastProbeTime: null,
    lastTransitionTime: t instanceof Date ? timestamp(t) : typeof t === "string" ? t : "",
  };
}
