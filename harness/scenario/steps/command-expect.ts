// Runs a command on a lab target and checks its exit code and output; shared by the exec and antctl steps.
// With `retry`, the command runs again (every 500 ms) until the expectation holds or the step times out.
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { ExecResult, ExecTarget } from "../../../lab/provider.ts";
import type { LabContext } from "../lab-context.ts";
import { remaining, StepFailure, type StepLimits } from "./step-kind.ts";
import { asList, TextMatch, textMismatches } from "./text-match.ts";

export const CommandExpect = z
  .strictObject({
    exitCode: z.number().int().min(0).max(255).default(0),
    stdout: TextMatch.optional(),
    stderr: TextMatch.optional(),
  })
  .describe("expected exit code (default 0) and output");

export const CommandExpectShape = {
  expect: CommandExpect.prefault({}),
  retry: z.boolean().default(false).describe("run again until the expectation holds or the step times out"),
};

type Expect = z.output<typeof CommandExpect>;

async function resolved(ctx: LabContext, m: Expect["stdout"]) {
  return {
    contains: await ctx.resolveAll(asList(m?.contains)),
    absent: await ctx.resolveAll(asList(m?.absent)),
    regex: await ctx.resolvePatterns(asList(m?.regex)),
  };
}

export async function runAndCheck(
  ctx: LabContext,
  target: ExecTarget,
  argv: readonly string[],
  opts: { expect: Expect; retry: boolean; summary: string },
  limits: StepLimits,
): Promise<void> {
  const stdoutMatch = await resolved(ctx, opts.expect.stdout);
  const stderrMatch = await resolved(ctx, opts.expect.stderr);
  let res: ExecResult;
  let problems: string[];
  for (;;) {
    limits.signal.throwIfAborted();
    res = await ctx.exec(target, argv, { timeoutMs: Math.max(1000, remaining(limits)) });
    problems = [
      ...(res.timedOut ? ["the command did not finish in time"] : []),
      ...(res.code !== opts.expect.exitCode ? [`exit code ${res.code}`] : []),
      ...textMismatches(res.stdout, stdoutMatch, "stdout"),
      ...textMismatches(res.stderr, stderrMatch, "stderr"),
    ];
    if (!problems.length || !opts.retry || remaining(limits) < 500) break;
    await sleep(500);
  }
  await ctx.artifacts.attach(
    "command.txt",
    `$ ${ctx.reproduce(target, argv)}\nexit code ${res.code}\n--- stdout\n${res.stdout}\n--- stderr\n${res.stderr}`,
  );
  if (!problems.length) return;
  const wanted = [
    `exit code ${opts.expect.exitCode}`,
    ...stdoutMatch.contains.map((s) => `stdout contains ${JSON.stringify(s)}`),
    ...stdoutMatch.absent.map((s) => `stdout lacks ${JSON.stringify(s)}`),
    ...stdoutMatch.regex.map((s) => `stdout matches /${s}/`),
    ...stderrMatch.contains.map((s) => `stderr contains ${JSON.stringify(s)}`),
    ...stderrMatch.absent.map((s) => `stderr lacks ${JSON.stringify(s)}`),
    ...stderrMatch.regex.map((s) => `stderr matches /${s}/`),
  ];
  const tail = (text: string) => text.trimEnd().split("\n").slice(-20).join("\n");
  throw new StepFailure({
    summary: opts.summary,
    expected: wanted.join("; "),
    seen: `${problems.join("; ")}\n--- stdout\n${tail(res.stdout)}\n--- stderr\n${tail(res.stderr)}`,
    reproduce: [ctx.reproduce(target, argv)],
  });
}
