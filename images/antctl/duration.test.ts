import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.ts";

describe("parseDuration (Go durations for -t/--timeout)", () => {
  it("reads units and sums their parts", () => {
    expect(parseDuration("10s")).toBe(10_000);
    expect(parseDuration("1m30s")).toBe(90_000);
    expect(parseDuration("1.5h")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("0")).toBe(0);
  });

  it("refuses what Go refuses", () => {
    for (const bad of ["10", "", "s", "1x", "-1s", "1s "]) expect(parseDuration(bad), bad).toBeUndefined();
  });
});
