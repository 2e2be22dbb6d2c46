// The live table cache: which tables br-int has and their numbers. The agent numbers the enabled tables of its
// pipeline (images/agent/pipeline/tables.ts) and names them in OVSDB (Bridge flow_tables -> Flow_Table name), so
// reading OVSDB gives exactly the agent's numbering, whatever features it runs with — as Antrea's antctl resolves
// `-T` through the agent's live table cache.

import { BRIDGE } from "../agent/pipeline/constants.ts";
import type { TableName } from "../agent/pipeline/tables.ts";
import type { OvsTools } from "../common/ovs.ts";
import { ovsdbRows, ovsMap, ovsUuid } from "./ovsdb.ts";

export interface FlowTable {
  readonly id: number;
  readonly name: string;
}

export class FlowTables {
  private readonly byName: ReadonlyMap<string, FlowTable>;
  private readonly byId: ReadonlyMap<number, FlowTable>;

  constructor(readonly tables: readonly FlowTable[]) {
    this.byName = new Map(tables.map((t) => [t.name, t]));
    this.byId = new Map(tables.map((t) => [t.id, t]));
  }

  /** A table given by name or by number (an 8-bit unsigned integer), as `-T` accepts either. */
  resolve(nameOrNumber: string): FlowTable | undefined {
    if (/^\d+$/.test(nameOrNumber) && Number(nameOrNumber) <= 255) return this.byId.get(Number(nameOrNumber));
    return this.byName.get(nameOrNumber);
  }

  /** The number of one of Antrea's tables, or undefined when the pipeline does not have it. */
  id(name: TableName): number | undefined {
    return this.byName.get(name)?.id;
  }

  /** Names in byte order, as `--table-names-only` prints them. */
  sortedNames(): string[] {
    return this.tables.map((t) => t.name).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  }
}

export async function loadFlowTables(ovs: OvsTools): Promise<FlowTables> {
  const [bridge] = await ovsdbRows(ovs, ["flow_tables"], ["list", "Bridge", BRIDGE]);
  const names = new Map(
    (await ovsdbRows(ovs, ["_uuid", "name"], ["list", "Flow_Table"])).map((r) => [ovsUuid(r._uuid), r.name]),
  );
  const tables: FlowTable[] = [];
  for (const [id, ref] of ovsMap(bridge?.flow_tables)) {
    const name = names.get(ovsUuid(ref));
    if (typeof id === "number" && typeof name === "string" && name) tables.push({ id, name });
  }
  return new FlowTables(tables.sort((a, b) => a.id - b.id));
}
