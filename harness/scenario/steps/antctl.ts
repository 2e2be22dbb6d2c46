// antctl: runs the antctl-compatible CLI on a node (Antrea's agent mode) and checks its exit code and output.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { NodeRef, TemplateString } from "../refs.ts";
import { CommandExpectShape, runAndCheck } from "./command-expect.ts";
import { defineStep, STEP_COMMON } from "./step-kind.ts";

const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * The antctl command on a node. A guess until images/antctl exists: the project's TypeScript antctl run by the
 * node's Node.js (on kind, this becomes `antctl` inside the antrea-agent container).
 */
export const ANTCTL_ARGV: readonly string[] = [
  process.execPath,
  "--import",
  "tsx",
  join(PACKAGE_ROOT, "images", "antctl", "main.ts"),
];

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
