// What a step kind is: a schema for its body, a one-line title, optional load-time checks, and a run function.
// Every kind is one module that calls defineStep; steps/index.ts lists them, and that list is the whole registry
// (the scenario schema, the JSON Schema and the runner are built from it).
import { z } from "zod";
import type { SourceProblem, YamlSource } from "../../../lab/common/source-file.ts";
import { Duration } from "../duration.ts";
import type { LabContext } from "../lab-context.ts";

/** Fields every step body accepts. */
export const STEP_COMMON = {
  name: z.string().min(1).optional().describe("shown in reports instead of the generated title"),
  timeout: Duration.optional().describe("how long the step may take (retries included); e.g. 30s"),
};

export interface StepBase {
  name?: string | undefined;
  timeout?: number | undefined;
}

export interface StepLimits {
  timeoutMs: number;
  /** Date.now() value at which the step gives up. */
  deadline: number;
  /** Aborted when the runner gives up on the step. */
  signal: AbortSignal;
}

/** What a kind may check once the file is parsed, beyond its schema: files it names, grids, cross-field rules. */
export interface CheckEnv {
  /** Directory of the scenario file; relative paths are resolved against it. */
  dir: string;
  source: YamlSource;
  /** Path of the step body in the document, for file:line:column positions. */
  path: readonly PropertyKey[];
  /** The scenario's namespace names (spec.namespaces). */
  namespaces: readonly string[];
}

export interface StepDefinition<S extends z.ZodType<StepBase>> {
  kind: string;
  description: string;
  schema: S;
  defaultTimeoutMs: number;
  title(body: z.output<S>): string;
  check?(body: z.output<S>, env: CheckEnv): Promise<SourceProblem[]>;
  run(body: z.output<S>, ctx: LabContext, limits: StepLimits): Promise<void>;
}

/** A registered kind, with its body type erased so that kinds of every shape fit in one list. */
export interface StepKind {
  readonly kind: string;
  readonly description: string;
  readonly schema: z.ZodType<StepBase>;
  readonly defaultTimeoutMs: number;
  title(body: unknown): string;
  check(body: unknown, env: CheckEnv): Promise<SourceProblem[]>;
  run(body: unknown, ctx: LabContext, limits: StepLimits): Promise<void>;
}

export function defineStep<S extends z.ZodType<StepBase>>(def: StepDefinition<S>): StepKind {
  // Bodies reach these functions only after the scenario schema validated them with def.schema.
  const typed = (body: unknown) => body as z.output<S>;
  return {
    kind: def.kind,
    description: def.description,
    schema: def.schema,
    defaultTimeoutMs: def.defaultTimeoutMs,
    title: (body) => def.title(typed(body)),
    check: async (body, env) => (def.check ? def.check(typed(body), env) : []),
    run: (body, ctx, limits) => def.run(typed(body), ctx, limits),
  };
}

export interface FailureDetail {
  /** One line: what the step checked. */
  summary: string;
  expected: string;
  seen: string;
  /** Commands that reproduce the check by hand (copy-paste). */
  reproduce?: readonly string[];
}

/** A step whose expectation was not met. The message says what was expected, what was seen, and how to retry. */
export class StepFailure extends Error {
  // `expected` and `actual` are what reporters look for to tell a failed expectation from a broken test (Allure:
  // "failed", not "broken"); showDiff false keeps vitest from printing a diff of the two texts.
  readonly expected: string;
  readonly actual: string;
  readonly showDiff = false;

  constructor(detail: FailureDetail) {
    super(formatFailure(detail));
    this.name = "StepFailure";
    this.expected = detail.expected;
    this.actual = detail.seen;
    // The stack of a failed expectation points into the harness, not at the problem: leave it out of reports.
    this.stack = `${this.name}: ${this.message}`;
  }
}

function formatFailure(d: FailureDetail): string {
  // One-line values follow their label; longer ones (tables, flow dumps) go on indented lines below it.
  const block = (label: string, text: string) => {
    const lines = text.split("\n");
    return lines.length === 1
      ? `  ${`${label}:`.padEnd(9)} ${text}`
      : [`  ${label}:`, ...lines.map((l) => `      ${l}`)].join("\n");
  };
  return [
    d.summary,
    block("expected", d.expected),
    block("seen", d.seen),
    ...(d.reproduce ?? []).map((cmd) => `  reproduce: ${cmd}`),
  ].join("\n");
}

/** Milliseconds left until the deadline (never negative). */
export function remaining(limits: StepLimits): number {
  return Math.max(0, limits.deadline - Date.now());
}
