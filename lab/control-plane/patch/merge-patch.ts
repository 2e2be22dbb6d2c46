// RFC 7386 JSON merge patch (`application/merge-patch+json`): objects merge, null deletes, anything else replaces.
import { clone, isObject } from "../object.ts";

export function applyMergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const result: Record<string, unknown> = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete result[k];
    else result[k] = applyMergePatch(result[k], v);
  }
  return result;
}
