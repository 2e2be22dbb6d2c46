// Every scenario shipped under scenarios/ loads as `ovslab validate` loads it (schema, references, manifest files,
// grids), so that a broken scenario fails here, in seconds, rather than in a lab run.
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadScenarios } from "./loader.ts";

const SCENARIOS_DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));

describe("shipped scenarios", () => {
  it("all load without problems, with unique names", async () => {
    // loadScenarios throws one InvalidInputError listing every problem of every file (as FILE:LINE:COL: message).
    const { scenarios, found } = await loadScenarios([SCENARIOS_DIR]);
    expect(found).toBeGreaterThan(0);
    expect(scenarios).toHaveLength(found);
    for (const s of scenarios) expect(s.steps.length, s.file).toBeGreaterThan(0);
  });
});
