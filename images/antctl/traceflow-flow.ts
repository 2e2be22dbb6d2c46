// `antctl traceflow -f/--flow`, read as Antrea's antctl reads it (images/api/traceflow-flow.ts), its mistakes worded
// as Antrea's parseFlow words them.

import type { TraceflowPacket } from "../api/traceflow.ts";
import { FlowSyntaxError, flowFields, flowPacket } from "../api/traceflow-flow.ts";
import { AntctlError } from "./errors.ts";

/** The packet of the Traceflow spec, exactly as Antrea's antctl sends it. */
export function parseFlow(flow: string): TraceflowPacket {
  try {
    return flowPacket(flowFields(flow));
  } catch (err) {
    if (err instanceof FlowSyntaxError) throw new AntctlError(`error when parsing the flow: ${err.message}`);
    throw err;
  }
}
