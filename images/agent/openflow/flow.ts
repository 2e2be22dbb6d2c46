// OpenFlow flows and groups as data, and their ovs-ofctl text. Flows are built against a Pipeline, so table
// numbers come from there; the dump shows the names (the bridge's Flow_Table rows carry them).
import { type CookieCategory, cookie } from "../pipeline/constants.ts";
import type { Pipeline, TableName } from "../pipeline/tables.ts";

export interface Flow {
  readonly table: TableName;
  readonly tableId: number;
  readonly priority: number;
  /** Match fields in ovs-ofctl syntax, comma-separated (may be empty). */
  readonly match: string;
  /** Actions in ovs-ofctl syntax, comma-separated. */
  readonly actions: string;
  readonly cookie: bigint;
  /** Seconds after which OVS removes the flow by itself (Traceflow flows). */
  readonly hardTimeout?: number;
}

export interface Group {
  readonly id: number;
  readonly type: "select" | "all";
  /** Each bucket's actions (ovs-ofctl syntax, comma-separated). */
  readonly buckets: readonly string[];
}

/** Builds flows of one cookie (category + object id) against a pipeline. */
export class FlowBuilder {
  private readonly cookie: bigint;

  constructor(
    readonly pipeline: Pipeline,
    category: CookieCategory,
    objectId = 0,
  ) {
    this.cookie = cookie(category, objectId);
  }

  flow(
    table: TableName,
    priority: number,
    match: readonly string[],
    actions: readonly string[],
    opts: { hardTimeout?: number } = {},
  ): Flow {
    if (actions.length === 0) throw new Error(`flow in ${table} without actions`);
    return {
      table,
      tableId: this.pipeline.id(table),
      priority,
      match: match.filter(Boolean).join(","),
      actions: actions.join(","),
      cookie: this.cookie,
      ...(opts.hardTimeout ? { hardTimeout: opts.hardTimeout } : {}),
    };
  }
}

/** Identity of a flow in its table: OpenFlow allows one flow per table, priority and match. */
export function flowKey(f: Flow): string {
  return `${f.tableId}/${f.priority}/${f.match}`;
}

/** The match part, as `delete_strict` wants it. */
export function renderFlowMatch(f: Flow): string {
  return `table=${f.tableId},priority=${f.priority}${f.match ? `,${f.match}` : ""}`;
}

/** A full flow for add-flows / replace-flows / bundle. */
export function renderFlow(f: Flow): string {
  const timeout = f.hardTimeout ? `hard_timeout=${f.hardTimeout},` : "";
  const match = f.match ? `,${f.match}` : "";
  return `cookie=0x${f.cookie.toString(16)},${timeout}table=${f.tableId},priority=${f.priority}${match} actions=${f.actions}`;
}

export function renderGroup(g: Group): string {
  const buckets = g.buckets.map((actions, i) => `bucket=bucket_id:${i},weight:100,actions=${actions}`);
  return [`group_id=${g.id}`, `type=${g.type}`, ...buckets].join(",");
}
