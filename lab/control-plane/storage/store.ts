// In-memory object storage with etcd-like semantics: one global, monotonically increasing resourceVersion,
// uid/creationTimestamp/generation bookkeeping, finalizers and graceful deletion, and a bounded history of
// change events so that a watch started at resourceVersion N replays everything newer than N.
import { randomUUID } from "node:crypto";
import { alreadyExists, conflict, expired, type GroupResource, notFound, STALE_OBJECT } from "../errors.ts";
import { clone, deepEqual, type KubeObject } from "../object.ts";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  type: WatchEventType;
  /** Group-qualified resource key, e.g. `pods` or `deployments.apps`. */
  resource: string;
  object: KubeObject;
  /** The object before this change (MODIFIED and DELETED). */
  previous?: KubeObject;
  resourceVersion: number;
}

export interface StoreSnapshot {
  resourceVersion: number;
  resources: Record<string, KubeObject[]>;
}

export interface StoreOptions {
  /** How many events are kept for watch replay. */
  historySize?: number;
  /** Clock, replaceable in tests. */
  now?: () => Date;
  /**
   * Something besides metadata.finalizers that keeps a deleted object stored (a Namespace's
   * spec.finalizers). Checked whenever a deleted object could be removed.
   */
  holdsObject?: (resource: string, o: KubeObject) => boolean;
}

export interface DeleteOptions {
  /** Only delete if the stored object still has this uid / resourceVersion. */
  uid?: string;
  resourceVersion?: string;
  /** >0 keeps the object with a deletionTimestamp in the future until a later delete with 0. */
  gracePeriodSeconds?: number;
}

export interface DeleteResult {
  object: KubeObject;
  /** False when finalizers or a grace period keep the object around (it only got a deletionTimestamp). */
  removed: boolean;
}

export interface WatchRequest {
  resource: string;
  namespace?: string;
  /** Replay events newer than this; undefined or 0 means "current state as ADDED, then live". */
  resourceVersion?: number;
}

export type StoreListener = (event: StoreEvent) => void;

export function parseResourceKey(resource: string): GroupResource {
  const dot = resource.indexOf(".");
  return dot < 0
    ? { group: "", plural: resource }
    : { plural: resource.slice(0, dot), group: resource.slice(dot + 1) };
}

function objectKey(namespace: string | undefined, name: string): string {
  return `${namespace ?? ""}/${name}`;
}

