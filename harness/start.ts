// `npm start`: the main job. Brings up the default lab, runs every scenario under scenarios/ against it, writes
// JUnit (reports/junit-scenarios.xml), Allure results (reports/allure-results) and the Allure HTML report
// (reports/allure-report/index.html), and takes the lab down whatever happens. Exit 0 all passed, 1 failures,
// 2 invalid scenario files, 130 interrupted.
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { NetnsProvider } from "../lab/netns/provider.ts";
import { loadTopology } from "../lab/topology/load.ts";
import { printStatus } from "./cli/commands/status.ts";
import { DEFAULT_TOPOLOGY, PACKAGE_ROOT } from "./cli/paths.ts";
import { generateAllureHtml } from "./scenario/report.ts";
import { runScenarios } from "./scenario/runner.ts";

const REPORTS = join(PACKAGE_ROOT, "reports");
const paths = {
  scenarios: join(PACKAGE_ROOT, "scenarios"),
  junit: join(REPORTS, "junit-scenarios.xml"),
  allure: join(REPORTS, "allure-results"),
  allureHtml: join(REPORTS, "allure-report"),
  artifacts: join(REPORTS, "artifacts"),
};

const provider = new NetnsProvider();
const { spec } = await loadTopology(DEFAULT_TOPOLOGY);
const lab = spec.name;
if (await provider.status(lab).catch(() => true)) {
  console.error(`lab ${lab} already exists; take it down first with: npx ovslab down --name ${lab}`);
  process.exit(1);
}
// Allure results accumulate across runs; this run's report shows this run only.
for (const dir of [paths.allure, paths.allureHtml, paths.artifacts])
  await rm(dir, { recursive: true, force: true });

const abort = new AbortController();
let interrupted = false;
const onSignal = () => {
  interrupted = true;
  abort.abort();
};
process.on("SIGINT", onSignal).on("SIGTERM", onSignal);

let exitCode = 1;
try {
  const t0 = performance.now();
  console.error(`Creating lab ${lab} from ${DEFAULT_TOPOLOGY}`);
  const status = await provider.up(spec, {
    signal: abort.signal,
    progress: (e) => console.error(`  ✓ ${e.step} (${e.ms} ms)`),
  });
  console.error(`Lab ${lab} is up (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
  printStatus([status]);
  if (!interrupted) {
    exitCode = await runScenarios({
      paths: [paths.scenarios],
      lab,
      junit: paths.junit,
      allure: paths.allure,
      artifacts: paths.artifacts,
    });
    const index = await generateAllureHtml(paths.allure, paths.allureHtml).catch((err: Error) => {
      console.error(`warning: no Allure HTML report: ${err.message}`);
      return undefined;
    });
    console.error(`\nreports: ${paths.junit}${index ? `, ${index}` : ""}, ${paths.artifacts}`);
  }
} catch (err) {
  if (!interrupted) console.error(`error: ${(err as Error).message}`);
} finally {
  const t0 = performance.now();
  const report = await provider.down(lab);
  console.error(`Lab ${lab} removed (${report.removed} objects, ${Math.round(performance.now() - t0)} ms)`);
}
process.exitCode = interrupted ? 130 : exitCode;
