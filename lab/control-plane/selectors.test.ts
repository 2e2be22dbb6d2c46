import { describe, expect, it } from "vitest";
import { ApiError } from "./errors.ts";
import {
  formatLabelSelector,
  fromLabelSelectorObject,
  matchesFields,
  matchesLabels,
  parseFieldSelector,
  parseLabelSelector,
} from "./selectors.ts";

const labels = { app: "web", tier: "front", "example.com/zone": "a", n: "5", empty: "" };

function sel(s: string): boolean {
  return matchesLabels(parseLabelSelector(s), labels);
}

describe("label selectors", () => {
  it("supports =, ==, !=, in, notin, exists and !exists", () => {
    expect(sel("app=web")).toBe(true);
    expect(sel("app==web,tier=front")).toBe(true);
    expect(sel("app!=web")).toBe(false);
    expect(sel("missing!=x")).toBe(true);
    expect(sel("tier in (front, back)")).toBe(true);
    expect(sel("tier in (back)")).toBe(false);
    expect(sel("tier notin (back),missing notin (x)")).toBe(true);
    expect(sel("example.com/zone")).toBe(true);
    expect(sel("!example.com/zone")).toBe(false);
    expect(sel("!missing,app")).toBe(true);
    expect(sel("empty=")).toBe(true);
    expect(sel("n>4,n<6")).toBe(true);
    expect(sel("n>5")).toBe(false);
    expect(sel("")).toBe(true);
    expect(matchesLabels(parseLabelSelector("app"), undefined)).toBe(false);
    expect(matchesLabels(parseLabelSelector("app!=x"), undefined)).toBe(true);
  });

  it("rejects malformed selectors with 400 BadRequest", () => {
    for (const bad of ["app in (a", "app in a", "=x", "app=web tier=front", "!", "n>x"]) {
      const err = (() => {
        try {
          parseLabelSelector(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(ApiError);
      expect((err as ApiError).code).toBe(400);
    }
  });

  it("converts and formats structured LabelSelectors", () => {
    const s = {
      matchLabels: { app: "web" },
      matchExpressions: [
        { key: "tier", operator: "In", values: ["front", "back"] },
        { key: "legacy", operator: "DoesNotExist" },
      ],
    };
    expect(matchesLabels(fromLabelSelectorObject(s) ?? [], labels)).toBe(true);
    expect(formatLabelSelector(s)).toBe("app=web,tier in (front,back),!legacy");
    expect(formatLabelSelector({})).toBe("<none>");
    expect(fromLabelSelectorObject({ matchExpressions: [{ key: "a", operator: "Near" }] })).toBeUndefined();
  });
});

describe("field selectors", () => {
  const pod = {
    metadata: { name: "p", namespace: "ns" },
    spec: { nodeName: "n1" },
    status: { phase: "Running" },
  };

  it("matches =, == and != on dotted paths, missing fields reading as empty", () => {
    expect(matchesFields(parseFieldSelector("spec.nodeName=n1,status.phase==Running"), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector("metadata.name!=p"), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector("spec.hostNetwork="), pod)).toBe(true);
  });

  it("unescapes values and rejects terms without an operator", () => {
    expect(parseFieldSelector("metadata.name=a\\,b")).toEqual([
      { field: "metadata.name", op: "=", value: "a,b" },
    ]);
    expect(() => parseFieldSelector("metadata.name")).toThrow(ApiError);
  });
});
