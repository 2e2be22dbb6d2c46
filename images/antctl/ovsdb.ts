// Reads OVSDB rows through `ovs-vsctl --format=json` (read-only, --no-wait: antctl never waits for vswitchd).
// Values come back as atoms or tagged pairs: ["uuid", "..."], ["map", [[k, v], ...]], ["set", [...]].
import { z } from "zod";
import type { OvsTools } from "../common/ovs.ts";

export type OvsdbRow = Record<string, unknown>;

const vsctlTable = z.object({ headings: z.array(z.string()), data: z.array(z.array(z.unknown())) });

/** `ovs-vsctl --format=json --columns=... <args>` as rows keyed by column name. */
export async function ovsdbRows(ovs: OvsTools, columns: readonly string[], args: readonly string[]) {
  const res = await ovs.vsctl(["--format=json", `--columns=${columns.join(",")}`, ...args], { noWait: true });
  const table = vsctlTable.parse(JSON.parse(res.stdout));
  return table.data.map((row): OvsdbRow => Object.fromEntries(table.headings.map((h, i) => [h, row[i]])));
}

const uuidAtom = z.tuple([z.literal("uuid"), z.string()]);

export function ovsUuid(value: unknown): string | undefined {
  const parsed = uuidAtom.safeParse(value);
  return parsed.success ? parsed.data[1] : undefined;
}

/** A map column; keys and values as OVSDB holds them (strings, integers or uuids). */
export function ovsMap(value: unknown): [unknown, unknown][] {
  const parsed = z.tuple([z.literal("map"), z.array(z.tuple([z.unknown(), z.unknown()]))]).safeParse(value);
  return parsed.success ? parsed.data[1] : [];
}
