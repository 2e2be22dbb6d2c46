// The packet of a traceflow step, written as antctl's `traceflow -f` flow (`tcp,tcp_dst=80`, `udp,udp_dst=53`,
// `icmp`, `ipv6,tcp`) and checked strictly (images/api/traceflow-flow.ts): a flow antctl would read differently
// than meant is a schema issue at load time.
import { type CheckedFlow, checkFlow, FlowSyntaxError } from "../../../images/api/traceflow-flow.ts";

export type ParsedFlow = CheckedFlow;

/** The flow's packet, protocol and destination port, or the message that says why `text` is not a flow. */
export function parseFlow(text: string): ParsedFlow | string {
  try {
    return checkFlow(text);
  } catch (err) {
    if (err instanceof FlowSyntaxError) return err.message;
    throw err;
  }
}
