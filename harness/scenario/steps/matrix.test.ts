import { describe, expect, it } from "vitest";
import { compareGrids, formatGrid, GridError, type Mark, parseGrid, reachabilitySummary } from "./matrix.ts";

const ANTREA = ["-\tx/a\tx/b\ty/a", "x/a\tCon\tDrp\tRej", "x/b\tCon\tCon\t-", "y/a\tDrp\tDrp\tCon"].join(
  "\n",
);

describe("reachability grids", () => {
  it("round-trips Antrea's TAB-separated tables, and reads upstream ./X and space-aligned grids", () => {
    const grid = parseGrid(ANTREA);
    expect(grid.labels).toEqual(["x/a", "x/b", "y/a"]);
    expect(grid.cells[0]).toEqual(["connected", "dropped", "rejected"]);
    expect(grid.cells[1]![2]).toBe("ignored");
    expect(formatGrid(grid)).toBe(ANTREA);
    expect(parseGrid(formatGrid(grid))).toEqual(grid);

    const upstream = parseGrid("\n   -    a   b\n   a    .   X\n   b    X   .\n");
    expect(upstream.cells).toEqual([
      ["connected", "dropped"],
      ["dropped", "connected"],
    ]);
    expect(formatGrid(upstream)).toBe("-\ta\tb\na\tCon\tDrp\nb\tDrp\tCon");
  });

  it("prints the summary, expected, observed and comparison tables as Antrea does", () => {
    const expected = parseGrid(ANTREA);
    const observed: Mark[][] = [
      ["connected", "connected", "rejected"],
      ["connected", "connected", "ignored"],
      ["dropped", "error", "connected"],
    ];
    const cmp = compareGrids(expected, observed);
    expect(cmp).toMatchObject({
      correct: 6,
      incorrect: 2,
      wrong: [
        [0, 1],
        [2, 1],
      ],
    });
    expect(reachabilitySummary(expected, observed)).toBe(
      [
        "reachability: correct:6, incorrect:2, result=false",
        "",
        "expected:",
        ANTREA,
        "",
        "observed:",
        "-\tx/a\tx/b\ty/a",
        "x/a\tCon\tCon\tRej",
        "x/b\tCon\tCon\t-",
        "y/a\tDrp\tErr\tCon",
        "",
        "comparison:",
        "-\tx/a\tx/b\ty/a",
        "x/a\t.\tX\t.",
        "x/b\t.\t.\t-",
        "y/a\t.\tX\t.",
      ].join("\n"),
    );
    expect(compareGrids(expected, expected.cells).incorrect).toBe(0);
  });

  it("rejects malformed grids with the line of the mistake", () => {
    const error = (text: string) => {
      try {
        parseGrid(text);
      } catch (err) {
        expect(err).toBeInstanceOf(GridError);
        return `${(err as GridError).line}: ${(err as GridError).message}`;
      }
      throw new Error("no error");
    };
    expect(error("a b\na .")).toBe('1: the header row must start with "-", followed by the destinations');
    expect(error("- a b\na . .\nc . .")).toBe('3: row 2 is "c" but column 2 is "b"');
    expect(error("- a b\na . .")).toBe(
      "1: the grid has 2 columns but 1 rows (it must be square, rows in column order)",
    );
    expect(error("- a\na . X")).toBe('2: row "a" has 2 cells, expected 1');
    expect(error("- a\na maybe")).toBe(
      '2: "maybe" is not a cell value (use Con or ., Drp or X, Rej, - to skip)',
    );
    expect(error("- a a\na . .\na . .")).toBe('1: "a" appears twice in the header row');
    expect(error("\n\n")).toBe("1: the grid is empty");
  });
});
