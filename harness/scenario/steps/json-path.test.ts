import { describe, expect, it } from "vitest";
import { evaluateJsonPath, jsonPathText, parseJsonPath } from "./json-path.ts";

const pod = {
  metadata: { labels: { "app.kubernetes.io/name": "web" } },
  spec: { ports: [{ port: 80 }, { port: 443 }] },
  status: {
    phase: "Running",
    conditions: [
      { type: "Initialized", status: "True" },
      { type: "Ready", status: "False" },
    ],
  },
};

function at(path: string): unknown {
  const parsed = parseJsonPath(path);
  if (typeof parsed === "string") throw new Error(parsed);
  return evaluateJsonPath(pod, parsed);
}

describe("JSONPath subset for waits", () => {
  it("reads fields, indexes, quoted keys and filters, with or without kubectl's braces", () => {
    expect(at("{.status.phase}")).toBe("Running");
    expect(at(".status.phase")).toBe("Running");
    expect(at("status.phase")).toBe("Running");
    expect(at(".spec.ports[1].port")).toBe(443);
    expect(at(".metadata.labels['app.kubernetes.io/name']")).toBe("web");
    expect(at('{.status.conditions[?(@.type=="Ready")].status}')).toBe("False");
    expect(at(".status.podIP")).toBeUndefined();
    expect(at(".spec.ports[7].port")).toBeUndefined();
    expect(jsonPathText(at(".spec.ports[0]"))).toBe('{"port":80}');
  });

  it("says where an unsupported path goes wrong", () => {
    expect(parseJsonPath(".status..phase")).toBe(
      `unsupported path ".status..phase" at "..phase" (use .field, ['key'], [N] or [?(@.field=="value")])`,
    );
    expect(parseJsonPath("{}")).toBe('empty path "{}"');
  });
});
