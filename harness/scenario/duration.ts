// Durations as scenario authors write them ("500ms", "10s", "2m"), turned into milliseconds at validation time.
import { z } from "zod";

const UNIT_MS = { ms: 1, s: 1000, m: 60_000 } as const;
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

export const Duration = z
  .string()
  .regex(DURATION, 'is not a duration such as "500ms", "10s" or "2m"')
  .transform((text) => {
    const [, amount, unit] = DURATION.exec(text)!;
    return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
  });

/** "1.5 s", "250 ms": for messages. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}
