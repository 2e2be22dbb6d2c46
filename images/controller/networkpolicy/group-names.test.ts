import { describe, expect, it } from "vitest";
import { selectorGroupName, uuidV5 } from "./group-names.ts";
import { newGroupSelector, normalizedName } from "./group-selector.ts";

// Expected UUIDs computed independently with Python's uuid.uuid5 in Antrea's UUID namespace.
describe("group names", () => {
  it("are RFC 4122 version 5 UUIDs", () => {
    // The DNS namespace example of RFC 4122 implementations.
    expect(uuidV5("6ba7b810-9dad-11d1-80b4-00c04fd430c8", "example.com")).toBe(
      "cfbff0d1-9375-5685-968c-48ce8b15ae17",
    );
  });

  it("name a K8s policy's selector group as Antrea does", () => {
    const sel = newGroupSelector("np-seed", { matchLabels: { app: "nginx" } }, undefined);
    expect(normalizedName(sel)).toBe("namespace=np-seed And podSelector=app=nginx");
    expect(selectorGroupName(sel)).toBe("b869159e-d1ae-5f6d-b0a8-c0137c99a09d");
  });

  it("ignore the namespace when a namespaceSelector is given, and sort the parts", () => {
    const sel = newGroupSelector("ignored", { matchLabels: { app: "a" } }, { matchLabels: { test: "acnp" } });
    expect(normalizedName(sel)).toBe("namespaceSelector=test=acnp And podSelector=app=a");
    expect(selectorGroupName(sel)).toBe("85b8d6c2-2a31-5c49-9fa3-492f3f07b418");
    expect(normalizedName(newGroupSelector("ns", undefined, {}))).toBe("namespaceSelector=");
    expect(selectorGroupName(newGroupSelector("ns", undefined, {}))).toBe(
      "946d5846-ff34-5a8c-ab0b-2c6c271b0778",
    );
  });

  it("print selectors as labels.Selector.String(): sorted keys, sorted unique values", () => {
    const sel = newGroupSelector(
      "",
      {
        matchExpressions: [
          { key: "tier", operator: "Exists" },
          { key: "env", operator: "In", values: ["prod", "dev", "prod"] },
          { key: "legacy", operator: "DoesNotExist" },
          { key: "zone", operator: "NotIn", values: ["b", "a"] },
        ],
        matchLabels: { app: "web" },
      },
      undefined,
    );
    expect(normalizedName(sel)).toBe("podSelector=app=web,env in (dev,prod),!legacy,tier,zone notin (a,b)");
  });
});
