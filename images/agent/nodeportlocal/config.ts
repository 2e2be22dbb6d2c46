// The agent config block of NodePortLocal, as Antrea's `nodePortLocal` section of antrea-agent.conf: off unless
// enabled (the chart's default), node ports taken from `portRange` ("start-end", both included).
import { z } from "zod";

export interface PortRange {
  readonly start: number;
  readonly end: number;
}

/** Parses "61000-62000"; undefined when it is not a range of valid ports with start <= end. */
export function parsePortRange(text: string): PortRange | undefined {
  const m = /^(\d{1,5})-(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const start = Number(m[1]);
  const end = Number(m[2]);
  return start >= 1 && end <= 65535 && start <= end ? { start, end } : undefined;
}

const DEFAULT_PORT_RANGE = "61000-62000";

export const nodePortLocalConfigSchema = z
  .strictObject({
    enable: z.boolean().default(false),
    portRange: z
      .string()
      .refine((s) => parsePortRange(s) !== undefined, "must be START-END with 1 <= START <= END <= 65535")
      .default(DEFAULT_PORT_RANGE),
  })
  .default({ enable: false, portRange: DEFAULT_PORT_RANGE });

export type NodePortLocalConfig = z.output<typeof nodePortLocalConfigSchema>;
