// antctl's table output (pkg/antctl/output/output.go, pkg/util/printers/table.go, spec §2.1), byte for byte:
// scenarios compare it with what real antctl prints.

/** Longest list cell before it is summarized (antctl's maxTableOutputColumnLength). */
export const MAX_COLUMN_LENGTH = 50;

/** What a `get` command renders: its header, one row per item, and whether the body is sorted. */
export interface TableSpec {
  readonly header: readonly string[];
  readonly rows: readonly (readonly string[])[];
  readonly sortRows: boolean;
}

/**
 * A list cell: sorted, comma-joined, and cut to at most `max` characters with ` + N more...` (N counts the items
 * left out). Mirrors GenerateTableElementWithSummary, including how it backs off when the summary itself does
 * not fit.
 */
export function summarize(list: readonly string[], max = MAX_COLUMN_LENGTH): string {
  const sorted = [...list].sort(compare);
  let element = "";
  for (const [i, item] of sorted.entries()) {
    const val = i === 0 ? item : `,${item}`;
    const summary = ` + ${sorted.length - i} more...`;
    if (element.length + val.length > max) {
      element += summary;
      if (element.length <= max) return element;
      // The summary made it too long: keep fewer items so that items + summary fit.
      let shorter = "";
      for (const [j, again] of sorted.entries()) {
        const v = j === 0 ? again : `,${again}`;
        if (j !== 0 && shorter.length + v.length + summary.length > max) break;
        shorter += v;
      }
      return shorter + summary;
    }
    element += val;
  }
  return element;
}

/**
 * The table of a `get` command. Column 0 is padded to its widest cell; every other column is printed as one space
 * plus the cell, padded to its widest cell plus one, so lines keep trailing spaces. Empty body cells read `<NONE>`.
 * A single-column table (ovsflows) is not padded at all, and an empty list prints one empty line.
 */
export function renderTable(table: TableSpec): string {
  if (table.rows.length === 0) return "\n";
  const body = table.rows.map((r) => [...r]);
  if (table.sortRows) body.sort(compareRows);
  const rows = [[...table.header], ...body];
  const cols = table.header.length;
  const widths = new Array<number>(cols).fill(0);
  if (cols > 1) {
    for (let j = 0; j < cols; j++) {
      let width = rows[0]![j]!.length;
      for (const row of body) {
        if (!row[j]) row[j] = "<NONE>";
        width = Math.max(width, row[j]!.length);
      }
      widths[j] = j === 0 ? width : width + 1;
    }
  }
  let out = "";
  for (const row of rows) {
    for (let j = 0; j < cols; j++) {
      const val = (j === 0 ? "" : " ") + (row[j] ?? "");
      out += widths[j]! > 0 ? val.padEnd(widths[j]!) : val;
    }
    out += "\n";
  }
  return out;
}

/**
 * The table of the other commands (`version -o table`): Go's tabwriter with minimum width 15 and padding 1, every
 * cell tab-terminated, so every column (the last one too) is padded.
 */
export function renderTabwriter(rows: readonly (readonly string[])[]): string {
  const cols = Math.max(0, ...rows.map((r) => r.length));
  const widths = Array.from({ length: cols }, (_, j) =>
    Math.max(15, ...rows.map((r) => (r[j]?.length ?? 0) + 1)),
  );
  return rows.map((r) => `${r.map((cell, j) => cell.padEnd(widths[j]!)).join("")}\n`).join("");
}

/** Go's string order (bytes), not the locale's. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRows(a: readonly string[], b: readonly string[]): number {
  for (let k = 0; k < a.length; k++) {
    const c = compare(a[k] ?? "", b[k] ?? "");
    if (c !== 0) return c;
  }
  return 0;
}
