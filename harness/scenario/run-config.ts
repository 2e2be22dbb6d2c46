// What runner.ts tells the vitest entry (scenario-suite.ts) that runs in vitest's worker: the lab and the
// selected scenario files, as JSON in one environment variable, checked on arrival.
import { fileURLToPath } from "node:url";
import { z } from "zod";

export const RUN_CONFIG_ENV = "OVSLAB_SCENARIO_RUN";

/** The vitest test file that turns the selected scenarios into suites. */
export const SUITE_ENTRY = fileURLToPath(new URL("./scenario-suite.ts", import.meta.url));

export const RunConfig = z.strictObject({
  lab: z.string().min(1),
  provider: z.enum(["netns", "kind"]),
  /** Absolute paths, in run order. */
  files: z.array(z.string().min(1)).min(1),
  artifactsDir: z.string().min(1),
  /** Whether the run writes Allure results (steps then also attach to Allure). */
  allure: z.boolean(),
});
export type RunConfig = z.output<typeof RunConfig>;

export function runConfigEnv(config: RunConfig): Record<string, string> {
  return { [RUN_CONFIG_ENV]: JSON.stringify(config) };
}

export function readRunConfig(env: NodeJS.ProcessEnv = process.env): RunConfig {
  const text = env[RUN_CONFIG_ENV];
  if (!text) {
    throw new Error(
      `${RUN_CONFIG_ENV} is not set: scenario-suite.ts is started by runScenarios (harness/scenario/runner.ts)`,
    );
  }
  const parsed = RunConfig.safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`${RUN_CONFIG_ENV} is malformed: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
