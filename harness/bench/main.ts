// `npm run bench`: runs every benchmark, prints a table and writes reports/bench/results.json and results.md.
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { PACKAGE_ROOT } from "../cli/paths.ts";
import { renderTable } from "../cli/table.ts";
import type { Benchmark } from "./benchmark.ts";
import { labLifecycle } from "./lab-lifecycle.ts";
import { podStartup } from "./pod-startup.ts";
import { type Summary, summarize } from "./stats.ts";
import { traceflowCompletion } from "./traceflow-completion.ts";

const ALL: Benchmark[] = [labLifecycle, podStartup, traceflowCompletion];
// BENCH_ONLY=name[,name]: run a subset.
const only = process.env.BENCH_ONLY?.split(",").filter(Boolean);
const BENCHMARKS = only ? ALL.filter((b) => only.includes(b.name)) : ALL;
if (only && BENCHMARKS.length !== only.length) {
  process.stderr.write(`unknown benchmark in BENCH_ONLY (known: ${ALL.map((b) => b.name).join(", ")})\n`);
  process.exit(2);
}
const runs = Number(process.env.BENCH_RUNS ?? 5);

interface Row {
  benchmark: string;
  figure: string;
  summary: Summary;
  target?: number;
}

const rows: Row[] = [];
for (const bench of BENCHMARKS) {
  process.stderr.write(`running ${bench.name} (${runs} runs): ${bench.description}\n`);
  const samples = await bench.run(runs);
  for (const [figure, values] of Object.entries(samples)) {
    const target = bench.targets[figure];
    rows.push({ benchmark: bench.name, figure, summary: summarize(values), ...(target ? { target } : {}) });
  }
}

const headers = ["BENCHMARK", "FIGURE", "MEDIAN", "MIN", "MAX", "RUNS", "TARGET"];
const cells = rows.map((r) => [
  r.benchmark,
  r.figure,
  String(r.summary.median),
  String(r.summary.min),
  String(r.summary.max),
  String(r.summary.runs),
  r.target === undefined ? "-" : `≤ ${r.target}`,
]);
process.stdout.write(`${renderTable(headers, cells)}\n`);

const dir = join(PACKAGE_ROOT, "reports", "bench");
await mkdir(dir, { recursive: true });
const meta = {
  date: new Date().toISOString(),
  node: process.version,
  cpus: (await import("node:os")).cpus().length,
};
await writeFile(join(dir, "results.json"), `${JSON.stringify({ ...meta, results: rows }, null, 2)}\n`);
const md = [
  `# ovslab benchmarks (${meta.date}, ${meta.cpus} CPUs, Node ${meta.node})`,
  "",
  `| ${headers.join(" | ")} |`,
  `|${headers.map(() => "---").join("|")}|`,
  ...cells.map((c) => `| ${c.join(" | ")} |`),
  "",
].join("\n");
await writeFile(join(dir, "results.md"), md);
process.stderr.write(`wrote ${join(dir, "results.json")} and results.md\n`);
