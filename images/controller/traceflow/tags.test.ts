import { describe, expect, it } from "vitest";
import { DataplaneTags } from "./tags.ts";

describe("DataplaneTags", () => {
  it("hands out 7, 11, ..., 59 lowest first, the same tag again to its holder, and none past 14", () => {
    const tags = new DataplaneTags();
    const got = Array.from({ length: 14 }, (_, i) => tags.allocate(`tf-${i}`));
    expect(got).toEqual([7, 11, 15, 19, 23, 27, 31, 35, 39, 43, 47, 51, 55, 59]);
    expect(tags.allocate("tf-3")).toBe(19);
    expect(tags.allocate("tf-14")).toBeUndefined();
    expect(tags.release("tf-1")).toBe(11);
    expect(tags.release("tf-1")).toBeUndefined();
    expect(tags.allocate("tf-14")).toBe(11);
  });

  it("occupies the tags Running Traceflows hold, refusing foreign values and a tag held by another", () => {
    const tags = new DataplaneTags();
    expect(tags.occupy("a", 11)).toBeUndefined();
    expect(tags.occupy("a", 11)).toBeUndefined();
    expect(tags.occupy("b", 11)).toBe("dataplane tag 11 is already taken by Traceflow a");
    expect(tags.occupy("b", 8)).toBe("dataplane tag 8 is out of range");
    expect(tags.allocate("c")).toBe(7);
    expect(tags.allocate("d")).toBe(15);
    // Moving to another tag gives up the one held before.
    expect(tags.occupy("a", 19)).toBeUndefined();
    expect(tags.tagOf("a")).toBe(19);
    expect(tags.allocate("e")).toBe(11);
    expect(tags.names().sort()).toEqual(["a", "c", "d", "e"]);
  });
});
