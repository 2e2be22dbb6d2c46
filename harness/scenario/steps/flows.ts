// flows: assertions on a node's OpenFlow tables, dumped with `ovs-ofctl dump-flows --names` on the node (the
// provider points OVS tools at the node's own Open vSwitch), so tables are named as Antrea names them
// (table=IngressRule) or numbered. Dumps repeat until the assertions hold or the step times out: flows appear
// when the agent gets to them. `save` remembers the packet counters of the matching flows; a later flows step
// with `packetsIncreased` (same name) passes once they have grown.
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { NodeRef, TemplateString } from "../refs.ts";
import { defineStep, remaining, STEP_COMMON, StepFailure } from "./step-kind.ts";
import { asList, TextMatchShape, textMismatches } from "./text-match.ts";

const Count = z.union([
  z.number().int().min(0),
  z.strictObject({ min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() }),
]);

const Flows = z.strictObject({
  ...STEP_COMMON,
  node: NodeRef,
  bridge: z.string().min(1).default("br-int"),
  table: z
    .union([z.string().regex(/^[A-Za-z][\w]*$/, "is not a table name"), z.number().int().min(0).max(254)])
    .optional()
    .describe("table name (IngressRule) or number"),
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
  match: TemplateString.optional().describe('extra dump-flows filter, e.g. "ip,nw_src=${pod/x/a.ip}"'),
  ...TextMatchShape,
  count: Count.optional().describe("number of flows (after table and match): N, or {min, max}"),
  save: z.string().min(1).optional().describe("remember the packet count of these flows under this name"),
  packetsIncreased: z
    .string()
    .min(1)
    .optional()
    .describe("pass once the packet count of these flows exceeds the one saved under this name"),
});

type FlowsBody = z.output<typeof Flows>;

const SAVED = "flows-packets:";

export function dumpFlowsArgv(bridge: string, filter: string | undefined): string[] {
  return ["ovs-ofctl", "-O", "OpenFlow15", "dump-flows", "--names", bridge, ...(filter ? [filter] : [])];
}

/** The flow lines of a dump (drops the "OFPST_FLOW reply" header), with leading spaces trimmed. */
export function flowLines(dump: string): string[] {
  return dump
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.includes("actions="));
}

export function packetCount(lines: readonly string[]): number {
  return lines.reduce((sum, l) => sum + Number(/\bn_packets=(\d+)/.exec(l)?.[1] ?? 0), 0);
}

function countProblem(count: FlowsBody["count"], n: number): string | undefined {
  if (count === undefined) return undefined;
  if (typeof count === "number") return n === count ? undefined : `${n} flows, expected ${count}`;
  if (count.min !== undefined && n < count.min) return `${n} flows, expected at least ${count.min}`;
  if (count.max !== undefined && n > count.max) return `${n} flows, expected at most ${count.max}`;
  return undefined;
}

export const flowsStep = defineStep({
  kind: "flows",
  description: "Assertions on the OpenFlow flows of a node's bridge (ovs-ofctl dump-flows --names)",
  schema: Flows,
  defaultTimeoutMs: 15_000,
  title: (f) =>
    `flows ${f.node} ${f.bridge}${f.table !== undefined ? ` table=${f.table}` : ""}${f.match ? ` ${f.match}` : ""}`,
  async run(f, ctx, limits) {
    const node = await ctx.nodeName(f.node);
    const match = f.match ? await ctx.resolve(f.match) : undefined;
    const filter = [f.table !== undefined ? `table=${f.table}` : undefined, match].filter(Boolean).join(",");
    const argv = dumpFlowsArgv(f.bridge, filter || undefined);
    const target = { kind: "node" as const, name: node };
    const expectations = {
      contains: await ctx.resolveAll(asList(f.contains)),
      absent: await ctx.resolveAll(asList(f.absent)),
      regex: await ctx.resolvePatterns(asList(f.regex)),
    };
    const baseline =
      f.packetsIncreased === undefined ? undefined : ctx.memory.get(SAVED + f.packetsIncreased);
    if (f.packetsIncreased !== undefined && typeof baseline !== "number") {
      throw new Error(`no flows step saved packet counters as "${f.packetsIncreased}" before this one`);
    }
    let problems: string[] = [];
    let lines: string[] = [];
    let dump = "";
    for (;;) {
      limits.signal.throwIfAborted();
      const res = await ctx.exec(target, argv, { timeoutMs: 10_000 });
      dump = `${res.stdout}${res.stderr}`;
      if (res.code !== 0) {
        problems = [`ovs-ofctl exited with ${res.code}: ${res.stderr.trim() || res.stdout.trim()}`];
      } else {
        lines = flowLines(res.stdout);
        const text = lines.join("\n");
        problems = textMismatches(text, expectations, "the flows");
        const counted = countProblem(f.count, lines.length);
        if (counted) problems.push(counted);
        if (typeof baseline === "number" && packetCount(lines) <= baseline) {
          problems.push(`packet count ${packetCount(lines)} has not grown past ${baseline}`);
        }
      }
      if (!problems.length || remaining(limits) < 500) break;
      await sleep(500);
    }
    await ctx.artifacts.attach(`flows-${node}-${f.bridge}.txt`, `$ ${ctx.reproduce(target, argv)}\n${dump}`);
    if (!problems.length) {
      if (f.save !== undefined) ctx.memory.set(SAVED + f.save, packetCount(lines));
      return;
    }
    throw new StepFailure({
      summary: `flows on ${node} ${f.bridge}${filter ? ` (${filter})` : ""} not as expected`,
      expected: [
        ...expectations.contains.map((s) => `contains ${JSON.stringify(s)}`),
        ...expectations.absent.map((s) => `no ${JSON.stringify(s)}`),
        ...expectations.regex.map((s) => `matches /${s}/`),
        ...(f.count !== undefined ? [`count ${JSON.stringify(f.count)}`] : []),
        ...(typeof baseline === "number" ? [`packets > ${baseline}`] : []),
      ].join("; "),
      seen: `${problems.join("; ")}\n${lines.length} flow(s):\n${lines.join("\n") || "(none)"}`,
      reproduce: [ctx.reproduce(target, argv)],
    });
  },
});
