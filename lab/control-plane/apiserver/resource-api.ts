// The API's verbs without HTTP: admission (defaulting, validation), status-subresource rules, patches,
// deletion with propagation, selectors and watches. The HTTP handlers call this, and so can controllers that
// run in the same process (`server.api`), getting exactly the behaviour a remote client gets.
import {
  ApiError,
  badRequest,
  type FieldError,
  fieldErr,
  forbidden,
  groupResourceString,
  invalid,
  notFound,
} from "../errors.ts";
import { asKubeObject, clone, isObject, type KubeObject } from "../object.ts";
import { applyJsonPatch, PatchError } from "../patch/json-patch.ts";
import { applyMergePatch } from "../patch/merge-patch.ts";
import { serverSideApply } from "../patch/server-side-apply.ts";
import { applyStrategicMergePatch } from "../patch/strategic-merge.ts";
import type { ResourceRegistry } from "../resources/registry.ts";
import { type AdmissionContext, groupVersion, type ResourceDef, resourceKey } from "../resources/types.ts";
import { validateName, validateObjectMeta } from "../resources/validation.ts";
import {
  type FieldRequirement,
  formatLabelSelector,
  type LabelSelector,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "../selectors.ts";
import type { Store, StoreEvent } from "../storage/store.ts";
import { deleteNamespace } from "./namespace-lifecycle.ts";

export type PatchType = "json" | "merge" | "strategic" | "apply";
export type PropagationPolicy = "Background" | "Foreground" | "Orphan";

export interface ListOptions {
  /** Omit for all namespaces (or for cluster-scoped kinds). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
}

export interface UpdateOptions extends WriteOptions {
  subresource?: "status";
}

export interface PatchOptions extends UpdateOptions {
  /** Server-side apply: take over conflicting fields (conflicts are never reported, see server-side-apply.ts). */
  force?: boolean;
}

export interface DeleteOptions {
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions extends ListOptions {
  /** "" or "0": current objects as ADDED first; otherwise replay everything newer than this version. */
  resourceVersion?: string;
}

export interface WatchEvent {
  type: "ADDED" | "MODIFIED" | "DELETED";
  object: KubeObject;
}

export interface WriteResult {
  object: KubeObject;
  /** True when a PUT or an apply patch created the object. */
  created: boolean;
}

export interface DeleteResult {
  object: KubeObject;
  /** False when finalizers or a grace period keep the object (it now has a deletionTimestamp). */
  removed: boolean;
}

export interface ResourceApiOptions {
  serviceCIDR: string;
  now?: () => Date;
}

interface Selection {
  labels: LabelSelector;
  fields: FieldRequirement[];
}

function timestamp(d: Date): string {
  return `${d.toISOString().slice(0, 19)}Z`;
}

/** Applies a JSON, merge or strategic merge patch; failures become 422 (or 415 for SMP on CRD-like kinds). */
function applyPatchDocument(
  def: ResourceDef,
  target: unknown,
  type: Exclude<PatchType, "apply">,
  patch: unknown,
): unknown {
  try {
    if (type === "json") return applyJsonPatch(target, patch);
    if (type === "merge") return applyMergePatch(target, patch);
    if (!def.patchSchema) {
      throw new ApiError(
        415,
        "UnsupportedMediaType",
        `strategic merge patch is not supported for ${groupResourceString(def)}`,
      );
    }
    return applyStrategicMergePatch(target, patch, def.patchSchema);
  } catch (err) {
    if (err instanceof PatchError)
      throw new ApiError(422, "Invalid", `the patch could not be applied: ${err.message}`);
    throw err;
  }
}

/** The autoscaling/v1 Scale view of an object with spec.replicas and spec.selector. */
function toScale(o: KubeObject): KubeObject {
  const spec = isObject(o.spec) ? o.spec : {};
  const status = isObject(o.status) ? o.status : {};
  const { name, namespace, uid, resourceVersion, creationTimestamp } = o.metadata;
  const selector = formatLabelSelector(spec.selector);
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: { name, namespace, uid, resourceVersion, creationTimestamp },
    spec: { replicas: typeof spec.replicas === "number" ? spec.replicas : 0 },
    status: {
      replicas: typeof status.replicas === "number" ? status.replicas : 0,
      selector: selector === "<none>" ? "" : selector,
    },
  };
}

export class ResourceApi {
  private readonly now: () => Date;

  constructor(
    readonly store: Store,
    readonly registry: ResourceRegistry,
    private readonly opts: ResourceApiOptions,
  ) {
    this.now = opts.now ?? (() => new Date());
  }

  /** Resolves a kubectl-style name (`pods`, `po`, `deploy`, `tf`, `egresses.crd.antrea.io`); 404 if unknown. */
  resolve(name: string): ResourceDef {
    const def = this.registry.resolve(name);
    if (!def) throw new ApiError(404, "NotFound", `the server doesn't have a resource type "${name}"`);
    return def;
  }

  private ns(def: ResourceDef, namespace: string | undefined): string | undefined {
    return def.namespaced ? namespace || undefined : undefined;
  }

  get(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    const o = this.store.get(resourceKey(def), this.ns(def, namespace), name);
    if (!o) throw notFound(def, name);
    return o;
  }

  private selection(def: ResourceDef, opts: ListOptions): Selection {
    const fields = opts.fieldSelector ? parseFieldSelector(opts.fieldSelector) : [];
    const allowed = ["metadata.name", "metadata.namespace", ...(def.fieldSelectors ?? [])];
    for (const f of fields) {
      if (!allowed.includes(f.field)) {
        throw badRequest(`field label not supported: ${f.field}`);
      }
    }
    return { labels: opts.labelSelector ? parseLabelSelector(opts.labelSelector) : [], fields };
  }

  private selects(sel: Selection, o: KubeObject): boolean {
    return matchesLabels(sel.labels, o.metadata.labels) && matchesFields(sel.fields, o);
  }

  list(def: ResourceDef, opts: ListOptions = {}): { items: KubeObject[]; resourceVersion: string } {
    const sel = this.selection(def, opts);
    const items = this.store
      .list(resourceKey(def), this.ns(def, opts.namespace))
      .filter((o) => this.selects(sel, o));
    return { items, resourceVersion: String(this.store.resourceVersion) };
  }

  // ---- admission ----

  private context(operation: "CREATE" | "UPDATE", old?: KubeObject): AdmissionContext {
    const store = this.store;
    return {
      operation,
      old,
      get: (resource, namespace, name) => store.get(resource, namespace, name),
      list: (resource, namespace) => store.list(resource, namespace),
      serviceCIDR: this.opts.serviceCIDR,
      now: this.now(),
    };
  }

  /** Normalises identity fields of a written object against the URL. */
  private identify(
    def: ResourceDef,
    namespace: string | undefined,
    name: string | undefined,
    body: unknown,
  ): KubeObject {
    const o = asKubeObject(clone(body));
    if (!o) throw badRequest("the request body must be a JSON object with an object-valued metadata");
    const apiVersion = groupVersion(def);
    if (o.apiVersion !== undefined && o.apiVersion !== apiVersion) {
      throw badRequest(
        `the API version in the data (${String(o.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (o.kind !== undefined && o.kind !== def.kind) {
      throw badRequest(
        `the kind in the data (${String(o.kind)}) does not match the expected kind (${def.kind})`,
      );
    }
    o.apiVersion = apiVersion;
    o.kind = def.kind;
    if (def.namespaced) {
      if (o.metadata.namespace && namespace && o.metadata.namespace !== namespace) {
        throw badRequest(
          "the namespace of the provided object does not match the namespace sent on the request",
        );
      }
      const ns = o.metadata.namespace || namespace;
      if (!ns) throw badRequest("the namespace of the object must be set");
      o.metadata.namespace = ns;
    } else {
      delete o.metadata.namespace;
    }
    if (name !== undefined) {
      if (o.metadata.name && o.metadata.name !== name) {
        throw badRequest(
          `the name of the object (${o.metadata.name}) does not match the name on the URL (${name})`,
        );
      }
      o.metadata.name = name;
    }
    return o;
  }

  /** Runs the kind's defaulting and validation; for status writes only the status of `o` is taken. */
  private admit(
    def: ResourceDef,
    incoming: KubeObject,
    old: KubeObject | undefined,
    subresource?: "status",
  ): KubeObject {
    let o = incoming;
    if (old) {
      if (subresource === "status") {
        o = { ...clone(old), status: clone(incoming.status) };
        o.metadata.resourceVersion = incoming.metadata.resourceVersion;
        if (o.status === undefined) delete o.status;
      } else {
        if (def.statusSubresource) {
          if (old.status === undefined) delete o.status;
          else o.status = clone(old.status);
        }
        o.metadata.managedFields ??= old.metadata.managedFields;
      }
      o.metadata.uid = old.metadata.uid;
      o.metadata.creationTimestamp = old.metadata.creationTimestamp;
      o.metadata.generation = old.metadata.generation;
      o.metadata.deletionTimestamp = old.metadata.deletionTimestamp;
      o.metadata.deletionGracePeriodSeconds = old.metadata.deletionGracePeriodSeconds;
      for (const k of ["deletionTimestamp", "deletionGracePeriodSeconds"] as const) {
        if (o.metadata[k] === undefined) delete o.metadata[k];
      }
    } else if (def.statusSubresource && !def.keepStatusOnCreate) {
      // Creating through the main resource does not set status, except what defaulting adds.
      delete o.status;
    }
    if (subresource === "status") return o;
    const ctx = this.context(old ? "UPDATE" : "CREATE", old);
    const errs: FieldError[] = [...(def.mutate?.(o, ctx) ?? [])];
    if (errs.length === 0) {
      if (!o.metadata.name && o.metadata.generateName && !old) {
        errs.push(
          ...validateName(
            "metadata.generateName",
            `${o.metadata.generateName}a`,
            def.nameRule ?? "subdomain",
          ),
        );
      } else {
        errs.push(...validateObjectMeta(o, def.nameRule ?? "subdomain"));
      }
      errs.push(...(def.validate?.(o, ctx) ?? []));
    }
    if (errs.length > 0)
      throw invalid(def.kind, def.group, o.metadata.name ?? o.metadata.generateName ?? "", errs);
    return o;
  }

  /** Namespaced writes need an existing namespace that is not being deleted. */
  private checkNamespace(def: ResourceDef, o: KubeObject): void {
    if (!def.namespaced) return;
    const ns = o.metadata.namespace ?? "";
    const nsObj = this.store.get("namespaces", undefined, ns);
    if (!nsObj) throw notFound({ group: "", plural: "namespaces" }, ns);
    if (nsObj.metadata.deletionTimestamp) {
      throw forbidden(
        def,
        o.metadata.name ?? "",
        `unable to create new content in namespace ${ns} because it is being terminated`,
      );
    }
  }

  // ---- writes ----

  create(
    def: ResourceDef,
    namespace: string | undefined,
    body: unknown,
    opts: WriteOptions = {},
  ): KubeObject {
    const o = this.identify(def, namespace, undefined, body);
    delete o.metadata.resourceVersion;
    this.checkNamespace(def, o);
    const admitted = this.admit(def, o, undefined);
    if (opts.dryRun) return admitted;
    return this.store.create(resourceKey(def), admitted);
  }

  update(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    body: unknown,
    opts: UpdateOptions = {},
  ): WriteResult {
    const o = this.identify(def, namespace, name, body);
    const old = this.store.get(resourceKey(def), this.ns(def, namespace), name);
    if (!old) {
      if (def.allowCreateOnUpdate && !opts.subresource) {
        return { object: this.create(def, namespace, o, opts), created: true };
      }
      throw notFound(def, name);
    }
    const admitted = this.admit(def, o, old, opts.subresource);
    if (opts.dryRun) return { object: admitted, created: false };
    return { object: this.store.update(resourceKey(def), admitted), created: false };
  }

  patch(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    type: PatchType,
    patch: unknown,
    opts: PatchOptions = {},
  ): WriteResult {
    const old = this.store.get(resourceKey(def), this.ns(def, namespace), name);
    if (type === "apply") {
      const applied = this.identify(def, namespace, name, patch);
      if (!opts.fieldManager) throw badRequest("PATCH apply requires fieldManager to be set");
      const result = serverSideApply(old, applied, {
        manager: opts.fieldManager,
        schema: def.patchSchema,
        statusSubresource: def.statusSubresource && opts.subresource !== "status",
        time: timestamp(this.now()),
      });
      if (!old) {
        if (opts.subresource) throw notFound(def, name);
        return { object: this.create(def, namespace, result, opts), created: true };
      }
      return this.update(def, namespace, name, result, opts);
    }
    if (!old) throw notFound(def, name);
    const patched = applyPatchDocument(def, old, type, patch);
    return this.update(def, namespace, name, patched, opts);
  }

  /** GET of the `/scale` subresource. */
  getScale(def: ResourceDef, namespace: string | undefined, name: string): KubeObject {
    if (!def.scaleSubresource) throw notFound(def, name);
    return toScale(this.get(def, namespace, name));
  }

  /**
   * PUT or PATCH of the `/scale` subresource: `change` turns the current Scale into the desired one, whose
   * spec.replicas is written to the object (with its resourceVersion as precondition, if set).
   */
  updateScale(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    change: { type: "replace"; scale: unknown } | { type: Exclude<PatchType, "apply">; patch: unknown },
    opts: WriteOptions = {},
  ): KubeObject {
    const current = this.getScale(def, namespace, name);
    const desired =
      change.type === "replace"
        ? change.scale
        : applyPatchDocument({ ...def, patchSchema: {} }, current, change.type, change.patch);
    const scale = asKubeObject(desired);
    const replicas = isObject(scale?.spec) ? scale.spec.replicas : undefined;
    if (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0) {
      throw invalid("Scale", "autoscaling", name, [
        fieldErr.invalid("spec.replicas", replicas, "must be greater than or equal to 0"),
      ]);
    }
    const o = this.get(def, namespace, name);
    o.metadata.resourceVersion = scale?.metadata.resourceVersion || o.metadata.resourceVersion;
    o.spec = { ...(isObject(o.spec) ? o.spec : {}), replicas };
    return toScale(this.update(def, namespace, name, o, opts).object);
  }

  /** Sets spec.nodeName of a Pod (the pods/binding subresource); 409 if it is already bound. */
  bind(namespace: string, name: string, nodeName: string): KubeObject {
    const def = this.resolve("pods");
    const pod = this.get(def, namespace, name);
    const spec = isObject(pod.spec) ? pod.spec : {};
    if (spec.nodeName) {
      throw new ApiError(
        409,
        "Conflict",
        `Operation cannot be fulfilled on pods/binding "${name}": pod ${name} is already assigned to node "${String(spec.nodeName)}"`,
      );
    }
    if (!nodeName) throw invalid("Binding", "", name, [fieldErr.required("target.name")]);
    spec.nodeName = nodeName;
    pod.spec = spec;
    return this.store.update(resourceKey(def), pod);
  }

  delete(
    def: ResourceDef,
    namespace: string | undefined,
    name: string,
    opts: DeleteOptions = {},
  ): DeleteResult {
    const ns = this.ns(def, namespace);
    const old = this.get(def, ns, name);
    if (opts.dryRun) return { object: old, removed: false };
    if (resourceKey(def) === "namespaces") {
      const object = deleteNamespace(this, name);
      return { object, removed: !this.store.get("namespaces", undefined, name) };
    }
    const uid = old.metadata.uid ?? "";
    const policy = opts.propagationPolicy ?? "Background";
    if (policy === "Orphan") {
      for (const { def: dDef, object } of this.dependents(uid)) {
        object.metadata.ownerReferences = (object.metadata.ownerReferences ?? []).filter(
          (r) => r.uid !== uid,
        );
        this.store.update(resourceKey(dDef), object);
      }
    } else if (policy === "Foreground") {
      for (const { def: dDef, object } of this.dependents(uid)) {
        this.delete(dDef, object.metadata.namespace, object.metadata.name ?? "", {
          propagationPolicy: "Foreground",
        });
      }
    }
    const grace = opts.gracePeriodSeconds ?? def.gracePeriodSeconds?.(old) ?? 0;
    if (!Number.isInteger(grace) || grace < 0) {
      throw invalid("DeleteOptions", "", "", [fieldErr.invalid("gracePeriodSeconds", grace, "must be >= 0")]);
    }
    return this.store.delete(resourceKey(def), ns, name, {
      gracePeriodSeconds: grace,
      uid: opts.preconditions?.uid,
      resourceVersion: opts.preconditions?.resourceVersion,
    });
  }

  deleteCollection(def: ResourceDef, list: ListOptions, opts: DeleteOptions = {}): KubeObject[] {
    const out: KubeObject[] = [];
    for (const o of this.list(def, list).items) {
      try {
        out.push(this.delete(def, o.metadata.namespace, o.metadata.name ?? "", opts).object);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
    return out;
  }

  /** Objects (of any kind) that list `ownerUid` among their ownerReferences. */
  dependents(ownerUid: string): { def: ResourceDef; object: KubeObject }[] {
    const out: { def: ResourceDef; object: KubeObject }[] = [];
    if (!ownerUid) return out;
    for (const key of this.store.resources()) {
      const def = this.registry.byResourceKey(key);
      if (!def) continue;
      for (const object of this.store.list(key)) {
        if (object.metadata.ownerReferences?.some((r) => r.uid === ownerUid)) out.push({ def, object });
      }
    }
    return out;
  }

  // ---- watch ----

  /**
   * Starts a watch. `replay` holds the events to send first (current objects, or history newer than
   * `resourceVersion`); `onEvent` then gets live events. Selectors turn objects moving in or out of the
   * selection into ADDED / DELETED, as kube-apiserver does.
   */
  watch(
    def: ResourceDef,
    opts: WatchOptions,
    onEvent: (e: WatchEvent) => void,
  ): { replay: WatchEvent[]; cancel: () => void } {
    const sel = this.selection(def, opts);
    const rvText = opts.resourceVersion ?? "";
    if (rvText !== "" && !/^\d+$/.test(rvText)) {
      throw invalid("WatchOptions", "", "", [
        fieldErr.invalid("resourceVersion", rvText, "invalid resource version"),
      ]);
    }
    const translate = (e: StoreEvent): WatchEvent | undefined => {
      const now = this.selects(sel, e.object);
      const before = e.previous ? this.selects(sel, e.previous) : false;
      if (e.type === "ADDED") return now ? { type: "ADDED", object: e.object } : undefined;
      if (e.type === "DELETED") return now || before ? { type: "DELETED", object: e.object } : undefined;
      if (now && before) return { type: "MODIFIED", object: e.object };
      if (now) return { type: "ADDED", object: e.object };
      if (before) return { type: "DELETED", object: e.object };
      return undefined;
    };
    const { replay, cancel } = this.store.watch(
      {
        resource: resourceKey(def),
        namespace: this.ns(def, opts.namespace),
        resourceVersion: Number(rvText || "0"),
      },
      (e) => {
        const w = translate(e);
        if (w) onEvent(w);
      },
    );
    return { replay: replay.map(translate).filter((e): e is WatchEvent => e !== undefined), cancel };
  }

  /** A typed, name-bound view for in-process controllers: `api.client<V1Pod>("pods")`. */
  client<T extends KubeObject = KubeObject>(resource: string): ResourceClient<T> {
    return new ResourceClient<T>(this, this.resolve(resource));
  }
}

/** Convenience wrapper bound to one kind. `T` is a compile-time view only; objects are not re-validated. */
export class ResourceClient<T extends KubeObject = KubeObject> {
  constructor(
    private readonly api: ResourceApi,
    readonly def: ResourceDef,
  ) {}

  get(name: string, namespace?: string): T {
    return this.api.get(this.def, namespace, name) as T;
  }

  /** Like get, but undefined instead of a 404 error. */
  find(name: string, namespace?: string): T | undefined {
    try {
      return this.get(name, namespace);
    } catch (err) {
      if (err instanceof ApiError && err.code === 404) return undefined;
      throw err;
    }
  }

  list(opts: ListOptions = {}): T[] {
    return this.api.list(this.def, opts).items as T[];
  }

  create(o: T, opts: WriteOptions = {}): T {
    return this.api.create(this.def, o.metadata.namespace, o, opts) as T;
  }

  update(o: T, opts: UpdateOptions = {}): T {
    return this.api.update(this.def, o.metadata.namespace, o.metadata.name ?? "", o, opts).object as T;
  }

  updateStatus(o: T): T {
    return this.update(o, { subresource: "status" });
  }

  patch(name: string, patch: unknown, opts: PatchOptions & { namespace?: string; type?: PatchType } = {}): T {
    const { namespace, type = "merge", ...rest } = opts;
    return this.api.patch(this.def, namespace, name, type, patch, rest).object as T;
  }

  delete(name: string, namespace?: string, opts: DeleteOptions = {}): DeleteResult {
    return this.api.delete(this.def, namespace, name, opts);
  }

  /** Delivers replayed and live events to `onEvent`; returns the cancel function. */
  watch(opts: WatchOptions, onEvent: (type: WatchEvent["type"], o: T) => void): () => void {
    // Live events that happen while the replay is delivered wait, so the order stays that of the store.
    let buffered: WatchEvent[] | undefined = [];
    const { replay, cancel } = this.api.watch(this.def, opts, (e) => {
      if (buffered) buffered.push(e);
      else onEvent(e.type, e.object as T);
    });
    for (const e of replay) onEvent(e.type, e.object as T);
    const pending = buffered;
    buffered = undefined;
    for (const e of pending) onEvent(e.type, e.object as T);
    return cancel;
  }
}
