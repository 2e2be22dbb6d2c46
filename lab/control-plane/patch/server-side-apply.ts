// Server-side apply (`application/apply-patch+yaml`), simplified: each field manager owns the fields of its
// last applied configuration (recorded as FieldsV1 in metadata.managedFields). Re-applying merges the new
// configuration into the live object and removes fields the manager owned before but no longer sets.
// Ownership conflicts between managers are not detected: the applier always wins (like `--force-conflicts`).
import type { KubeObject, ManagedFieldsEntry } from "../object.ts";
import { clone, isObject, type JsonObject } from "../object.ts";
import { applyStrategicMergePatch, type PatchSchema } from "./strategic-merge.ts";

export type FieldSet = JsonObject;

/** The FieldsV1 set of a configuration: `f:<field>` for fields, `k:{"<mergeKey>":…}` for keyed list items. */
export function fieldSetOf(config: unknown, schema: PatchSchema | undefined): FieldSet {
  const set: FieldSet = {};
  if (!isObject(config)) return set;
  for (const [k, v] of Object.entries(config)) {
    const strategy = schema?.[k];
    if (isObject(v) && Object.keys(v).length > 0) {
      set[`f:${k}`] = fieldSetOf(v, strategy?.fields);
    } else if (Array.isArray(v) && strategy?.mergeKey) {
      const mergeKey = strategy.mergeKey;
      const items: FieldSet = {};
      for (const item of v) {
        if (!isObject(item) || item[mergeKey] === undefined) continue;
        items[`k:${JSON.stringify({ [mergeKey]: item[mergeKey] })}`] = {
          ".": {},
          ...fieldSetOf(item, strategy.fields),
        };
      }
      set[`f:${k}`] = items;
    } else {
      set[`f:${k}`] = {};
    }
  }
  return set;
}

/** Deletes from `target` what `previous` owned and `next` no longer does. */
function removeDropped(target: unknown, previous: FieldSet, next: FieldSet): void {
  for (const [key, sub] of Object.entries(previous)) {
    if (key === ".") continue;
    const kept = next[key];
    if (key.startsWith("f:") && isObject(target)) {
      const field = key.slice(2);
      // metadata itself is never dropped (name, uid, resourceVersion live there): only the fields the manager owned.
      if (kept === undefined && field === "metadata" && isObject(sub)) removeDropped(target[field], sub, {});
      else if (kept === undefined) delete target[field];
      else if (isObject(sub) && isObject(kept)) removeDropped(target[field], sub, kept);
    } else if (key.startsWith("k:") && Array.isArray(target)) {
      let ident: unknown;
      try {
        ident = JSON.parse(key.slice(2));
      } catch {
        continue;
      }
      if (!isObject(ident)) continue;
      const entries = Object.entries(ident);
      const idx = target.findIndex((item) => isObject(item) && entries.every(([f, v]) => item[f] === v));
      if (idx < 0) continue;
      if (kept === undefined) target.splice(idx, 1);
      else if (isObject(sub) && isObject(kept)) removeDropped(target[idx], sub, kept);
    }
  }
}

export interface ApplyOptions {
  manager: string;
  schema: PatchSchema | undefined;
  /** Whether `status` belongs to a subresource (then the main resource's apply does not own it). */
  statusSubresource: boolean;
  time: string;
}

/** The part of an applied configuration that a manager owns (identity and bookkeeping excluded). */
function ownedConfig(applied: KubeObject, statusSubresource: boolean): JsonObject {
  const { apiVersion: _a, kind: _k, status, metadata, ...rest } = clone(applied);
  const { name: _n, namespace: _ns, resourceVersion: _rv, uid: _u, managedFields: _mf, ...meta } = metadata;
  const owned: JsonObject = { ...rest };
  if (Object.keys(meta).length > 0) owned.metadata = meta;
  if (!statusSubresource && status !== undefined) owned.status = status;
  return owned;
}

/** Returns the object that results from applying `applied` on top of `live` (undefined when creating). */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: ApplyOptions,
): KubeObject {
  const config = ownedConfig(applied, opts.statusSubresource);
  const owned = fieldSetOf(config, opts.schema);
  const entries = live?.metadata.managedFields ?? [];
  const isMine = (e: ManagedFieldsEntry) => e.manager === opts.manager && e.operation === "Apply";
  let result: KubeObject;
  if (live) {
    const base = clone(live);
    const previous = entries.find(isMine)?.fieldsV1;
    if (previous) removeDropped(base, previous, owned);
    result = applyStrategicMergePatch(base, config, opts.schema ?? {}) as KubeObject;
  } else {
    result = clone(applied);
  }
  result.metadata.managedFields = [
    ...entries.filter((e) => !isMine(e)),
    {
      manager: opts.manager,
      operation: "Apply",
      apiVersion: applied.apiVersion,
      time: opts.time,
      fieldsType: "FieldsV1",
      fieldsV1: owned,
    },
  ];
  return result;
}
