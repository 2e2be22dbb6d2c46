// `antctl traceflow -f/--flow` read as Antrea's antctl reads it (parseFlow/getPortFields in
// pkg/antctl/raw/traceflow/command.go): comma-separated `key` or `key=integer` fields, spaces ignored. Only the
// protocols, `ipv6` and the port/flag keys mean something; other keys are accepted and ignored, as there. Where
// nothing names a protocol the packet carries none and the agent injects ICMP.
import type { TraceflowPacket } from "../api/traceflow.ts";
import { AntctlError } from "./errors.ts";

/** The keys that name a protocol, checked in this order when several are given. */
const PROTOCOLS = [
  ["icmp", 1],
  ["tcp", 6],
  ["udp", 17],
] as const;

/**
 * The packet of a Traceflow spec, shaped as Antrea's antctl sends it: an empty `ipHeader` (or `ipv6Header` with
 * `ipv6`) and an empty `transportHeader` are present even when the flow sets nothing in them.
 */
export function parseFlow(flow: string): TraceflowPacket {
  const fields = flowFields(flow.replaceAll(" ", ""));
  const protocol = PROTOCOLS.find(([key]) => fields.has(key))?.[1];
  const packet: TraceflowPacket = fields.has("ipv6")
    ? { ipv6Header: protocol === undefined ? {} : { nextHeader: protocol } }
    : { ipHeader: protocol === undefined ? {} : { protocol } };
  const transport: NonNullable<TraceflowPacket["transportHeader"]> = {};
  const tcpSrc = fields.get("tcp_src");
  const tcpDst = fields.get("tcp_dst");
  const tcpFlags = fields.get("tcp_flags");
  if (tcpSrc !== undefined || tcpDst !== undefined || tcpFlags !== undefined) {
    // Ports are omitted when 0 (omitempty); flags is a pointer in Antrea's type, so 0 is kept.
    transport.tcp = {
      ...(tcpSrc ? { srcPort: tcpSrc } : {}),
      ...(tcpDst ? { dstPort: tcpDst } : {}),
      ...(tcpFlags !== undefined ? { flags: tcpFlags } : {}),
    };
  }
  const udpSrc = fields.get("udp_src");
  const udpDst = fields.get("udp_dst");
  if (udpSrc !== undefined || udpDst !== undefined) {
    transport.udp = { ...(udpSrc ? { srcPort: udpSrc } : {}), ...(udpDst ? { dstPort: udpDst } : {}) };
  }
  packet.transportHeader = transport;
  return packet;
}

/** getPortFields: `key` maps to 0, `key=N` to N; anything else (`a=`, `a=b=c`) is an error. */
function flowFields(flow: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const field of flow.split(",")) {
    const kv = field.split("=");
    if (kv.length === 2 && kv[0] && kv[1]) fields.set(kv[0], atoi(kv[1]));
    else if (kv.length === 1) {
      if (field) fields.set(field, 0);
    } else throw new AntctlError(`error when parsing the flow: ${field} is not valid in flow`);
  }
  return fields;
}

/** Go's strconv.Atoi (64-bit int), then Antrea's conversion to int32 (which wraps). */
function atoi(text: string): number {
  const fail = (why: string) =>
    new AntctlError(`error when parsing the flow: strconv.Atoi: parsing ${JSON.stringify(text)}: ${why}`);
  if (!/^[+-]?\d+$/.test(text)) throw fail("invalid syntax");
  const value = BigInt(text);
  if (BigInt.asIntN(64, value) !== value) throw fail("value out of range");
  return Number(BigInt.asIntN(32, value));
}
