import { describe, expect, it } from "vitest";
import { ConjIdAllocator } from "./conj-id-allocator.ts";

describe("conj_id allocator", () => {
  it("starts at 2, keeps an ID per key, and reuses released IDs first-in first-out after the delay", () => {
    let now = 0;
    const ids = new ConjIdAllocator(() => now, 1000);
    expect([ids.get("a"), ids.get("b"), ids.get("c"), ids.get("a")]).toEqual([2, 3, 4, 2]);
    ids.retain(new Set(["b"]));
    // Released just now: not reused yet.
    expect(ids.get("d")).toBe(5);
    now = 999;
    expect(ids.get("e")).toBe(6);
    now = 1000;
    expect([ids.get("f"), ids.get("g"), ids.get("h")]).toEqual([2, 4, 7]);
    expect(ids.get("b")).toBe(3);
  });
});
