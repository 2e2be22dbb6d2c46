// Expectations on command output, shared by exec, antctl and flows: substrings that must (not) appear and
// regular expressions that must match. Strings may hold ${...} references, resolved before matching.
import { z } from "zod";
import { TemplateList } from "../refs.ts";

const RegexList = z.union([z.string(), z.array(z.string())]).superRefine((value, ctx) => {
  (typeof value === "string" ? [value] : value).forEach((re, i) => {
    try {
      new RegExp(re, "m");
    } catch (err) {
      const path = typeof value === "string" ? [] : [i];
      ctx.addIssue({
        code: "custom",
        message: `invalid regular expression: ${(err as Error).message}`,
        path,
      });
    }
  });
});

export const TextMatchShape = {
  contains: TemplateList.optional().describe("substrings that must all appear"),
  absent: TemplateList.optional().describe("substrings that must not appear"),
  regex: RegexList.optional().describe("regular expressions (multiline) that must all match"),
};

export const TextMatch = z.strictObject(TextMatchShape);
export type TextMatch = z.output<typeof TextMatch>;

export function asList(value: string | readonly string[] | undefined): string[] {
  return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
}

/** What did not match, one line each; empty when `text` meets every expectation. */
export function textMismatches(
  text: string,
  match: { contains: readonly string[]; absent: readonly string[]; regex: readonly string[] },
  what = "output",
): string[] {
  const out: string[] = [];
  for (const s of match.contains)
    if (!text.includes(s)) out.push(`${what} does not contain ${JSON.stringify(s)}`);
  for (const s of match.absent) if (text.includes(s)) out.push(`${what} contains ${JSON.stringify(s)}`);
  for (const re of match.regex) {
    if (!new RegExp(re, "m").test(text)) out.push(`${what} does not match /${re}/`);
  }
  return out;
}
