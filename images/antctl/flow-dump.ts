// Flow and group dumps of br-int, shaped as Antrea's ovsctl client shapes them (pkg/ovs/ovsctl/ovsctl.go): the
// flow lines of `ovs-ofctl dump-flows br-int <match> --names -O Openflow15` with everything before ` table=`
// (cookie, duration) cut off, and the group lines of `dump-groups` trimmed.

import { BRIDGE } from "../agent/pipeline/constants.ts";
import type { OvsTools } from "../common/ovs.ts";

/** One flow as dumped: `line` is what antctl prints, `cookie` is kept to find a flow's siblings. */
export interface DumpedFlow {
  readonly line: string;
  readonly cookie?: string;
}

/** Parses dump-flows output; reply headers are dropped. */
export function parseFlowDump(text: string): DumpedFlow[] {
  const flows: DumpedFlow[] = [];
  for (const raw of text.split("\n")) {
    if (!raw.trim() || /(OFPST|NXST)_FLOW reply/.test(raw)) continue;
    const cookie = /cookie=(0x[0-9a-f]+)/.exec(raw)?.[1];
    flows.push({ line: trimFlowLine(raw), ...(cookie ? { cookie } : {}) });
  }
  return flows;
}

/** Antrea's trimFlowStr: the flow from ` table=` on. */
function trimFlowLine(raw: string): string {
  return raw.slice(raw.indexOf(" table") + 1);
}

/**
 * Antrea's flowExactMatch: whether every match field of the dumped flow (after `priority=`) is named in `key`,
 * i.e. the flow has no match condition the key did not ask for.
 */
export function flowExactMatch(key: string, line: string): boolean {
  const start = line.indexOf(" priority") + 1;
  const fields = line.slice(start, line.lastIndexOf(" ")).split(",").slice(1);
  return fields.every((f) => key.includes(f.split("=")[0]!));
}

/** The match fields and actions of a dumped flow line. */
export function flowParts(line: string): { match: string[]; actions: string } {
  const m = /(?:^|\s)priority=[^ ]*/.exec(line);
  const match = m ? m[0].trim().split(",").slice(1) : [];
  const actions = /\sactions=(.*)$/.exec(line)?.[1] ?? "";
  return { match, actions };
}

export class FlowDumper {
  constructor(private readonly ovs: OvsTools) {}

  async flows(match?: string): Promise<DumpedFlow[]> {
    const args = [...(match ? [match] : []), "--names"];
    return parseFlowDump((await this.ovs.ofctl("dump-flows", BRIDGE, args)).stdout);
  }

  /** The one flow of `key` (`table=N,<matches>`) that has no match fields beyond the key's, if any. */
  async matchedFlow(key: string): Promise<DumpedFlow | undefined> {
    return (await this.flows(key)).find((f) => flowExactMatch(key, f.line));
  }

  async groups(): Promise<string[]> {
    return groupLines((await this.ovs.ofctl("dump-groups", BRIDGE)).stdout);
  }

  /** One group, or undefined when br-int has no such group. */
  async group(id: number): Promise<string | undefined> {
    return groupLines((await this.ovs.ofctl("dump-groups", BRIDGE, [String(id)])).stdout)[0];
  }
}

/** dump-groups output without its reply header. */
function groupLines(text: string): string[] {
  return text
    .split("\n")
    .slice(1)
    .map((l) => l.trim())
    .filter(Boolean);
}
