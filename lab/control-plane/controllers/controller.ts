// A minimal controller runtime: watches feed keys into a de-duplicating work queue; `reconcile(key)` reads the
// current state through the in-process API and converges it. Errors are retried with backoff, never thrown out.

import type { Logger } from "../apiserver/log.ts";
import type { ResourceApi } from "../apiserver/resource-api.ts";
import type { KubeObject } from "../object.ts";

export interface ControllerContext {
  api: ResourceApi;
  log: Logger;
  now: () => Date;
}

export interface Watch {
  resource: string;
  /** Keys to reconcile when an object of `resource` changes. */
  keys(o: KubeObject, type: "ADDED" | "MODIFIED" | "DELETED"): string[];
}

export interface ControllerSpec {
  name: string;
  watches: Watch[];
  reconcile(key: string): void;
  /** Also reconcile every key returned here this often (ms), for time-based conditions. */
  resync?: { everyMs: number; keys(): string[] };
}

export function keyOf(o: KubeObject): string {
  return o.metadata.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : (o.metadata.name ?? "");
}

export function splitKey(key: string): { namespace?: string; name: string } {
  const i = key.indexOf("/");
  return i < 0 ? { name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Starts a controller; returns its stop function. */
export function runController(spec: ControllerSpec, ctx: ControllerContext): () => void {
  const queue = new Set<string>();
  const failures = new Map<string, number>();
  let scheduled = false;
  let stopped = false;
  const timers = new Set<NodeJS.Timeout>();

  const drain = () => {
    scheduled = false;
    const keys = [...queue];
    queue.clear();
    for (const key of keys) {
      if (stopped) return;
      try {
        spec.reconcile(key);
        failures.delete(key);
      } catch (err) {
        const n = (failures.get(key) ?? 0) + 1;
        failures.set(key, n);
        const delay = Math.min(5000, 50 * 2 ** n);
        ctx.log.warn(`${spec.name}: ${key}: ${(err as Error).message} (retry in ${delay} ms)`);
        const t = setTimeout(() => {
          timers.delete(t);
          enqueue(key);
        }, delay);
        timers.add(t);
      }
    }
  };
  // Reconciling outside the watch callback: writes made by reconcile emit events synchronously.
  const enqueue = (key: string) => {
    if (stopped || !key) return;
    queue.add(key);
    if (!scheduled) {
      scheduled = true;
      setImmediate(drain);
    }
  };
  const cancels = spec.watches.map((w) =>
    ctx.api.client(w.resource).watch({}, (type, o) => {
      for (const k of w.keys(o, type)) enqueue(k);
    }),
  );
  if (spec.resync) {
    const { everyMs, keys } = spec.resync;
    const t = setInterval(() => {
      for (const k of keys()) enqueue(k);
    }, everyMs);
    timers.add(t);
  }
  return () => {
    stopped = true;
    for (const c of cancels) c();
    for (const t of timers) clearTimeout(t);
  };
}
