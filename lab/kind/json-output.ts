// JSON printed by kind, docker or kubectl, checked against the shape the provider relies on.
import type { z } from "zod";

export function parseJsonOutput<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new Error(`${what} did not print JSON: ${text.slice(0, 200)}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new Error(`${what} printed unexpected JSON: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}
