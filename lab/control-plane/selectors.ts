// Label and field selectors: the query-string syntax (`?labelSelector=app in (a,b),!legacy`) and the
// structured LabelSelector (`matchLabels` / `matchExpressions`) used inside objects.
import { badRequest } from "./errors.ts";
import { arr, getPath, isObject, str } from "./object.ts";

export type LabelOp = "=" | "!=" | "in" | "notin" | "exists" | "!exists" | "gt" | "lt";

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

export type LabelSelector = LabelRequirement[];

type Labels = Record<string, string> | undefined;

function tokenize(input: string): string[] {
  const tokens: string[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input.charAt(i);
    if (/\s/.test(c)) {
      i++;
    } else if (c === "," || c === "(" || c === ")") {
      tokens.push(c);
      i++;
    } else if (input.startsWith("==", i) || input.startsWith("!=", i)) {
      tokens.push(input.slice(i, i + 2));
      i += 2;
    } else if (c === "=" || c === "!" || c === "<" || c === ">") {
      tokens.push(c);
      i++;
    } else {
      let j = i;
      while (j < input.length && !/[\s,()=!<>]/.test(input.charAt(j))) j++;
      tokens.push(input.slice(i, j));
      i = j;
    }
  }
  return tokens;
}

const OPERATOR_TOKENS = new Set([",", "(", ")", "=", "==", "!=", "!", "<", ">"]);

/** Parses `a=b,c!=d,e in (f,g),h notin (i),j,!k,l>3`. Throws 400 on syntax errors, as kube-apiserver does. */
export function parseLabelSelector(input: string): LabelSelector {
  const tokens = tokenize(input);
  const reqs: LabelSelector = [];
  let pos = 0;
  const fail = (why: string): never => {
    throw badRequest(`unable to parse requirement: ${why}`);
  };
  const next = () => tokens[pos++];
  const peek = () => tokens[pos];
  const value = (): string => {
    const t = peek();
    if (t === undefined || OPERATOR_TOKENS.has(t)) return ""; // `key=` selects an empty value
    pos++;
    return t;
  };
  while (pos < tokens.length) {
    let t = next();
    if (t === "!") {
      const key = next();
      if (key === undefined || OPERATOR_TOKENS.has(key)) fail(`found '${key ?? ""}', expected: identifier`);
      reqs.push({ key: key as string, op: "!exists", values: [] });
    } else if (t !== undefined && !OPERATOR_TOKENS.has(t)) {
      const key = t;
      const op = peek();
      if (op === undefined || op === ",") {
        reqs.push({ key, op: "exists", values: [] });
      } else if (op === "=" || op === "==" || op === "!=") {
        pos++;
        reqs.push({ key, op: op === "!=" ? "!=" : "=", values: [value()] });
      } else if (op === "<" || op === ">") {
        pos++;
        const v = value();
        if (!/^-?\d+$/.test(v)) fail(`for 'Gt', 'Lt' operators, the value must be an integer`);
        reqs.push({ key, op: op === ">" ? "gt" : "lt", values: [v] });
      } else if (op === "in" || op === "notin") {
        pos++;
        if (next() !== "(") fail(`found '${tokens[pos - 1] ?? ""}', expected: '('`);
        const values: string[] = [];
        for (;;) {
          const v = peek();
          if (v === ")") {
            pos++;
            break;
          }
          if (v === undefined) fail("found '', expected: ')'");
          if (v === ",") {
            pos++;
            continue;
          }
          pos++;
          values.push(v as string);
        }
        reqs.push({ key, op, values });
      } else {
        fail(`found '${op}', expected: in, notin, =, ==, !=, gt, lt`);
      }
    } else {
      fail(`found '${t ?? ""}', expected: !, identifier, or 'end of string'`);
    }
    t = peek();
    if (t === undefined) break;
    if (t !== ",") fail(`found '${t}', expected: ',' or 'end of string'`);
    pos++;
  }
  return reqs;
}

