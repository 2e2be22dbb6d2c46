// Console progress of a scenario run, one line per step as it finishes:
//   ▶ np-allow (scenarios/networkpolicy/np-allow.yaml)
//     ✓ 01 apply manifests/web.yaml (312 ms)
//     ✗ 02 probe pod/x/a -> pod/x/b:80 tcp expect connected (10.1 s)
//         probe ... was not connected / expected / seen / reproduce
//     - 03 flows worker br-int table=IngressRule (skipped: step 02 ... failed)
//   ✗ np-allow: 1 of 3 steps failed (10.6 s)
// and a closing count. It also keeps the tally that decides the run's exit code.
import type { Reporter, SerializedError, TestCase, TestModule, TestSuite } from "vitest/node";
import { formatMs } from "./duration.ts";

export interface RunTally {
  scenarios: { passed: number; failed: number };
  steps: { passed: number; failed: number; skipped: number };
  /** Errors outside steps: a scenario file that could not be collected, a failed cleanup, unhandled errors. */
  errors: number;
}

export class LiveReporter implements Reporter {
  readonly tally: RunTally = {
    scenarios: { passed: 0, failed: 0 },
    steps: { passed: 0, failed: 0, skipped: 0 },
    errors: 0,
  };

  constructor(
    private readonly write: (line: string) => void,
    /** Scenario name -> file, for the header line. */
    private readonly files: ReadonlyMap<string, string>,
  ) {}

  onTestSuiteReady(suite: TestSuite): void {
    const file = this.files.get(suite.name);
    this.write(`▶ ${suite.name}${file ? ` (${file})` : ""}`);
  }

  onTestCaseResult(test: TestCase): void {
    const result = test.result();
    const took = formatMs(test.diagnostic()?.duration ?? 0);
    if (result.state === "passed") {
      this.tally.steps.passed++;
      this.write(`  ✓ ${test.name} (${took})`);
    } else if (result.state === "skipped") {
      this.tally.steps.skipped++;
      this.write(`  - ${test.name} (skipped${result.note ? `: ${result.note}` : ""})`);
    } else if (result.state === "failed") {
      this.tally.steps.failed++;
      this.write(`  ✗ ${test.name} (${took})`);
      for (const err of result.errors) this.write(indent(err.message, 6));
    }
  }

  onTestSuiteResult(suite: TestSuite): void {
    const tests = [...suite.children.allTests()];
    const failed = tests.filter((t) => t.result().state === "failed").length;
    const hookErrors = suite.errors();
    for (const err of hookErrors) this.write(indent(`after the scenario: ${err.message}`, 2));
    this.tally.errors += hookErrors.length;
    const took = formatMs(tests.reduce((sum, t) => sum + (t.diagnostic()?.duration ?? 0), 0));
    if (failed || hookErrors.length) {
      this.tally.scenarios.failed++;
      this.write(`✗ ${suite.name}: ${failed} of ${tests.length} steps failed (${took})\n`);
    } else {
      this.tally.scenarios.passed++;
      this.write(`✓ ${suite.name}: ${tests.length} steps passed (${took})\n`);
    }
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    for (const m of modules) {
      for (const err of m.errors()) {
        this.tally.errors++;
        this.write(`error: ${err.message}`);
      }
    }
    for (const err of unhandled) {
      this.tally.errors++;
      this.write(`error: ${err.message}`);
    }
    const { scenarios, steps, errors } = this.tally;
    this.write(
      `scenarios: ${scenarios.passed} passed, ${scenarios.failed} failed; ` +
        `steps: ${steps.passed} passed, ${steps.failed} failed, ${steps.skipped} skipped` +
        (errors ? `; ${errors} error(s)` : ""),
    );
  }

  get failed(): boolean {
    const { scenarios, steps, errors } = this.tally;
    return scenarios.failed > 0 || steps.failed > 0 || errors > 0 || scenarios.passed === 0;
  }
}

function indent(text: string, spaces: number): string {
  const pad = " ".repeat(spaces);
  return text
    .split("\n")
    .map((l) => pad + l)
    .join("\n");
}
