// reachability: a probe matrix between Pods (a list, or namespaces × label selector) for every port × protocol,
// compared with an expected truth table written as a grid (matrix.ts). All pairs are probed in parallel up to a
// concurrency cap; pairs that do not match are probed again until the step times out, like upstream netpol's
// second pass. The expected, observed and comparison tables are printed TAB-separated, as Antrea prints them.
import { z } from "zod";
import type { SourceProblem } from "../../../lab/common/source-file.ts";
import { apiErrorMessage } from "../kube.ts";
import type { LabContext } from "../lab-context.ts";
import { type ProbeResult, probe } from "./connect.ts";
import { compareGrids, type Grid, GridError, type Mark, parseGrid, reachabilitySummary } from "./matrix.ts";
import { defineStep, remaining, STEP_COMMON, StepFailure } from "./step-kind.ts";

const PodItem = z
  .string()
  .regex(/^([a-z0-9]([-a-z0-9]*[a-z0-9])?\/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, "is not NS/NAME or NAME");

const REACHABILITY_PROTOCOLS = ["tcp", "udp", "sctp", "icmp"] as const;

const Reachability = z
  .strictObject({
    ...STEP_COMMON,
    pods: z
      .array(PodItem)
      .min(1)
      .optional()
      .describe("Pods as NS/NAME or NAME (the scenario's first namespace)"),
    namespaces: z
      .array(z.string())
      .min(1)
      .optional()
      .describe("every Pod of these namespaces (with selector)"),
    selector: z.string().optional().describe("label selector for Pods of `namespaces`, e.g. app=web"),
    nameLabel: z
      .string()
      .min(1)
      .optional()
      .describe(
        "with namespaces: name each Pod NS/<value of this label> (Deployment Pods have random names)",
      ),
    port: z.number().int().min(1).max(65535).optional(),
    ports: z.array(z.number().int().min(1).max(65535)).min(1).optional(),
    protocols: z.array(z.enum(REACHABILITY_PROTOCOLS)).min(1).default(["tcp"]),
    expect: z
      .union([z.string(), z.record(z.string(), z.string())])
      .describe('expected grid for every case, or one grid per case keyed "tcp/80", "udp/53", "icmp"'),
    concurrency: z.number().int().min(1).max(32).default(4).describe("probes in flight at once"),
  })
  .superRefine((r, ctx) => {
    if ((r.pods === undefined) === (r.namespaces === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "give either pods or namespaces (with an optional selector)",
      });
    }
    for (const key of ["selector", "nameLabel"] as const) {
      if (r[key] !== undefined && r.namespaces === undefined) {
        ctx.addIssue({ code: "custom", path: [key], message: `${key} goes with namespaces` });
      }
    }
    if (r.port !== undefined && r.ports !== undefined) {
      ctx.addIssue({ code: "custom", path: ["ports"], message: "give port or ports, not both" });
    }
    const needsPort = r.protocols.some((p) => p !== "icmp");
    if (needsPort && r.port === undefined && r.ports === undefined) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: `protocols ${r.protocols.join(", ")} need port or ports`,
      });
    }
    if (typeof r.expect !== "string") {
      const keys = new Set(cases(r).map((c) => c.key));
      for (const key of Object.keys(r.expect)) {
        if (!keys.has(key)) {
          ctx.addIssue({
            code: "custom",
            path: ["expect", key],
            message: `"${key}" is not one of this step's cases (${[...keys].join(", ")})`,
          });
        }
      }
      for (const key of keys) {
        if (!(key in r.expect))
          ctx.addIssue({ code: "custom", path: ["expect"], message: `no grid for case ${key}` });
      }
    }
  });

type ReachabilityBody = z.output<typeof Reachability>;

interface Case {
  key: string;
  protocol: (typeof REACHABILITY_PROTOCOLS)[number];
  port?: number;
}

function cases(r: Pick<ReachabilityBody, "protocols" | "port" | "ports">): Case[] {
  const ports = r.ports ?? (r.port !== undefined ? [r.port] : []);
  return r.protocols.flatMap((protocol): Case[] =>
    protocol === "icmp"
      ? [{ key: "icmp", protocol }]
      : ports.map((port) => ({ key: `${protocol}/${port}`, protocol, port })),
  );
}

function gridTextFor(r: ReachabilityBody, c: Case): string {
  return typeof r.expect === "string" ? r.expect : (r.expect[c.key] ?? "");
}

interface PodEntry {
  /** NS/NAME with the namespace as written in the scenario. */
  written: string;
  namespace: string;
  name: string;
  ip: string;
}

/** Which entry a grid label names: its NS/NAME as written, or its NAME when no other entry shares it. */
function matchLabels(labels: readonly string[], written: readonly string[]): number[] | string {
  const bare = (w: string) => w.slice(w.indexOf("/") + 1);
  const indexes: number[] = [];
  for (const label of labels) {
    let i = written.indexOf(label);
    if (i === -1) {
      const same = written.flatMap((w, j) => (bare(w) === label ? [j] : []));
      if (same.length > 1)
        return `"${label}" is ambiguous (${same.map((j) => written[j]).join(", ")}): write NS/NAME`;
      i = same[0] ?? -1;
    }
    if (i === -1) return `"${label}" is not one of the Pods (${written.join(", ")})`;
    indexes.push(i);
  }
  const missing = written.filter((_, i) => !indexes.includes(i));
  if (missing.length) return `the grid leaves out ${missing.join(", ")}`;
  return indexes;
}

function writtenPods(r: ReachabilityBody, namespaces: readonly string[]): string[] {
  return (r.pods ?? []).map((p) => (p.includes("/") ? p : `${namespaces[0]}/${p}`));
}

