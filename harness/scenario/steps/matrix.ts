// Reachability truth tables in the shape of Antrea's test/e2e/reachability.go: a header row "-" followed by the
// destinations, one row per source, TAB-separated. Cells are Con/Drp/Rej/Err (Antrea) or ./X (upstream
// netpol: connected / dropped); "-" marks a pair that is not probed. Comparison tables use "." (as expected) and
// "X" (not as expected).

export type Mark = "connected" | "dropped" | "rejected" | "error" | "ignored";

const MARK_TEXT: Record<Mark, string> = {
  connected: "Con",
  dropped: "Drp",
  rejected: "Rej",
  error: "Err",
  ignored: "-",
};

/** What an expectation grid may say. Err is never expected. */
const EXPECTED_MARKS: Record<string, Mark> = {
  ".": "connected",
  Con: "connected",
  X: "dropped",
  Drp: "dropped",
  Rej: "rejected",
  "-": "ignored",
};

export interface Grid {
  /** Row and column labels, in order (rows and columns list the same items). */
  labels: string[];
  /** cells[from][to]. */
  cells: Mark[][];
}

export class GridError extends Error {
  constructor(
    /** 1-based line within the grid text. */
    readonly line: number,
    message: string,
  ) {
    super(message);
    this.name = "GridError";
  }
}

export function markText(mark: Mark): string {
  return MARK_TEXT[mark];
}

export function parseGrid(text: string): Grid {
  const rows = text
    .split("\n")
    .map((line, i) => ({ line: i + 1, tokens: line.trim().split(/\s+/).filter(Boolean) }))
    .filter((r) => r.tokens.length > 0);
  const header = rows[0];
  if (!header) throw new GridError(1, "the grid is empty");
  if (header.tokens[0] !== "-") {
    throw new GridError(header.line, 'the header row must start with "-", followed by the destinations');
  }
  const labels = header.tokens.slice(1);
  if (!labels.length) throw new GridError(header.line, "the header row names no destinations");
  const dup = labels.find((l, i) => labels.indexOf(l) !== i);
  if (dup) throw new GridError(header.line, `"${dup}" appears twice in the header row`);
  const body = rows.slice(1);
  if (body.length !== labels.length) {
    throw new GridError(
      (body[labels.length] ?? header).line,
      `the grid has ${labels.length} columns but ${body.length} rows (it must be square, rows in column order)`,
    );
  }
  const cells = body.map((row, i) => {
    const [label, ...marks] = row.tokens;
    if (label !== labels[i]) {
      throw new GridError(row.line, `row ${i + 1} is "${label}" but column ${i + 1} is "${labels[i]}"`);
    }
    if (marks.length !== labels.length) {
      throw new GridError(row.line, `row "${label}" has ${marks.length} cells, expected ${labels.length}`);
    }
    return marks.map((m) => {
      const mark = EXPECTED_MARKS[m];
      if (!mark) {
        throw new GridError(row.line, `"${m}" is not a cell value (use Con or ., Drp or X, Rej, - to skip)`);
      }
      return mark;
    });
  });
  return { labels, cells };
}

/** A TAB-separated table: header "-" + labels, then one row per label. */
export function formatTable(labels: readonly string[], cell: (from: number, to: number) => string): string {
  const lines = [["-", ...labels].join("\t")];
  labels.forEach((from, i) => {
    lines.push([from, ...labels.map((_, j) => cell(i, j))].join("\t"));
  });
  return lines.join("\n");
}

export function formatGrid(grid: Grid): string {
  return formatTable(grid.labels, (i, j) => markText(grid.cells[i]![j]!));
}

export interface Comparison {
  correct: number;
  incorrect: number;
  /** Pairs whose observation differs from the expectation, as [from, to] indexes. */
  wrong: [number, number][];
  /** "." as expected, "X" not, "-" not probed. */
  table: string;
}

export function compareGrids(expected: Grid, observed: readonly (readonly Mark[])[]): Comparison {
  const wrong: [number, number][] = [];
  let correct = 0;
  const table = formatTable(expected.labels, (i, j) => {
    const want = expected.cells[i]![j]!;
    if (want === "ignored") return "-";
    if (observed[i]?.[j] === want) {
      correct++;
      return ".";
    }
    wrong.push([i, j]);
    return "X";
  });
  return { correct, incorrect: wrong.length, wrong, table };
}

/** Antrea's PrintSummary: the counts, then the expected, observed and comparison tables. */
export function reachabilitySummary(expected: Grid, observed: readonly (readonly Mark[])[]): string {
  const cmp = compareGrids(expected, observed);
  const observedTable = formatTable(expected.labels, (i, j) => markText(observed[i]?.[j] ?? "ignored"));
  return [
    `reachability: correct:${cmp.correct}, incorrect:${cmp.incorrect}, result=${cmp.incorrect === 0}`,
    "",
    "expected:",
    formatGrid(expected),
    "",
    "observed:",
    observedTable,
    "",
    "comparison:",
    cmp.table,
  ].join("\n");
}
