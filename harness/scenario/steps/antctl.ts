// antctl: runs the antctl-compatible CLI on a node (Antrea's agent mode) and checks its exit code and output.
import { z } from "zod";
import { NodeRef, TemplateString } from "../refs.ts";
import { CommandExpectShape, runAndCheck } from "./command-expect.ts";
import { defineStep, STEP_COMMON } from "./step-kind.ts";

/**
 * antctl on a node: every provider runs it there with that node's agent context (the embedded lab: the reference
 * stack's antctl with the node's OVS and the lab's API; kind: antctl in the node's antrea-agent container).
 */
export const ANTCTL_ARGV: readonly string[] = ["antctl"];

const Antctl = z.strictObject({
  ...STEP_COMMON,
  node: NodeRef.optional().describe("node whose agent answers (default: the control-plane node)"),
  args: z.array(TemplateString).min(1).describe("antctl arguments, e.g. [get, ovsflows, -T, IngressRule]"),
  ...CommandExpectShape,
});

export const antctlStep = defineStep({
  kind: "antctl",
  description: "An antctl command on a node, with expected exit code and output",
  schema: Antctl,
  defaultTimeoutMs: 30_000,
  title: (a) => `antctl${a.node ? ` on ${a.node}` : ""} ${a.args.join(" ")}`,
  async run(a, ctx, limits) {
    const node = a.node
      ? await ctx.nodeName(a.node)
      : ctx.lab.status.hosts.find((h) => h.role === "control-plane")?.name;
    if (!node) throw new Error(`lab ${ctx.lab.name} has no control-plane node to run antctl on`);
    const argv = [...ANTCTL_ARGV, ...(await ctx.resolveAll(a.args))];
    await runAndCheck(
      ctx,
      { kind: "node", name: node },
      argv,
      { expect: a.expect, retry: a.retry, summary: `antctl ${a.args.join(" ")} on ${node} not as expected` },
      limits,
    );
  },
});