async function listPods(r: ReachabilityBody, ctx: LabContext): Promise<PodEntry[]> {
  const kube = await ctx.kube();
  if (r.pods) {
    return Promise.all(
      writtenPods(r, ctx.scenario.namespaces).map(async (written) => {
        const [ns, name] = written.split("/") as [string, string];
        const namespace = ctx.namespace(ns);
        const pod = await kube.core.readNamespacedPod({ name, namespace }).catch((err: unknown) => {
          throw new Error(`cannot read pod ${namespace}/${name}: ${apiErrorMessage(err)}`);
        });
        const ip = pod.status?.podIP;
        if (!ip)
          throw new Error(`pod ${namespace}/${name} has no IP yet (phase ${pod.status?.phase ?? "unknown"})`);
        return { written, namespace, name, ip };
      }),
    );
  }
  const entries: PodEntry[] = [];
  for (const ns of r.namespaces ?? []) {
    const namespace = ctx.namespace(ns);
    const list = await kube.core
      .listNamespacedPod({ namespace, ...(r.selector ? { labelSelector: r.selector } : {}) })
      .catch((err: unknown) => {
        throw new Error(`cannot list pods in ${namespace}: ${apiErrorMessage(err)}`);
      });
    for (const pod of list.items) {
      const name = pod.metadata?.name ?? "";
      const ip = pod.status?.podIP;
      if (!ip)
        throw new Error(`pod ${namespace}/${name} has no IP yet (phase ${pod.status?.phase ?? "unknown"})`);
      entries.push({ written: `${ns}/${name}`, namespace, name, ip });
    }
  }
  return entries.sort((a, b) => a.written.localeCompare(b.written));
}

/** Runs `fn` over `items` with at most `limit` calls in flight. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

export const reachabilityStep = defineStep({
  kind: "reachability",
  description:
    "A probe matrix between Pods, compared with an expected truth table for every port and protocol",
  schema: Reachability,
  defaultTimeoutMs: 60_000,
  title: (r) => {
    const who = r.pods
      ? `${r.pods.length} pods`
      : `namespaces ${r.namespaces?.join(",")}${r.selector ? ` ${r.selector}` : ""}`;
    return `reachability ${who} ${cases(r)
      .map((c) => c.key)
      .join(" ")}`;
  },

  async check(r, env) {
    const problems: SourceProblem[] = [];
    const written = writtenPods(r, env.namespaces);
    for (const c of cases(r)) {
      const path = typeof r.expect === "string" ? [...env.path, "expect"] : [...env.path, "expect", c.key];
      try {
        const grid = parseGrid(gridTextFor(r, c));
        if (r.pods) {
          const matched = matchLabels(grid.labels, written);
          if (typeof matched === "string") problems.push(env.source.problem(path, `${c.key}: ${matched}`));
        }
      } catch (err) {
        if (!(err instanceof GridError)) throw err;
        const at = env.source.positionOf(path);
        // A block scalar (| or >) starts on the line after its indicator.
        const block = /^[|>]/.test(env.source.text.split("\n")[at.line - 1]?.slice(at.column - 1) ?? "");
        problems.push({
          file: env.source.file,
          line: at.line + err.line - (block ? 0 : 1),
          column: at.column,
          message: `reachability grid (${c.key}): ${err.message}`,
        });
      }
    }
    return problems;
  },

  async run(r, ctx, limits) {
    const pods = await listPods(r, ctx);
    const failures: string[] = [];
    const reproduce: string[] = [];
    for (const c of cases(r)) {
      const expected: Grid = parseGrid(gridTextFor(r, c));
      const matched = matchLabels(
        expected.labels,
        pods.map((p) => p.written),
      );
      if (typeof matched === "string") throw new Error(`reachability ${c.key}: ${matched}`);
      const row = matched.map((i) => pods[i]!);
      const observed: Mark[][] = row.map(() => row.map((): Mark => "ignored"));
      const last = new Map<string, ProbeResult>();
      let pending: [number, number][] = [];
      expected.cells.forEach((cells, i) => {
        cells.forEach((want, j) => {
          if (want !== "ignored") pending.push([i, j]);
        });
      });
      for (;;) {
        limits.signal.throwIfAborted();
        await mapLimit(pending, r.concurrency, async ([i, j]) => {
          const from = row[i]!;
          const to = row[j]!;
          const result = await probe(ctx, {
            source: { kind: "pod", namespace: from.namespace, name: from.name },
            ip: to.ip,
            port: c.port,
            protocol: c.protocol,
          });
          observed[i]![j] = result.outcome;
          last.set(`${i},${j}`, result);
        });
        pending = compareGrids(expected, observed).wrong;
        // Another pass needs room for at least one 1 s probe per worker.
        if (!pending.length || remaining(limits) < 2000) break;
      }
      const summary = reachabilitySummary(expected, observed);
      await ctx.artifacts.attach(`reachability-${c.key.replace("/", "-")}.txt`, summary);
      if (!pending.length) continue;
      failures.push(`${c.key}\n${summary}`);
      for (const [i, j] of pending.slice(0, 3)) {
        const result = last.get(`${i},${j}`);
        if (!result) continue;
        const from = row[i]!;
        reproduce.push(
          `${ctx.reproduce({ kind: "pod", namespace: from.namespace, name: from.name }, result.argv)}   # ${from.written} -> ${row[j]!.written}: ${result.outcome} (${result.detail})`,
        );
      }
    }
    if (failures.length) {
      throw new StepFailure({
        summary: `reachability: ${failures.length} case(s) not as expected`,
        expected: "every probed pair as in the expected table",
        seen: failures.join("\n\n"),
        reproduce,
      });
    }
  },
});
