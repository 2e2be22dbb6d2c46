// Parses a YAML file and validates it with a zod schema, reporting every mistake as `file:line:column: message`
// (the way compilers and linters do), so an editor or CI log can jump straight to it.
import { readFile } from "node:fs/promises";
import { isMap, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { z } from "zod";

export interface SourceProblem {
  file: string;
  line: number;
  column: number;
  message: string;
}

/** Invalid input. Exit code 2 everywhere in the CLI. */
export class InvalidInputError extends Error {
  readonly exitCode = 2;
  constructor(readonly problems: SourceProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "InvalidInputError";
  }
}

export function formatProblem(p: SourceProblem): string {
  return `${p.file}:${p.line}:${p.column}: ${p.message}`;
}

/** A parsed YAML document that can turn a value path back into a position in the file. */
export class YamlSource {
  private constructor(
    readonly file: string,
    readonly text: string,
    private readonly doc: ReturnType<typeof parseDocument>,
    private readonly lines: LineCounter,
  ) {}

  static parse(file: string, text: string): { source: YamlSource; problems: SourceProblem[] } {
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
    const source = new YamlSource(file, text, doc, lines);
    const problems = [...doc.errors, ...doc.warnings].map((e) => {
      const pos = lines.linePos(e.pos[0]);
      return { file, line: pos.line, column: pos.col, message: cleanYamlMessage(e.message) };
    });
    return { source, problems };
  }

  static async read(file: string): Promise<{ source: YamlSource; problems: SourceProblem[] }> {
    let text: string;
    try {
      text = await readFile(file, "utf8");
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : String(err);
      throw new InvalidInputError([{ file, line: 1, column: 1, message: reason }]);
    }
    return YamlSource.parse(file, text);
  }

  toJS(): unknown {
    return this.doc.toJS();
  }

  /**
   * Position of the value at `path`; for a key that does not exist (or an unknown key), the closest
   * existing ancestor. `preferKey` points at the key rather than the value (for "unknown key" errors).
   */
  positionOf(path: readonly PropertyKey[], preferKey = false): { line: number; column: number } {
    let node: unknown = this.doc.contents;
    let offset = rangeStart(node) ?? 0;
    for (const segment of path) {
      if (isMap(node)) {
        const pair = node.items.find((p) => keyString(p.key) === String(segment));
        if (!pair) break;
        const keyOffset = rangeStart(pair.key);
        const valueOffset = rangeStart(pair.value);
        offset = (preferKey || valueOffset === undefined ? keyOffset : valueOffset) ?? offset;
        if (preferKey && segment === path[path.length - 1]) break;
        node = pair.value;
      } else if (isSeq(node) && typeof segment === "number") {
        const item = node.items[segment];
        if (item === undefined) break;
        offset = rangeStart(item) ?? offset;
        node = item;
      } else break;
    }
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  problem(path: readonly PropertyKey[], message: string, preferKey = false): SourceProblem {
    return { file: this.file, ...this.positionOf(path, preferKey), message };
  }

  /** Validates with zod; returns the typed value or throws InvalidInputError listing every issue. */
  validate<S extends z.ZodType>(schema: S): z.output<S> {
    const result = schema.safeParse(this.toJS());
    if (result.success) return result.data;
    throw new InvalidInputError(this.zodProblems(result.error));
  }

  zodProblems(error: z.ZodError): SourceProblem[] {
    const problems: SourceProblem[] = [];
    for (const issue of error.issues) {
      if (issue.code === "unrecognized_keys") {
        for (const key of issue.keys) {
          problems.push(
            this.problem([...issue.path, key], `unknown field "${key}"${where(issue.path)}`, true),
          );
        }
        continue;
      }
      if (issue.code === "invalid_key") {
        // a record key (e.g. a node name) broke its own rules: say which rule, at the key
        const why = issue.issues.map((i) => i.message).join("; ");
        problems.push(this.problem(issue.path, `${dotted(issue.path)}: name ${why}`, true));
        continue;
      }
      problems.push(this.problem(issue.path, `${dotted(issue.path)}: ${issue.message}`));
    }
    return problems.sort((a, b) => a.line - b.line || a.column - b.column);
  }
}

function where(path: readonly PropertyKey[]): string {
  return path.length ? ` in ${dotted(path)}` : "";
}

export function dotted(path: readonly PropertyKey[]): string {
  return path.length
    ? path.map((s, i) => (typeof s === "number" ? `[${s}]` : `${i ? "." : ""}${String(s)}`)).join("")
    : "(document)";
}

function keyString(key: unknown): string | undefined {
  if (key && typeof key === "object" && "value" in key) return String((key as { value: unknown }).value);
  return key === null || key === undefined ? undefined : String(key);
}

function rangeStart(node: unknown): number | undefined {
  const range = (node as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}

function cleanYamlMessage(message: string): string {
  // The yaml library appends a code excerpt after a newline; the position already says where.
  return message.split("\n")[0]!.replace(/ at line \d+, column \d+:?$/, "");
}
