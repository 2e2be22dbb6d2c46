// `--sort-by`: kubectl's field sorting over a JSONPath-like dotted path (`.sourceRef.name`, `.metadata.name`).
import { AntctlError } from "./errors.ts";

/** Sorts (stably) by the value at `path`; numbers compare as numbers, everything else as strings. */
export function sortByField<T>(items: readonly T[], path: string): T[] {
  const keys = path
    .replace(/^\{?\.?|\}?$/g, "")
    .split(".")
    .filter(Boolean);
  const fieldOf = (item: T): unknown =>
    keys.reduce<unknown>(
      (v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined),
      item,
    );
  if (items.length > 0 && items.every((i) => fieldOf(i) === undefined)) {
    throw new AntctlError(`couldn't find any field with path "{${path}}" in the list of objects`);
  }
  return [...items].sort((a, b) => compareValues(fieldOf(a), fieldOf(b)));
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  const x = a === undefined ? "" : String(a);
  const y = b === undefined ? "" : String(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
