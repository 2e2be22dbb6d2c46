import type { Command } from "commander";
import { runScenarios } from "../../scenario/runner.ts";
import { DEFAULT_LAB } from "../exit.ts";

export interface RunOptions {
  name?: string;
  topology?: string;
  grep?: string;
  tag?: string[];
  shard?: string;
  junit?: string;
  allure?: string;
  artifacts?: string;
  keep?: boolean;
}

export function registerRun(program: Command): void {
  program
    .command("run")
    .description(
      "run scenario files against a lab: a running lab of that name is reused (and left running); otherwise the\n" +
        "scenarios' topology is brought up and torn down afterwards (unless --keep).\n" +
        "Exit codes: 0 all passed, 1 failures, 2 invalid input (file:line:column).",
    )
    .argument("[paths...]", "scenario files or directories", ["scenarios"])
    .option("--name <lab>", `lab to use or create (default: ${DEFAULT_LAB}, or the topology's name)`)
    .option(
      "-t, --topology <file>",
      "topology for a lab that has to be brought up (default: the scenarios' spec.lab)",
    )
    .option("--grep <regex>", "only scenarios whose name matches")
    .option("--tag <tag...>", "only scenarios with one of these tags or label values")
    .option("--shard <i/n>", "run the i-th of n shards (every scenario lands in exactly one)")
    .option("--junit <file>", "write a JUnit XML report", "reports/junit-scenarios.xml")
    .option("--allure <dir>", "write Allure results (HTML: npm run report)", "reports/allure-results")
    .option("--artifacts <dir>", "where step evidence and failure bundles go", "reports/artifacts")
    .option("--keep", "leave a lab that this run brought up running")
    .action(async (paths: string[], opts: RunOptions) => {
      process.exitCode = await runScenarios({
        paths,
        lab: opts.name,
        topology: opts.topology,
        grep: opts.grep,
        tag: opts.tag,
        shard: opts.shard,
        junit: opts.junit,
        allure: opts.allure,
        artifacts: opts.artifacts,
        keep: opts.keep,
      });
    });
}
