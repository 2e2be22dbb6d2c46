// The NetworkPolicy scenario files load cleanly with the harness loader (schema, manifests, grids, references):
// what `ovslab validate scenarios/networkpolicy` and `ovslab run` will see. Running them is the harness's job.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadScenarios } from "../../../harness/scenario/loader.ts";

const DIR = fileURLToPath(new URL("../../../scenarios/networkpolicy/", import.meta.url));

describe("scenarios/networkpolicy", () => {
  it("are valid scenarios, each asserting both reachability and flows", async () => {
    const { scenarios, found } = await loadScenarios([DIR]).catch((err: unknown) => {
      throw new Error(`invalid scenarios:\n${(err as Error).message}`);
    });
    expect(scenarios.map((s) => s.name)).toEqual([
      "np-acnp-drop-reject",
      "np-default-deny",
      "np-matrix-xyz",
      "np-nginx-allow",
      "np-relabel",
    ]);
    expect(found).toBe(5);
    for (const s of scenarios) {
      const kinds = new Set(s.steps.map((step) => step.kind.kind));
      expect(kinds.has("probe") || kinds.has("reachability"), s.name).toBe(true);
      expect(kinds.has("flows"), s.name).toBe(true);
      expect(s.spec.metadata.labels.area, s.name).toBe("networkpolicy");
    }
  });
});