/** Everything except metadata and status: a change here is a change of the desired state. */
function desiredState(o: KubeObject): Record<string, unknown> {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

export class Store {
  private readonly data = new Map<string, Map<string, KubeObject>>();
  private readonly history: StoreEvent[] = [];
  private readonly historySize: number;
  private readonly listeners = new Set<StoreListener>();
  private readonly pending: StoreEvent[] = [];
  private delivering = false;
  private rv = 0;
  /** Events up to and including this resourceVersion are no longer in `history`. */
  private compactedRv = 0;
  private readonly now: () => Date;
  private readonly holdsObject: (resource: string, o: KubeObject) => boolean;

  constructor(opts: StoreOptions = {}) {
    this.historySize = opts.historySize ?? 10_000;
    this.now = opts.now ?? (() => new Date());
    this.holdsObject = opts.holdsObject ?? (() => false);
  }

  get resourceVersion(): number {
    return this.rv;
  }

  private bucket(resource: string): Map<string, KubeObject> {
    let b = this.data.get(resource);
    if (!b) {
      b = new Map();
      this.data.set(resource, b);
    }
    return b;
  }

  private timestamp(offsetSeconds = 0): string {
    const d = new Date(this.now().getTime() + offsetSeconds * 1000);
    // Kubernetes timestamps carry whole seconds.
    return `${d.toISOString().slice(0, 19)}Z`;
  }

  get(resource: string, namespace: string | undefined, name: string): KubeObject | undefined {
    const o = this.data.get(resource)?.get(objectKey(namespace, name));
    return o ? clone(o) : undefined;
  }

  /** Objects sorted by namespace, then name (etcd key order). */
  list(resource: string, namespace?: string): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.data.get(resource)?.values() ?? []) {
      if (namespace === undefined || o.metadata.namespace === namespace) out.push(clone(o));
    }
    return out.sort((a, b) =>
      objectKey(a.metadata.namespace, a.metadata.name ?? "").localeCompare(
        objectKey(b.metadata.namespace, b.metadata.name ?? ""),
      ),
    );
  }

  /** Resource keys that currently hold at least one object. */
  resources(): string[] {
    return [...this.data.entries()].filter(([, b]) => b.size > 0).map(([r]) => r);
  }

  create(resource: string, input: KubeObject): KubeObject {
    const o = clone(input);
    const meta = o.metadata;
    if (!meta.name && meta.generateName)
      meta.name = this.generateName(resource, meta.namespace, meta.generateName);
    const name = meta.name ?? "";
    const bucket = this.bucket(resource);
    const key = objectKey(meta.namespace, name);
    if (bucket.has(key)) throw alreadyExists(parseResourceKey(resource), name);
    meta.uid = randomUUID();
    meta.creationTimestamp = this.timestamp();
    meta.generation = 1;
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    meta.resourceVersion = String(++this.rv);
    bucket.set(key, o);
    this.commit({ type: "ADDED", resource, object: clone(o), resourceVersion: this.rv });
    return clone(o);
  }

  private generateName(resource: string, namespace: string | undefined, prefix: string): string {
    const bucket = this.bucket(resource);
    const alphabet = "bcdfghjklmnpqrstvwxz2456789";
    for (;;) {
      let suffix = "";
      for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(Math.random() * alphabet.length)];
      const name = `${prefix}${suffix}`;
      if (!bucket.has(objectKey(namespace, name))) return name;
    }
  }

  /**
   * Replaces a stored object. A non-empty metadata.resourceVersion must match the stored one (409 otherwise).
   * Identity fields (uid, creationTimestamp) are kept; an existing deletionTimestamp cannot be removed.
   * When the object is being deleted and its last finalizer goes away, it is removed (DELETED event).
   */
  update(resource: string, input: KubeObject): KubeObject {
    const o = clone(input);
    const meta = o.metadata;
    const name = meta.name ?? "";
    const bucket = this.bucket(resource);
    const key = objectKey(meta.namespace, name);
    const old = bucket.get(key);
    const gr = parseResourceKey(resource);
    if (!old) throw notFound(gr, name);
    if (meta.resourceVersion && meta.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(gr, name, STALE_OBJECT);
    }
    meta.uid = old.metadata.uid;
    meta.creationTimestamp = old.metadata.creationTimestamp;
    if (old.metadata.deletionTimestamp) {
      meta.deletionTimestamp = old.metadata.deletionTimestamp;
      meta.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
    }
    meta.generation = old.metadata.generation ?? 1;
    if (!deepEqual(desiredState(old), desiredState(o))) meta.generation += 1;
    meta.resourceVersion = old.metadata.resourceVersion;
    if (deepEqual(old, o)) return clone(old); // a no-op write does not bump the resourceVersion
    meta.resourceVersion = String(++this.rv);
    if (this.readyToRemove(resource, o)) {
      bucket.delete(key);
      this.commit({ type: "DELETED", resource, object: clone(o), previous: old, resourceVersion: this.rv });
    } else {
      bucket.set(key, o);
      this.commit({ type: "MODIFIED", resource, object: clone(o), previous: old, resourceVersion: this.rv });
    }
    return clone(o);
  }

  private readyToRemove(resource: string, o: KubeObject): boolean {
    const m = o.metadata;
    return (
      !!m.deletionTimestamp &&
      (m.finalizers ?? []).length === 0 &&
      !(m.deletionGracePeriodSeconds ?? 0) &&
      !this.holdsObject(resource, o)
    );
  }

  delete(
    resource: string,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): DeleteResult {
    const bucket = this.bucket(resource);
    const key = objectKey(namespace, name);
    const old = bucket.get(key);
    const gr = parseResourceKey(resource);
    if (!old) throw notFound(gr, name);
    if (opts.uid && opts.uid !== old.metadata.uid) {
      throw conflict(
        gr,
        name,
        `Precondition failed: UID in precondition: ${opts.uid}, UID in object meta: ${old.metadata.uid}`,
      );
    }
    if (opts.resourceVersion && opts.resourceVersion !== old.metadata.resourceVersion) {
      throw conflict(gr, name, STALE_OBJECT);
    }
    const grace = opts.gracePeriodSeconds ?? 0;
    const o = clone(old);
    const meta = o.metadata;
    const pendingGrace = meta.deletionGracePeriodSeconds ?? 0;
    // A second delete may shorten, never lengthen, a running grace period.
    if (!meta.deletionTimestamp || grace < pendingGrace) {
      meta.deletionTimestamp = this.timestamp(grace);
      meta.deletionGracePeriodSeconds = grace;
    }
    if (this.readyToRemove(resource, o)) {
      bucket.delete(key);
      meta.resourceVersion = String(++this.rv);
      this.commit({ type: "DELETED", resource, object: clone(o), previous: old, resourceVersion: this.rv });
      return { object: clone(o), removed: true };
    }
    if (deepEqual(o, old)) return { object: clone(old), removed: false };
    meta.resourceVersion = String(++this.rv);
    bucket.set(key, o);
    this.commit({ type: "MODIFIED", resource, object: clone(o), previous: old, resourceVersion: this.rv });
    return { object: clone(o), removed: false };
  }

  /** Subscribes to every change of every resource, delivered in resourceVersion order. */
  subscribe(listener: StoreListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Starts a watch: synchronously computes the events to replay, then delivers live events for the resource.
   * Throws 410 Expired when the requested resourceVersion is older than the retained history.
   */
  watch(req: WatchRequest, listener: StoreListener): { replay: StoreEvent[]; cancel: () => void } {
    const matches = (e: StoreEvent) =>
      e.resource === req.resource &&
      (req.namespace === undefined || e.object.metadata.namespace === req.namespace);
    let replay: StoreEvent[];
    const since = req.resourceVersion ?? 0;
    if (since === 0) {
      replay = this.list(req.resource, req.namespace).map((object) => ({
        type: "ADDED" as const,
        resource: req.resource,
        object,
        resourceVersion: Number(object.metadata.resourceVersion),
      }));
    } else {
      if (since < this.compactedRv) {
        throw expired(`too old resource version: ${since} (${this.compactedRv + 1})`);
      }
      replay = this.history.filter((e) => e.resourceVersion > since && matches(e)).map(clone);
    }
    const cancel = this.subscribe((e) => {
      if (matches(e)) listener(clone(e));
    });
    return { replay, cancel };
  }

  private commit(event: StoreEvent): void {
    this.history.push(event);
    while (this.history.length > this.historySize) {
      const dropped = this.history.shift();
      if (dropped) this.compactedRv = dropped.resourceVersion;
    }
    // Listeners may write to the store; queueing keeps delivery in resourceVersion order.
    this.pending.push(event);
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (let e = this.pending.shift(); e; e = this.pending.shift()) {
        for (const l of [...this.listeners]) {
          try {
            l(e);
          } catch {
            // A faulty listener must not break the write path or other listeners.
          }
        }
      }
    } finally {
      this.delivering = false;
    }
  }

  snapshot(): StoreSnapshot {
    const resources: Record<string, KubeObject[]> = {};
    for (const r of this.resources()) resources[r] = this.list(r);
    return { resourceVersion: this.rv, resources };
  }

  /** Replaces all content with a snapshot; the history starts empty, so older watches get 410. */
  restore(snap: StoreSnapshot): void {
    this.data.clear();
    this.history.length = 0;
    for (const [resource, objects] of Object.entries(snap.resources)) {
      const bucket = this.bucket(resource);
      for (const o of objects) bucket.set(objectKey(o.metadata.namespace, o.metadata.name ?? ""), clone(o));
    }
    this.rv = snap.resourceVersion;
    this.compactedRv = snap.resourceVersion;
  }
}
