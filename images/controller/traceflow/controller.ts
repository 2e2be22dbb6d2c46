// The antrea-controller's Traceflow controller (pkg/controller/traceflow/controller.go): gives each new
// Traceflow the lowest free dataplane tag and sets it Running; ends a Running one as Succeeded once the agents'
// results show the packet's whole path, or as Failed ("Traceflow timeout") at its deadline; frees the tag when a
// Traceflow ends (also when an agent fails it) or is deleted. A Traceflow that finds all tags taken stays pending
// and starts when one is freed.
//
// One worker handles one Traceflow at a time, so the tag bookkeeping needs no locks. Unlike Antrea, which
// re-checks running Traceflows every 10 s, a timer per Traceflow fires at its deadline; the periodic check
// remains as a safety net (a missed event, a failed write).
import type { KubeConfig } from "@kubernetes/client-node";
import {
  parseTraceflow,
  TRACEFLOW_PATH,
  TRACEFLOW_TAGS,
  type Traceflow,
  type TraceflowStatus,
} from "../../api/traceflow.ts";
import { type ApiObject, describeApiError } from "../kube/custom-objects.ts";
import { createInformer } from "../kube/informer.ts";
import { listJson } from "../kube/list.ts";
import type { Logger } from "../log.ts";
import { conclude, deadlineMs } from "./conclusion.ts";
import { podNameByIP } from "./pod-ips.ts";
import { DataplaneTags } from "./tags.ts";
import { type StatusWriteResult, TraceflowStatusWriter } from "./writer.ts";

/** Antrea's timeoutCheckInterval: how often every running or pending Traceflow is looked at again. */
const SAFETY_CHECK_MS = 10_000;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 10_000;
const PODS_PATH = "/api/v1/pods";

export interface TraceflowController {
  stop(): Promise<void>;
}

/** metav1.Time's wire format: RFC 3339 in whole seconds. */
const rfc3339 = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, "Z");

