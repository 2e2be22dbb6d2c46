// The subset of kubectl's JSONPath that waits need: `{.status.phase}`, `.status.podIP`, `.spec.ports[0].port`,
// `.metadata.labels['app.kubernetes.io/name']`, `.status.conditions[?(@.type=="Ready")].status`.
export type PathSegment =
  | { kind: "key"; key: string }
  | { kind: "index"; index: number }
  | { kind: "filter"; key: string; value: string };

const SEGMENT_RULES: readonly [RegExp, (m: RegExpExecArray) => PathSegment][] = [
  [/^\.([A-Za-z_$][\w$-]*)/, (m) => ({ kind: "key", key: m[1]! })],
  [/^\[['"]([^'"]+)['"]\]/, (m) => ({ kind: "key", key: m[1]! })],
  [/^\[(\d+)\]/, (m) => ({ kind: "index", index: Number(m[1]) })],
  [
    /^\[\?\(@\.([\w$-]+)\s*==\s*(?:"([^"]*)"|'([^']*)')\)\]/,
    (m) => ({ kind: "filter", key: m[1]!, value: m[2] ?? m[3] ?? "" }),
  ],
];

/** Parses a path; returns an error message when it is not in the supported subset. */
export function parseJsonPath(text: string): PathSegment[] | string {
  let rest = text.trim();
  if (rest.startsWith("{") && rest.endsWith("}")) rest = rest.slice(1, -1).trim();
  if (rest && !rest.startsWith(".") && !rest.startsWith("[")) rest = `.${rest}`;
  const segments: PathSegment[] = [];
  while (rest) {
    const before = rest;
    for (const [re, segment] of SEGMENT_RULES) {
      const m = re.exec(rest);
      if (m) {
        segments.push(segment(m));
        rest = rest.slice(m[0].length);
        break;
      }
    }
    if (rest === before) {
      return `unsupported path "${text}" at "${rest}" (use .field, ['key'], [N] or [?(@.field=="value")])`;
    }
  }
  if (!segments.length) return `empty path "${text}"`;
  return segments;
}

/** The value at `path`, or undefined when any part is missing. A filter picks the first matching element. */
export function evaluateJsonPath(value: unknown, path: readonly PathSegment[]): unknown {
  let current = value;
  for (const seg of path) {
    if (seg.kind === "key") {
      current = isRecord(current) ? current[seg.key] : undefined;
    } else if (seg.kind === "index") {
      current = Array.isArray(current) ? current[seg.index] : undefined;
    } else {
      current = Array.isArray(current)
        ? current.find((item) => isRecord(item) && String(item[seg.key]) === seg.value)
        : undefined;
    }
    if (current === undefined) return undefined;
  }
  return current;
}

/** How kubectl prints a JSONPath result: strings bare, everything else as JSON. */
export function jsonPathText(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
