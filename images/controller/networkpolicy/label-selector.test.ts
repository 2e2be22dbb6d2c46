import { describe, expect, it } from "vitest";
import { selectorMatches } from "./label-selector.ts";

describe("selectorMatches", () => {
  const labels = { app: "web", env: "prod" };

  it("matches everything with an empty selector", () => {
    expect(selectorMatches({}, labels)).toBe(true);
    expect(selectorMatches({}, undefined)).toBe(true);
  });

  it("requires every matchLabels entry", () => {
    expect(selectorMatches({ matchLabels: { app: "web" } }, labels)).toBe(true);
    expect(selectorMatches({ matchLabels: { app: "web", env: "dev" } }, labels)).toBe(false);
  });

  it("evaluates expressions, a missing key satisfying NotIn and DoesNotExist only", () => {
    const expr = (operator: "In" | "NotIn" | "Exists" | "DoesNotExist", key: string, values?: string[]) => ({
      matchExpressions: [{ key, operator, values }],
    });
    expect(selectorMatches(expr("In", "env", ["dev", "prod"]), labels)).toBe(true);
    expect(selectorMatches(expr("In", "zone", ["a"]), labels)).toBe(false);
    expect(selectorMatches(expr("NotIn", "env", ["prod"]), labels)).toBe(false);
    expect(selectorMatches(expr("NotIn", "zone", ["a"]), labels)).toBe(true);
    expect(selectorMatches(expr("Exists", "app"), labels)).toBe(true);
    expect(selectorMatches(expr("DoesNotExist", "app"), labels)).toBe(false);
    expect(selectorMatches(expr("DoesNotExist", "zone"), labels)).toBe(true);
  });
});