export async function startTraceflowController(deps: {
  kc: KubeConfig;
  log: Logger;
}): Promise<TraceflowController> {
  const { kc, log } = deps;
  const writer = new TraceflowStatusWriter(kc);
  const tags = new DataplaneTags();
  /** Traceflows waiting for a free tag, in arrival order. */
  const pending = new Set<string>();
  /** Exact start of the Traceflows this process set Running (status.startTime has whole seconds only). */
  const startedMs = new Map<string, number>();
  const deadlines = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  const retries = new Map<string, { failures: number; timer?: NodeJS.Timeout }>();
  const queue = new Set<string>();
  let working: Promise<void> | undefined;
  let primed = false;
  let stopped = false;

  const enqueue = (name: string) => {
    if (stopped) return;
    queue.add(name);
    kick();
  };
  const kick = () => {
    if (stopped || working || !traceflows.synced() || !pods.synced()) return;
    working = drain().finally(() => {
      working = undefined;
      if (queue.size > 0) kick();
    });
  };

  const traceflows = createInformer<ApiObject>({
    kc,
    path: TRACEFLOW_PATH,
    list: () => listJson<ApiObject>(kc, TRACEFLOW_PATH),
    onChange: (_type, o) => enqueue(o.metadata?.name ?? ""),
    onSynced: kick,
    log,
  });
  // Only read when a Traceflow ends, to name the Pod behind a Service endpoint.
  const pods = createInformer<ApiObject>({
    kc,
    path: PODS_PATH,
    list: () => listJson<ApiObject>(kc, PODS_PATH),
    onChange: () => {},
    onSynced: kick,
    log,
  });
  const podByIP = (ip: string) => podNameByIP(pods.list(), ip);

  /** A restarted controller must not hand out a tag that a Running Traceflow holds. */
  const prime = () => {
    primed = true;
    for (const o of traceflows.list()) {
      const tf = parseTraceflow(o);
      if (tf?.status?.phase === "Running" && tf.status.dataplaneTag !== undefined) {
        const err = tags.occupy(tf.metadata.name, tf.status.dataplaneTag);
        if (err) log.error(`Traceflow ${tf.metadata.name}: ${err}`);
      }
    }
  };

  const drain = async () => {
    // A list delivers all its objects at once: let it finish before acting on any of them.
    await new Promise((resolve) => setImmediate(resolve));
    if (!primed) prime();
    for (let name = first(queue); name !== undefined && !stopped; name = first(queue)) {
      queue.delete(name);
      try {
        await sync(name);
        clearTimeout(retries.get(name)?.timer);
        retries.delete(name);
      } catch (err) {
        retryLater(name, err);
      }
    }
  };

  const retryLater = (name: string, err: unknown) => {
    const r = retries.get(name) ?? { failures: 0 };
    r.failures++;
    const delay = Math.min(RETRY_MIN_MS * 2 ** (r.failures - 1), RETRY_MAX_MS);
    log.error(`Traceflow ${name}: ${describeApiError(err)}; retrying in ${delay} ms`);
    clearTimeout(r.timer);
    r.timer = setTimeout(() => enqueue(name), delay);
    retries.set(name, r);
  };

  const sync = async (name: string) => {
    const o = traceflows.get(name);
    if (!o) return forget(name);
    const tf = parseTraceflow(o);
    if (!tf) {
      log.warn(`Traceflow ${name}: ignored, its spec or status does not parse`);
      return;
    }
    await handle(tf);
  };

  const handle = async (tf: Traceflow) => {
    const phase = tf.status?.phase ?? "";
    if (phase === "") await start(tf);
    else if (phase === "Running") await check(tf);
    else ended(tf.metadata.name, tf.status ?? {});
  };

  const start = async (tf: Traceflow) => {
    const name = tf.metadata.name;
    const tag = tags.allocate(name);
    if (tag === undefined) {
      if (!pending.has(name)) {
        pending.add(name);
        log.warn(`Traceflow ${name}: pending, all ${TRACEFLOW_TAGS.length} dataplane tags are in use`);
      }
      return;
    }
    pending.delete(name);
    const now = Date.now();
    let result: StatusWriteResult;
    try {
      result = await writer.update(name, (fresh) =>
        fresh.status?.phase
          ? undefined
          : { ...fresh.status, phase: "Running", startTime: rfc3339(now), dataplaneTag: tag },
      );
    } catch (err) {
      tags.release(name);
      throw err;
    }
    if (result.outcome === "gone") return forget(name);
    if (result.outcome === "unchanged") {
      // Someone else moved it on meanwhile: act on what it is now (which keeps or frees the tag).
      tags.release(name);
      return handle(result.traceflow);
    }
    startedMs.set(name, now);
    arm(name, deadlineMs(result.traceflow, now));
    log.info(`Traceflow ${name}: Running, dataplaneTag ${tag}`);
  };

  const check = async (tf: Traceflow) => {
    const name = tf.metadata.name;
    const tag = tf.status?.dataplaneTag;
    if (tag !== undefined && tags.tagOf(name) !== tag) {
      const err = tags.occupy(name, tag);
      if (err) log.error(`Traceflow ${name}: ${err}`);
    }
    const verdict = (t: Traceflow) =>
      conclude(t, { nowMs: Date.now(), deadlineMs: deadlineMs(t, startedMs.get(name)), podByIP });
    if (!verdict(tf)) {
      arm(name, deadlineMs(tf, startedMs.get(name)));
      return;
    }
    // Decided on the cache; written from the fresh object, re-decided there.
    const result = await writer.update(name, (fresh) =>
      fresh.status?.phase === "Running" ? verdict(fresh) : undefined,
    );
    if (result.outcome === "gone") return forget(name);
    if (result.outcome === "unchanged") return handle(result.traceflow);
    ended(name, result.traceflow.status ?? {});
  };

  /** Succeeded or Failed, written by this controller or by an agent. */
  const ended = (name: string, status: TraceflowStatus) => {
    disarm(name);
    startedMs.delete(name);
    const tag = tags.release(name);
    if (tag === undefined) return;
    const reason = status.reason ? ` (${status.reason})` : "";
    log.info(`Traceflow ${name}: ${status.phase}${reason}, dataplaneTag ${tag} freed`);
    wakePending();
  };

  const forget = (name: string) => {
    pending.delete(name);
    disarm(name);
    startedMs.delete(name);
    const tag = tags.release(name);
    if (tag === undefined) return;
    log.info(`Traceflow ${name}: deleted, dataplaneTag ${tag} freed`);
    wakePending();
  };

  const wakePending = () => {
    for (const name of pending) enqueue(name);
  };

  const arm = (name: string, at: number) => {
    const have = deadlines.get(name);
    if (have?.at === at) return;
    clearTimeout(have?.timer);
    const timer = setTimeout(
      () => {
        deadlines.delete(name);
        enqueue(name);
      },
      Math.max(0, at - Date.now()),
    );
    deadlines.set(name, { at, timer });
  };

  const disarm = (name: string) => {
    clearTimeout(deadlines.get(name)?.timer);
    deadlines.delete(name);
  };

  const safetyCheck = setInterval(() => {
    for (const o of traceflows.list()) {
      const phase = parseTraceflow(o)?.status?.phase ?? "";
      if (phase === "" || phase === "Running") enqueue(o.metadata?.name ?? "");
    }
    // Tags of Traceflows that vanished without an event are freed by their sync.
    for (const name of tags.names()) enqueue(name);
  }, SAFETY_CHECK_MS);

  await Promise.all(
    [traceflows, pods].map((i) =>
      i.start().catch((err: unknown) => log.warn(`watch start: ${describeApiError(err)}`)),
    ),
  );
  log.info("Traceflow controller started");
  return {
    stop: async () => {
      stopped = true;
      clearInterval(safetyCheck);
      for (const d of deadlines.values()) clearTimeout(d.timer);
      for (const r of retries.values()) clearTimeout(r.timer);
      await working;
      await Promise.all([traceflows.stop(), pods.stop()]);
    },
  };
}

function first<T>(set: ReadonlySet<T>): T | undefined {
  for (const v of set) return v;
  return undefined;
}
