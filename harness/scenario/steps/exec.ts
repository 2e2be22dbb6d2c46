// exec: a command on a node, external host or Pod, with an expected exit code and output. A string runs through
// `sh -c`; a list is the argv. Both may hold ${...} references.
import { z } from "zod";
import { ExecTargetRef, TemplateString } from "../refs.ts";
import { CommandExpectShape, runAndCheck } from "./command-expect.ts";
import { defineStep, STEP_COMMON } from "./step-kind.ts";

const Exec = z.strictObject({
  ...STEP_COMMON,
  on: ExecTargetRef,
  command: z
    .union([TemplateString, z.array(TemplateString).min(1)])
    .describe("a shell command line (run with sh -c) or an argv list"),
  ...CommandExpectShape,
});

export const execStep = defineStep({
  kind: "exec",
  description: "A command on a node, external host or Pod, with expected exit code and output",
  schema: Exec,
  defaultTimeoutMs: 30_000,
  title: (e) => `exec ${e.on} ${typeof e.command === "string" ? e.command : e.command.join(" ")}`,
  async run(e, ctx, limits) {
    const target = ctx.execTarget(e.on);
    const argv =
      typeof e.command === "string"
        ? ["sh", "-c", await ctx.resolve(e.command)]
        : await ctx.resolveAll(e.command);
    await runAndCheck(
      ctx,
      target,
      argv,
      { expect: e.expect, retry: e.retry, summary: `exec on ${e.on} not as expected` },
      limits,
    );
  },
});
