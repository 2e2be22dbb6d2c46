// `ovslab run` as a function: load and select scenarios, reuse the named lab or bring one up, run the scenarios
// as vitest suites through vitest's Node API (live console progress, JUnit XML, Allure results), take down the lab
// it brought up (unless keep), and return the exit code: 0 all passed, 1 failures, 2 invalid input.
import { relative, resolve } from "node:path";
import AllureVitestReporter from "allure-vitest/reporter";
import { JUnitReporter, startVitest } from "vitest/node";
import { formatProblem, InvalidInputError } from "../../lab/common/source-file.ts";
import type { LabStatus } from "../../lab/provider.ts";
import { providerFor } from "../../lab/providers.ts";
import { loadTopology } from "../../lab/topology/load.ts";
import type { TopologyFile } from "../../lab/topology/schema.ts";
import { ExitError } from "../cli/exit.ts";
import { PACKAGE_ROOT, topologyPath } from "../cli/paths.ts";
import { LiveReporter } from "./live-reporter.ts";
import { type LoadedScenario, loadScenarios } from "./loader.ts";
import { runConfigEnv, SUITE_ENTRY } from "./run-config.ts";

export interface RunScenariosOptions {
  /** Scenario files and directories. */
  paths: readonly string[];
  grep?: string | undefined;
  tag?: string | readonly string[] | undefined;
  /** "I/N". */
  shard?: string | undefined;
  /** Lab to use: reused when running, else brought up under this name. Default: the topology's name. */
  lab?: string | undefined;
  /** Topology for a lab that has to be brought up; default: the one the scenarios name (spec.lab). */
  topology?: string | undefined;
  /** JUnit XML file to write. */
  junit?: string | undefined;
  /** Allure results directory to write (results accumulate: start from an empty one). */
  allure?: string | undefined;
  /** Where step evidence goes as files; default reports/artifacts. */
  artifacts?: string | undefined;
  /** Leave a lab that this run brought up running. */
  keep?: boolean | undefined;
  /** Receives every line the run prints; default: stdout. */
  progress?: ((line: string) => void) | undefined;
}

export type RunExitCode = 0 | 1 | 2;

/** Bundled topology name, or a path relative to the scenario file. */
function scenarioTopology(s: LoadedScenario): string {
  const lab = s.spec.spec.lab;
  return lab.includes("/") || /\.ya?ml$/.test(lab) ? resolve(s.dir, lab) : topologyPath(lab);
}

function chooseTopology(option: string | undefined, scenarios: readonly LoadedScenario[]): string {
  if (option !== undefined) return topologyPath(option);
  const wanted = new Map(scenarios.map((s) => [scenarioTopology(s), s.name]));
  if (wanted.size > 1) {
    const list = [...wanted].map(([file, name]) => `${name}: ${file}`).join(", ");
    throw new ExitError(`the selected scenarios want different topologies (${list}); choose one with -t`, 2);
  }
  return [...wanted.keys()][0] ?? topologyPath(undefined);
}

/** Prints why input was rejected and returns 2; rethrows anything else. */
function rejected(err: unknown, say: (line: string) => void): 2 {
  if (err instanceof InvalidInputError) {
    for (const p of err.problems) say(formatProblem(p));
    return 2;
  }
  if (err instanceof ExitError && err.exitCode === 2) {
    say(`error: ${err.message}`);
    return 2;
  }
  throw err;
}

export async function runScenarios(opts: RunScenariosOptions): Promise<RunExitCode> {
  const say = opts.progress ?? ((line: string) => process.stdout.write(`${line}\n`));
  let selected: LoadedScenario[];
  let spec: TopologyFile;
  let topologyFile: string;
  try {
    const loaded = await loadScenarios(opts.paths, opts);
    selected = loaded.scenarios;
    say(
      `${selected.length} of ${loaded.found} scenario(s) selected` +
        (opts.shard ? ` (shard ${opts.shard})` : "") +
        (opts.grep ? ` (--grep ${opts.grep})` : "") +
        (opts.tag !== undefined ? ` (--tag ${[opts.tag].flat().join(",")})` : ""),
    );
    if (!selected.length) return 0;
    topologyFile = chooseTopology(opts.topology, selected);
    spec = (await loadTopology(topologyFile)).spec;
  } catch (err) {
    return rejected(err, say);
  }

  const provider = providerFor(spec.provider);
  const labName = opts.lab ?? spec.name;
  let status: LabStatus | undefined = await provider.status(labName);
  const broughtUp = !status;
  if (status) say(`using the running lab ${labName}`);
  else {
    say(`bringing up lab ${labName} from ${topologyFile}`);
    try {
      status = await provider.up(spec, { name: labName, progress: (e) => say(`  ✓ ${e.step} (${e.ms} ms)`) });
    } catch (err) {
      say(`error: lab ${labName} did not come up: ${(err as Error).message}`);
      return 1;
    }
  }

  let code: RunExitCode = 1;
  try {
    code = (await runSuites(selected, { ...opts, lab: labName, provider: status.provider }, say)) ? 1 : 0;
  } finally {
    if (broughtUp && !opts.keep) {
      say(`removing lab ${labName}`);
      await provider.down(labName).catch((err: unknown) => {
        say(`error: removing lab ${labName}: ${(err as Error).message}`);
        code = 1;
      });
    } else if (broughtUp) say(`lab ${labName} kept (remove it with: ovslab down --name ${labName})`);
  }
  return code;
}

/** Runs the scenarios in vitest; resolves true when anything failed. */
async function runSuites(
  scenarios: readonly LoadedScenario[],
  opts: RunScenariosOptions & { lab: string; provider: "netns" | "kind" },
  say: (line: string) => void,
): Promise<boolean> {
  const live = new LiveReporter(
    say,
    new Map(scenarios.map((s) => [s.name, relative(process.cwd(), s.file)])),
  );
  const env = runConfigEnv({
    lab: opts.lab,
    provider: opts.provider,
    files: scenarios.map((s) => s.file),
    artifactsDir: resolve(opts.artifacts ?? "reports/artifacts"),
    allure: opts.allure !== undefined,
  });
  // startVitest sets process.exitCode on failures; this function reports through its result instead.
  const exitCode = process.exitCode;
  const vitest = await startVitest("test", [], {
    config: false,
    root: PACKAGE_ROOT,
    include: [relative(PACKAGE_ROOT, SUITE_ENTRY)],
    watch: false,
    fileParallelism: false,
    hookTimeout: 120_000,
    env,
    reporters: [
      live,
      ...(opts.junit
        ? [new JUnitReporter({ outputFile: resolve(opts.junit), suiteName: "ovslab scenarios" })]
        : []),
      ...(opts.allure ? [new AllureVitestReporter({ resultsDir: resolve(opts.allure) })] : []),
    ],
  });
  await vitest.close();
  process.exitCode = exitCode;
  return live.failed;
}
