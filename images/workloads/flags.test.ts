import { describe, expect, it } from "vitest";
import { parseFlags, parseGoDuration, UsageError } from "./flags.ts";

const SPEC = {
  port: { kind: "int", default: 80 },
  name: { kind: "string", default: "x" },
  tcp: { kind: "bool", default: false },
  http: { kind: "bool", default: true },
  timeout: { kind: "duration", default: 0 },
} as const;

describe("parseFlags (pflag style)", () => {
  it("accepts --flag=value, --flag value, bare booleans and interleaved arguments", () => {
    const { flags, args } = parseFlags(
      ["a:1", "--port", "8080", "--name=y", "--tcp", "--http=false", "-timeout=1s", "b"],
      SPEC,
    );
    expect(flags).toEqual({ port: 8080, name: "y", tcp: true, http: false, timeout: 1000 });
    expect(args).toEqual(["a:1", "b"]);
  });

  it("keeps defaults and stops at --", () => {
    expect(parseFlags(["--", "--port=1"], SPEC)).toEqual({
      flags: { port: 80, name: "x", tcp: false, http: true, timeout: 0 },
      args: ["--port=1"],
    });
  });

  it.each([
    [["--nope"], "unknown flag: --nope"],
    [["--port"], "flag needs an argument: --port"],
    [
      ["--port=abc"],
      'invalid argument "abc" for "--port" flag: strconv.ParseInt: parsing "abc": invalid syntax',
    ],
    [
      ["--tcp=yes"],
      'invalid argument "yes" for "--tcp" flag: strconv.ParseBool: parsing "yes": invalid syntax',
    ],
    [["--timeout=5"], 'invalid argument "5" for "--timeout" flag: time: invalid duration "5"'],
  ])("rejects %j with pflag's message", (argv, message) => {
    expect(() => parseFlags(argv, SPEC)).toThrow(new UsageError(message));
  });
});

describe("parseGoDuration", () => {
  it.each([
    ["0", 0],
    ["1s", 1000],
    ["1.5s", 1500],
    ["250ms", 250],
    ["1m30s", 90_000],
    ["2h", 7_200_000],
    ["-1s", -1000],
    ["500us", 0.5],
  ])("%s = %f ms", (text, ms) => {
    expect(parseGoDuration(text)).toBe(ms);
  });

  it.each(["", "5", "s", "1x", "1s2", ".s"])("rejects %j", (text) => {
    expect(parseGoDuration(text)).toBeUndefined();
  });
});
