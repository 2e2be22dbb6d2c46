// Flag parsing in the style of spf13/pflag (which agnhost uses through cobra), so Pod manifests written
// for the real image work unchanged: `--name=value`, `--name value`, bare `--bool`, flags interleaved with
// positional arguments, `--` ending the flags. Values are checked here, at the edge, against a typed spec.
// (No zod in this program: it is on the Pod start path, and importing zod costs ~55 ms of a ~220 ms start.)

interface KindType {
  int: number;
  string: string;
  bool: boolean;
  /** Go duration, held in milliseconds. */
  duration: number;
}

export type FlagDef = { [K in keyof KindType]: { kind: K; default: KindType[K] } }[keyof KindType];
export type FlagSpec = Record<string, FlagDef>;
export type Flags<S extends FlagSpec> = { [N in keyof S]: KindType[S[N]["kind"]] };

/** Bad command line; agnhost (cobra) prints `Error: <message>` and exits 1. */
export class UsageError extends Error {
  override name = "UsageError";
}

export function parseFlags<S extends FlagSpec>(
  argv: readonly string[],
  spec: S,
): { flags: Flags<S>; args: string[] } {
  const values: Record<string, unknown> = {};
  for (const [name, def] of Object.entries(spec)) values[name] = def.default;
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (arg === "--") {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      args.push(arg);
      continue;
    }
    const body = arg.replace(/^--?/, "");
    const eq = body.indexOf("=");
    const name = eq === -1 ? body : body.slice(0, eq);
    const def = spec[name];
    if (!def) throw new UsageError(`unknown flag: ${arg.startsWith("--") ? `--${name}` : `-${name}`}`);
    let text: string;
    if (eq !== -1) text = body.slice(eq + 1);
    else if (def.kind === "bool") text = "true";
    else {
      const next = argv[i + 1];
      if (next === undefined) throw new UsageError(`flag needs an argument: --${name}`);
      text = next;
      i++;
    }
    values[name] = parseValue(name, def, text);
  }
  return { flags: values as Flags<S>, args };
}

function parseValue(name: string, def: FlagDef, text: string): KindType[keyof KindType] {
  const invalid = (why: string) => new UsageError(`invalid argument "${text}" for "--${name}" flag: ${why}`);
  switch (def.kind) {
    case "string":
      return text;
    case "int":
      if (!/^[-+]?\d+$/.test(text)) throw invalid(`strconv.ParseInt: parsing "${text}": invalid syntax`);
      return Number.parseInt(text, 10);
    case "bool": {
      if (["1", "t", "T", "true", "TRUE", "True"].includes(text)) return true;
      if (["0", "f", "F", "false", "FALSE", "False"].includes(text)) return false;
      throw invalid(`strconv.ParseBool: parsing "${text}": invalid syntax`);
    }
    case "duration": {
      const ms = parseGoDuration(text);
      if (ms === undefined) throw invalid(`time: invalid duration "${text}"`);
      return ms;
    }
  }
}

const UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration ("1s", "1m30s", "250ms", "0") into milliseconds; undefined when malformed. */
export function parseGoDuration(text: string): number | undefined {
  const sign = text.startsWith("-") ? -1 : 1;
  const rest = text.replace(/^[-+]/, "");
  if (rest === "0") return 0;
  if (rest === "") return undefined;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  while (part.lastIndex < rest.length) {
    const m = part.exec(rest);
    if (!m) return undefined;
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}
