import { describe, expect, it } from "vitest";
import { renderTable, renderTabwriter, summarize } from "./table.ts";

describe("summarize (antctl's list cells)", () => {
  it("sorts and comma-joins lists that fit", () => {
    expect(summarize(["b", "c", "a"])).toBe("a,b,c");
    expect(summarize([])).toBe("");
  });

  it("keeps a list of exactly the maximum length whole", () => {
    const items = ["aaaaaaaaaa", "bbbbbbbbbb", "cccccccccc", "dddddddddd", "eeeeee"]; // 10 + 3*11 + 7 = 50
    expect(summarize(items)).toHaveLength(50);
    expect(summarize(items)).toBe(items.join(","));
  });

  it("cuts at 50 characters with ' + N more...' when the summary fits after the items that do", () => {
    const items = ["c".repeat(20), "a".repeat(18), "b".repeat(19)];
    // a,b take 38 characters; c does not fit (59); 38 + " + 1 more..." (12) = 50 fits.
    expect(summarize(items)).toBe(`${"a".repeat(18)},${"b".repeat(19)} + 1 more...`);
  });

  it("backs off to fewer items when the summary does not fit, keeping antctl's count", () => {
    const ips = Array.from({ length: 6 }, (_, i) => `10.244.1.${10 + i}`); // 11 characters each
    // 4 items take 47 characters and the 5th does not fit; 47 + " + 2 more..." is 59, so antctl keeps only the
    // items that fit with that summary (3) and, as antctl does, still says "2 more".
    expect(summarize(ips)).toBe("10.244.1.10,10.244.1.11,10.244.1.12 + 2 more...");
  });

  it("shows only the summary when even the first item is too long, as antctl does", () => {
    expect(summarize(["x".repeat(60), "y"])).toBe(" + 2 more...");
  });
});

describe("renderTable (antctl get tables)", () => {
  it("pads column 0 to its width and the others to width + 1 after one space, keeping trailing spaces", () => {
    const text = renderTable({
      header: ["NAME", "POD-IPS", "NODE-IPS"],
      rows: [["ag-1", "10.0.0.1", "172.18.0.2"]],
      sortRows: true,
    });
    expect(text).toBe("NAME POD-IPS  NODE-IPS  \nag-1 10.0.0.1 172.18.0.2\n");
  });

  it("shows empty cells as <NONE> and widens the column for it", () => {
    const text = renderTable({ header: ["A", "B", "C"], rows: [["x", "", "1"]], sortRows: false });
    expect(text).toBe("A B      C\nx <NONE> 1\n");
  });

  it("sorts the body by whole rows (byte order) when the command asks, and only then", () => {
    const rows = [
      ["ns", "web-b", "1"],
      ["default", "z", "2"],
      ["ns", "web-a", "3"],
      ["Upper", "q", "4"],
    ];
    const sorted = renderTable({ header: ["NAMESPACE", "NAME", "N"], rows, sortRows: true }).split("\n");
    expect(sorted.slice(1, 5).map((l) => l.split(/\s+/)[1])).toEqual(["q", "z", "web-a", "web-b"]);
    const unsorted = renderTable({ header: ["NAMESPACE", "NAME", "N"], rows, sortRows: false }).split("\n");
    expect(unsorted.slice(1, 5).map((l) => l.split(/\s+/)[1])).toEqual(["web-b", "z", "web-a", "q"]);
  });

  it("prints a single-column table without padding: an empty header line, then the lines as they are", () => {
    const flows = ["table=Classifier, priority=0 actions=drop", "x"];
    expect(renderTable({ header: [""], rows: flows.map((f) => [f]), sortRows: false })).toBe(
      "\ntable=Classifier, priority=0 actions=drop\nx\n",
    );
  });

  it("prints one empty line for an empty list", () => {
    expect(renderTable({ header: ["NAME", "PODS"], rows: [], sortRows: true })).toBe("\n");
  });
});

describe("renderTabwriter (tables of non-get commands)", () => {
  it("pads every cell to at least 15 characters, or its column's widest cell plus one", () => {
    expect(
      renderTabwriter([
        ["agentVersion", "antctlVersion"],
        ["v0.1.0-ovslab-with-suffix", "v1"],
      ]),
    ).toBe(`${"agentVersion".padEnd(26)}antctlVersion  \nv0.1.0-ovslab-with-suffix v1             \n`);
  });
});
