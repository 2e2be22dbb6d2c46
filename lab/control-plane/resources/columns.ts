// Building blocks for Table columns, with Kubernetes' own age formatting.
import type { KubeObject } from "../object.ts";
import { getPath } from "../object.ts";
import type { ColumnDef } from "./types.ts";

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) {
    const s = seconds % 60;
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`;
  }
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) {
    const m = minutes % 60;
    return m === 0 ? `${hours}h` : `${hours}h${m}m`;
  }
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) {
    const h = hours % 24;
    return h === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${h}h`;
  }
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  if (hours < 24 * 365 * 8) {
    const days = Math.floor(hours / 24);
    const dy = days % 365;
    return dy === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${dy}d`;
  }
  return `${Math.floor(hours / 24 / 365)}y`;
}

/** Age of a timestamp as printed by kubectl, `<unknown>` when absent. */
export function since(timestamp: unknown, now: Date): string {
  if (typeof timestamp !== "string") return "<unknown>";
  const t = Date.parse(timestamp);
  return Number.isNaN(t) ? "<unknown>" : humanDuration(now.getTime() - t);
}

export const ageColumn: ColumnDef = {
  name: "Age",
  type: "string",
  description: "CreationTimestamp is a timestamp representing the server time when this object was created.",
  priority: 0,
  cell: (o, now) => since(o.metadata.creationTimestamp, now),
};

export function column(
  name: string,
  cell: (o: KubeObject, now: Date) => unknown,
  opts: Partial<Omit<ColumnDef, "name" | "cell">> = {},
): ColumnDef {
  return { name, type: opts.type ?? "string", priority: opts.priority ?? 0, cell, ...opts };
}

/** A column reading a dotted path, like a CRD's additionalPrinterColumns `jsonPath`. */
export function pathColumn(
  name: string,
  path: string,
  opts: Partial<Omit<ColumnDef, "name" | "cell">> = {},
): ColumnDef {
  return column(name, (o) => getPath(o, path), opts);
}

/** A CRD `type: date` column: the age of the timestamp at `path`. */
export function dateColumn(name: string, read: (o: KubeObject) => unknown, priority = 0): ColumnDef {
  return column(name, (o, now) => (read(o) === undefined ? undefined : since(read(o), now)), {
    type: "date",
    priority,
  });
}

/** Joins non-empty strings with commas, `<none>` when there are none. */
export function joinOrNone(values: readonly (string | undefined)[]): string {
  const kept = values.filter((v): v is string => !!v);
  return kept.length > 0 ? kept.join(",") : "<none>";
}