export function matchesRequirement(r: LabelRequirement, labels: Labels): boolean {
  const has = labels !== undefined && Object.hasOwn(labels, r.key);
  const v = has ? labels?.[r.key] : undefined;
  switch (r.op) {
    case "=":
      return has && v === r.values[0];
    case "!=":
      return !has || v !== r.values[0];
    case "in":
      return has && r.values.includes(v ?? "");
    case "notin":
      return !has || !r.values.includes(v ?? "");
    case "exists":
      return has;
    case "!exists":
      return !has;
    case "gt":
    case "lt": {
      if (!has || !/^-?\d+$/.test(v ?? "")) return false;
      const n = Number(v);
      const bound = Number(r.values[0]);
      return r.op === "gt" ? n > bound : n < bound;
    }
  }
}

export function matchesLabels(sel: LabelSelector, labels: Labels): boolean {
  return sel.every((r) => matchesRequirement(r, labels));
}

// ---- field selectors ----

export interface FieldRequirement {
  field: string;
  op: "=" | "!=";
  value: string;
}

function splitUnescaped(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === "\\" && i + 1 < s.length) {
      cur += c + s.charAt(i + 1);
      i++;
    } else if (c === sep) {
      out.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  out.push(cur);
  return out;
}

function unescapeValue(s: string): string {
  return s.replace(/\\(.)/g, "$1");
}

/** Parses `metadata.name=x,spec.nodeName!=y` (with `\,` `\=` `\\` escapes). */
export function parseFieldSelector(input: string): FieldRequirement[] {
  const reqs: FieldRequirement[] = [];
  for (const term of splitUnescaped(input, ",")) {
    if (term.trim() === "") continue;
    const m = /^((?:[^=!\\]|\\.)*)(==|=|!=)(.*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${input}'; can't understand '${term}'`);
    reqs.push({
      field: unescapeValue(m[1] ?? "").trim(),
      op: m[2] === "!=" ? "!=" : "=",
      value: unescapeValue(m[3] ?? ""),
    });
  }
  return reqs;
}

/** Field values are compared as strings; a missing field reads as "". */
export function fieldValue(o: unknown, field: string): string {
  const v = getPath(o, field);
  if (v === undefined || v === null) return "";
  return typeof v === "string" ? v : String(v);
}

export function matchesFields(reqs: readonly FieldRequirement[], o: unknown): boolean {
  return reqs.every((r) => (fieldValue(o, r.field) === r.value) === (r.op === "="));
}

// ---- structured LabelSelector (metav1.LabelSelector) ----

const EXPRESSION_OPS: Record<string, LabelOp> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!exists",
};

/** Converts a metav1.LabelSelector; undefined when it is malformed. An empty selector matches everything. */
export function fromLabelSelectorObject(sel: unknown): LabelSelector | undefined {
  if (sel === undefined || sel === null) return [];
  if (!isObject(sel)) return undefined;
  const reqs: LabelSelector = [];
  const ml = sel.matchLabels;
  if (ml !== undefined && ml !== null) {
    if (!isObject(ml)) return undefined;
    for (const [k, v] of Object.entries(ml)) {
      if (typeof v !== "string") return undefined;
      reqs.push({ key: k, op: "=", values: [v] });
    }
  }
  for (const e of arr(sel.matchExpressions)) {
    if (!isObject(e)) return undefined;
    const key = str(e.key);
    const op = EXPRESSION_OPS[str(e.operator) ?? ""];
    if (!key || !op) return undefined;
    reqs.push({ key, op, values: arr(e.values).map(String) });
  }
  return reqs;
}

/** metav1.FormatLabelSelector: `app=web,tier in (a,b)`, or `<none>` for an empty selector. */
export function formatLabelSelector(sel: unknown): string {
  const reqs = fromLabelSelectorObject(sel);
  if (reqs === undefined) return "<error>";
  if (reqs.length === 0) return "<none>";
  return reqs
    .map((r) => {
      switch (r.op) {
        case "=":
          return `${r.key}=${r.values[0]}`;
        case "in":
        case "notin":
          return `${r.key} ${r.op} (${r.values.join(",")})`;
        case "exists":
          return r.key;
        case "!exists":
          return `!${r.key}`;
        default:
          return `${r.key}${r.op}${r.values[0]}`;
      }
    })
    .join(",");
}
