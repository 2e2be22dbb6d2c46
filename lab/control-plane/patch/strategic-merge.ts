// Strategic merge patch (`application/strategic-merge-patch+json`) as kubectl sends it for built-in kinds:
// lists declared with a merge key merge element-wise, other lists replace, and the directives
// `$patch: replace|delete|merge`, `$retainKeys`, `$setElementOrder/<field>` and
// `$deleteFromPrimitiveList/<field>` are honoured. Which lists merge, and by what key, comes from a PatchSchema
// (the Go struct tags `patchStrategy`/`patchMergeKey` of the Kubernetes API types).
import { arr, clone, deepEqual, isObject, type JsonObject } from "../object.ts";
import { PatchError } from "./json-patch.ts";

export interface FieldStrategy {
  /** A list of objects merged element-wise by this key (patchStrategy "merge" + patchMergeKey). */
  readonly mergeKey?: string;
  /** A list of scalars merged as a set (patchStrategy "merge" without a key, e.g. finalizers). */
  readonly setMerge?: boolean;
  /** Schema of the nested object, or of each element of an object list. */
  readonly fields?: PatchSchema;
}

export type PatchSchema = { readonly [field: string]: FieldStrategy };

const SET_ORDER = "$setElementOrder/";
const DELETE_FROM_PRIMITIVE = "$deleteFromPrimitiveList/";

function isDirectiveKey(k: string): boolean {
  return k.startsWith("$");
}

/** Removes patch directives from a value that is taken over verbatim. */
function stripDirectives(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObject(v)) return v;
  const out: JsonObject = {};
  for (const [k, x] of Object.entries(v)) if (!isDirectiveKey(k)) out[k] = stripDirectives(x);
  return out;
}

function identity(v: unknown, mergeKey: string | undefined): string {
  return JSON.stringify(mergeKey && isObject(v) ? v[mergeKey] : v);
}

function reorder(list: unknown, order: unknown, mergeKey: string | undefined): unknown {
  if (!Array.isArray(list) || !Array.isArray(order)) return list;
  const rank = new Map(order.map((o, i) => [identity(o, mergeKey), i]));
  const ranked = list.filter((v) => rank.has(identity(v, mergeKey)));
  ranked.sort((a, b) => (rank.get(identity(a, mergeKey)) ?? 0) - (rank.get(identity(b, mergeKey)) ?? 0));
  return [...ranked, ...list.filter((v) => !rank.has(identity(v, mergeKey)))];
}

function mergeList(original: unknown, patch: unknown[], strategy: FieldStrategy | undefined): unknown[] {
  const mergeKey = strategy?.mergeKey;
  if (mergeKey) {
    if (patch.some((e) => isObject(e) && e.$patch === "replace")) {
      return patch.filter((e) => !(isObject(e) && e.$patch === "replace")).map(stripDirectives);
    }
    let result = arr(original).map(clone);
    for (const item of patch) {
      if (!isObject(item) || item[mergeKey] === undefined) {
        if (isObject(item) && item.$patch === "delete")
          throw new PatchError(`delete directive without ${mergeKey}`);
        result.push(stripDirectives(item));
        continue;
      }
      const key = item[mergeKey];
      const matches = (o: unknown) => isObject(o) && deepEqual(o[mergeKey], key);
      if (item.$patch === "delete") {
        result = result.filter((o) => !matches(o));
        continue;
      }
      const idx = result.findIndex(matches);
      const merged = mergeObject(idx >= 0 ? result[idx] : {}, item, strategy?.fields);
      if (merged === undefined) continue;
      if (idx >= 0) result[idx] = merged;
      else result.push(merged);
    }
    return result;
  }
  if (strategy?.setMerge) {
    const result = arr(original).map(clone);
    for (const v of patch) if (!result.some((o) => deepEqual(o, v))) result.push(clone(v));
    return result;
  }
  return patch.map(stripDirectives);
}

/** Merges one object level; undefined means "delete this object" (`$patch: delete`). */
function mergeObject(
  original: unknown,
  patch: JsonObject,
  schema: PatchSchema | undefined,
): JsonObject | undefined {
  const directive = patch.$patch;
  if (directive === "delete") return undefined;
  if (directive === "replace") return stripDirectives(patch) as JsonObject;
  if (directive !== undefined && directive !== "merge") {
    throw new PatchError(`unknown patch type ${JSON.stringify(directive)}`);
  }
  const result: JsonObject = isObject(original) ? clone(original) : {};
  const orders: [string, unknown][] = [];
  const deletions: [string, unknown][] = [];
  for (const [key, value] of Object.entries(patch)) {
    if (key === "$patch" || key === "$retainKeys") continue;
    if (key.startsWith(SET_ORDER)) {
      orders.push([key.slice(SET_ORDER.length), value]);
      continue;
    }
    if (key.startsWith(DELETE_FROM_PRIMITIVE)) {
      deletions.push([key.slice(DELETE_FROM_PRIMITIVE.length), value]);
      continue;
    }
    if (isDirectiveKey(key)) throw new PatchError(`unknown directive ${JSON.stringify(key)}`);
    const strategy = schema?.[key];
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value)) {
      result[key] = mergeList(result[key], value, strategy);
    } else if (isObject(value)) {
      const merged = mergeObject(result[key], value, strategy?.fields);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    } else {
      result[key] = value;
    }
  }
  for (const [field, values] of deletions) {
    if (!Array.isArray(values)) throw new PatchError(`${DELETE_FROM_PRIMITIVE}${field} must be a list`);
    if (Array.isArray(result[field])) {
      result[field] = (result[field] as unknown[]).filter((v) => !values.some((d) => deepEqual(d, v)));
    }
  }
  for (const [field, order] of orders) {
    if (result[field] !== undefined) result[field] = reorder(result[field], order, schema?.[field]?.mergeKey);
  }
  const retain = patch.$retainKeys;
  if (retain !== undefined) {
    if (!Array.isArray(retain)) throw new PatchError("$retainKeys must be a list of field names");
    for (const k of Object.keys(result)) if (!retain.includes(k)) delete result[k];
  }
  return result;
}

export function applyStrategicMergePatch(original: unknown, patch: unknown, schema: PatchSchema): unknown {
  if (!isObject(patch)) throw new PatchError("a strategic merge patch must be a JSON object");
  return mergeObject(original, patch, schema) ?? {};
}
