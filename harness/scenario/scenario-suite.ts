// The vitest test file of a scenario run (started by runner.ts, never picked up by `npm test`): one describe per
// scenario, one test per step, in file order. After a failed step the rest of the scenario is skipped, and the
// failing step gets the artifact bundle. The scenario's namespaces are deleted after it, passed or failed.
import * as allure from "allure-js-commons";
import { afterAll, describe, it } from "vitest";
import { providerFor } from "../../lab/providers.ts";
import { ArtifactFiles } from "./artifacts.ts";
import { attachFailureBundle } from "./failure-bundle.ts";
import { LabContext } from "./lab-context.ts";
import { type LoadedScenario, loadScenarioFile, type ScenarioStep } from "./loader.ts";
import { readRunConfig } from "./run-config.ts";

/** Room, beyond a step's own timeout, for collecting the artifact bundle of a failure. */
const BUNDLE_MARGIN_MS = 60_000;

const config = readRunConfig();
const provider = providerFor(config.provider);
const status = await provider.status(config.lab);
if (!status) throw new Error(`lab ${config.lab} is not running`);
const lab = { provider, name: config.lab, status };
const scenarios = await Promise.all(config.files.map((f) => loadScenarioFile(f)));
const artifacts = new ArtifactFiles(config.artifactsDir, config.allure);

async function labelForAllure(scenario: LoadedScenario, step: ScenarioStep): Promise<void> {
  const { metadata } = scenario.spec;
  await allure.feature(scenario.name);
  if (metadata.labels.area) await allure.epic(metadata.labels.area);
  if (metadata.tags.length) await allure.tags(...metadata.tags);
  for (const [name, value] of Object.entries(metadata.labels)) await allure.label(name, value);
  await allure.description(
    `${metadata.description ?? ""}\n\n${scenario.file}, step ${step.index + 1} (${step.kind.kind})`,
  );
}

for (const scenario of scenarios) {
  describe(scenario.name, () => {
    const ctx = new LabContext(lab, scenario, artifacts);
    let failed: string | undefined;
    afterAll(() => ctx.cleanup(scenario.cleanupTimeoutMs), scenario.cleanupTimeoutMs + 10_000);
    for (const step of scenario.steps) {
      const title = `${String(step.index + 1).padStart(2, "0")} ${step.title}`;
      it(
        title,
        async (t) => {
          if (failed) t.skip(`step ${failed} failed`);
          artifacts.enter(scenario.name, title);
          if (config.allure) await labelForAllure(scenario, step);
          try {
            await step.kind.run(step.body, ctx, {
              timeoutMs: step.timeoutMs,
              deadline: Date.now() + step.timeoutMs,
              signal: t.signal,
            });
          } catch (err) {
            failed = title;
            await attachFailureBundle(ctx).catch((bundleErr: unknown) =>
              artifacts.attach("artifact-bundle-error.txt", String(bundleErr)),
            );
            throw err;
          }
        },
        step.timeoutMs + BUNDLE_MARGIN_MS,
      );
    }
  });
}
