// Loads scenario files: single files, or directory trees in which every *.yaml / *.yml that declares
// `kind: Scenario` is one (manifests next to them are left alone). Each file is checked in full (YAML, schema,
// then each step kind's own checks such as manifest files and reachability grids) and every problem is reported
// as file:line:column. Then selection: --grep on the name, --tag, and --shard I/N over the sorted paths.
import { readdir, readFile, stat } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { z } from "zod";
import { InvalidInputError, type SourceProblem, YamlSource } from "../../lab/common/source-file.ts";
import { ExitError } from "../cli/exit.ts";
import type { ScenarioIdentity } from "./lab-context.ts";
import { ScenarioFile } from "./schema.ts";
import { STEP_KINDS, stepKind } from "./steps/index.ts";
import type { StepBase, StepKind } from "./steps/step-kind.ts";

const DEFAULT_CLEANUP_MS = 60_000;

export interface ScenarioStep {
  /** 0-based position in spec.steps. */
  index: number;
  kind: StepKind;
  body: unknown;
  /** The step's `name`, or a title generated from its body. */
  title: string;
  timeoutMs: number;
}

export interface LoadedScenario extends ScenarioIdentity {
  spec: ScenarioFile;
  steps: ScenarioStep[];
  cleanupTimeoutMs: number;
}

export interface Selection {
  /** Regular expression matched against metadata.name. */
  grep?: string | undefined;
  /** Scenarios carrying every one of these tags (metadata.tags, or key=value for metadata.labels). */
  tag?: string | readonly string[] | undefined;
  /** "I/N": the I-th of N shards (1-based). */
  shard?: string | undefined;
}

export async function loadScenarioFile(file: string): Promise<LoadedScenario> {
  const path = resolve(file);
  const { source, problems: syntax } = await YamlSource.read(path);
  if (syntax.length) throw new InvalidInputError(syntax);
  const parsed = ScenarioFile.safeParse(source.toJS());
  if (!parsed.success) throw new InvalidInputError(schemaProblems(source, parsed.error));
  const spec = parsed.data;
  const dir = dirname(path);
  const timeouts = spec.spec.timeouts as Record<string, number | undefined>;
  const steps: ScenarioStep[] = [];
  const problems: SourceProblem[] = [];
  for (const [index, raw] of spec.spec.steps.entries()) {
    const [name, body] = Object.entries(raw).find(([, v]) => v !== undefined)!;
    const kind = stepKind(name)!;
    const base = body as StepBase;
    problems.push(
      ...(await kind.check(body, {
        dir,
        source,
        path: ["spec", "steps", index, name],
        namespaces: spec.spec.namespaces,
      })),
    );
    steps.push({
      index,
      kind,
      body,
      title: base.name ?? kind.title(body),
      timeoutMs: base.timeout ?? timeouts[name] ?? timeouts.default ?? kind.defaultTimeoutMs,
    });
  }
  if (problems.length) throw new InvalidInputError(problems);
  return {
    file: path,
    dir,
    name: spec.metadata.name,
    namespaces: spec.spec.namespaces,
    spec,
    steps,
    cleanupTimeoutMs: timeouts.cleanup ?? DEFAULT_CLEANUP_MS,
  };
}

/** zod issues as positioned problems; an unknown key in a step is reported as an unknown step kind. */
function schemaProblems(source: YamlSource, error: z.ZodError): SourceProblem[] {
  const problems: SourceProblem[] = [];
  const rest: z.core.$ZodIssue[] = [];
  const isStep = (path: readonly PropertyKey[]) =>
    path.length === 3 && path[0] === "spec" && path[1] === "steps";
  const unknownKindAt = new Set(
    error.issues
      .filter((i) => i.code === "unrecognized_keys" && isStep(i.path))
      .map((i) => String(i.path[2])),
  );
  for (const issue of error.issues) {
    // A step with an unknown kind also has no known kind; saying so once is enough.
    if (issue.code === "custom" && isStep(issue.path) && unknownKindAt.has(String(issue.path[2]))) continue;
    if (issue.code === "unrecognized_keys" && isStep(issue.path)) {
      for (const key of issue.keys) {
        problems.push(
          source.problem(
            [...issue.path, key],
            `unknown step kind "${key}" (one of: ${STEP_KINDS.map((k) => k.kind).join(", ")})`,
            true,
          ),
        );
      }
    } else rest.push(issue);
  }
  if (rest.length) problems.push(...source.zodProblems(new z.ZodError(rest)));
  return problems.sort((x, y) => x.line - y.line || x.column - y.column);
}

