// Server-side printing: meta.k8s.io Table responses (what `kubectl get` asks for with `as=Table`).
import type { KubeObject } from "../object.ts";
import { clone } from "../object.ts";
import type { ColumnDef, ResourceDef } from "../resources/types.ts";

export type IncludeObject = "None" | "Metadata" | "Object";

export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

export interface Table {
  kind: "Table";
  apiVersion: string;
  metadata: { resourceVersion?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: { cells: unknown[]; object?: unknown }[];
}

const NAME_COLUMN: ColumnDef = {
  name: "Name",
  type: "string",
  format: "name",
  description:
    "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically.",
  priority: 0,
  cell: (o) => o.metadata.name ?? "",
};

function columnsOf(def: ResourceDef): readonly ColumnDef[] {
  return def.ownNameColumn ? def.columns : [NAME_COLUMN, ...def.columns];
}

function rowObject(o: KubeObject, include: IncludeObject, tableApiVersion: string): unknown {
  if (include === "None") return undefined;
  if (include === "Object") return clone(o);
  const { managedFields: _mf, ...metadata } = o.metadata;
  return { kind: "PartialObjectMetadata", apiVersion: tableApiVersion, metadata };
}

function cellValue(col: ColumnDef, o: KubeObject, now: Date): unknown {
  let v: unknown;
  try {
    v = col.cell(o, now);
  } catch {
    v = undefined; // a malformed object prints an empty cell instead of failing the whole list
  }
  if (v === undefined) return null;
  if (v !== null && typeof v === "object") return JSON.stringify(v);
  return v;
}

export interface TableOptions {
  include: IncludeObject;
  /** `meta.k8s.io/v1` or `meta.k8s.io/v1beta1`, whichever the client accepted. */
  apiVersion: string;
  resourceVersion?: string;
  /** Leave out the column definitions (watch events after the first). */
  noHeaders?: boolean;
  now: Date;
}

export function toTable(def: ResourceDef, objects: readonly KubeObject[], opts: TableOptions): Table {
  const cols = columnsOf(def);
  return {
    kind: "Table",
    apiVersion: opts.apiVersion,
    metadata: opts.resourceVersion === undefined ? {} : { resourceVersion: opts.resourceVersion },
    columnDefinitions: opts.noHeaders
      ? []
      : cols.map((c) => ({
          name: c.name,
          type: c.type,
          format: c.format ?? "",
          description: c.description ?? "",
          priority: c.priority,
        })),
    rows: objects.map((o) => {
      const object = rowObject(o, opts.include, opts.apiVersion);
      return {
        cells: cols.map((c) => cellValue(c, o, opts.now)),
        ...(object === undefined ? {} : { object }),
      };
    }),
  };
}