const SCENARIO_MARK = /^kind:\s*["']?Scenario["']?\s*(#.*)?$/m;

/** Scenario files under `paths`: named files as they are, directories searched for files declaring kind Scenario. */
export async function scenarioFiles(paths: readonly string[]): Promise<string[]> {
  const files = new Set<string>();
  for (const p of paths) {
    const path = resolve(p);
    const info = await stat(path).catch(() => undefined);
    if (!info)
      throw new InvalidInputError([{ file: path, line: 1, column: 1, message: "no such file or directory" }]);
    if (!info.isDirectory()) {
      files.add(path);
      continue;
    }
    for (const entry of await readdir(path, { withFileTypes: true, recursive: true })) {
      if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
      const file = join(entry.parentPath, entry.name);
      if (SCENARIO_MARK.test(await readFile(file, "utf8"))) files.add(file);
    }
  }
  return [...files].sort();
}

export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new ExitError(`invalid shard "${text}": use I/N with 1 <= I <= N, e.g. 2/4`, 2);
  }
  return { index, count };
}

/** The I-th of N shards of `items` (already in a stable order): every item lands in exactly one shard. */
export function shardOf<T>(items: readonly T[], index: number, count: number): T[] {
  return items.filter((_, i) => i % count === index - 1);
}

function hasTag(s: LoadedScenario, tag: string): boolean {
  const eq = tag.indexOf("=");
  if (eq === -1) return s.spec.metadata.tags.includes(tag);
  return s.spec.metadata.labels[tag.slice(0, eq)] === tag.slice(eq + 1);
}

export function selectScenarios(
  scenarios: readonly LoadedScenario[],
  selection: Selection,
): LoadedScenario[] {
  let grep: RegExp | undefined;
  try {
    grep = selection.grep === undefined ? undefined : new RegExp(selection.grep);
  } catch (err) {
    throw new ExitError(`invalid --grep: ${(err as Error).message}`, 2);
  }
  const tags = typeof selection.tag === "string" ? [selection.tag] : (selection.tag ?? []);
  const chosen = scenarios
    .filter((s) => !grep || grep.test(s.name))
    .filter((s) => tags.every((t) => hasTag(s, t)))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  if (selection.shard === undefined) return chosen;
  const { index, count } = parseShard(selection.shard);
  return shardOf(chosen, index, count);
}

/** Loads every scenario under `paths` (all problems of all files in one InvalidInputError), then selects. */
export async function loadScenarios(
  paths: readonly string[],
  selection: Selection = {},
): Promise<{ scenarios: LoadedScenario[]; found: number }> {
  if (selection.shard !== undefined) parseShard(selection.shard);
  const files = await scenarioFiles(paths);
  if (!files.length) {
    throw new InvalidInputError([
      {
        file: paths.join(", ") || ".",
        line: 1,
        column: 1,
        message: "no scenario files (kind: Scenario) found",
      },
    ]);
  }
  const loaded: LoadedScenario[] = [];
  const problems: SourceProblem[] = [];
  for (const file of files) {
    try {
      loaded.push(await loadScenarioFile(file));
    } catch (err) {
      if (!(err instanceof InvalidInputError)) throw err;
      problems.push(...err.problems);
    }
  }
  const byName = new Map<string, string>();
  for (const s of loaded) {
    const other = byName.get(s.name);
    if (other) {
      const { source } = await YamlSource.read(s.file);
      problems.push(
        source.problem(["metadata", "name"], `scenario name "${s.name}" is also used by ${other}`),
      );
    } else byName.set(s.name, s.file);
  }
  if (problems.length) throw new InvalidInputError(problems);
  return { scenarios: selectScenarios(loaded, selection), found: loaded.length };
}
