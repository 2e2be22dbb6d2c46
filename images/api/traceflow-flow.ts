// antctl's `traceflow -f/--flow` syntax (parseFlow/getPortFields in pkg/antctl/raw/traceflow/command.go):
// comma-separated `key` or `key=integer` fields, spaces ignored, turned into a Traceflow's spec.packet. Two readers
// share it: antctl reads a flow as Antrea's antctl does (lenient: unknown keys are ignored), the harness's traceflow
// step checks it strictly at load time, so that a typo is an error rather than a silently different trace.
import type { TraceflowPacket } from "./traceflow.ts";

/** A flow that cannot be read. The message says why, without context: callers add their own. */
export class FlowSyntaxError extends Error {
  override name = "FlowSyntaxError";
}

/** The keys that name a protocol, with its IP protocol number, in the order antctl checks them. */
const PROTOCOLS = { icmp: 1, tcp: 6, udp: 17 } as const;
export type FlowProtocol = keyof typeof PROTOCOLS;
const ICMPV6 = 58;

/** The keys that set a transport header field, in the order antctl sets them. */
const PORT_KEYS = {
  tcp_src: ["tcp", "srcPort"],
  tcp_dst: ["tcp", "dstPort"],
  tcp_flags: ["tcp", "flags"],
  udp_src: ["udp", "srcPort"],
  udp_dst: ["udp", "dstPort"],
} as const;
type PortKey = keyof typeof PORT_KEYS;

const KNOWN_KEYS = [...Object.keys(PROTOCOLS), "ipv6", ...Object.keys(PORT_KEYS)].join(", ");
/** The integers Go's strconv.Atoi reads. */
const DECIMAL = /^[+-]?\d+$/;

const isProtocol = (key: string): key is FlowProtocol => Object.hasOwn(PROTOCOLS, key);
const isPortKey = (key: string): key is PortKey => Object.hasOwn(PORT_KEYS, key);

/** The fields of a flow as written: spaces ignored, empty fields skipped. */
function flowTokens(flow: string): string[] {
  return flow.replaceAll(" ", "").split(",").filter(Boolean);
}

/**
 * The fields as Antrea's antctl reads them (getPortFields): `key` maps to 0, `key=N` to N, whatever the key;
 * anything else (`a=`, `a=b=c`) and a value that is not an integer are errors.
 */
export function flowFields(flow: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const field of flowTokens(flow)) {
    const [key, value, ...rest] = field.split("=");
    if (value === undefined) fields.set(field, 0);
    else if (key && value && !rest.length) fields.set(key, atoi(value));
    else throw new FlowSyntaxError(`${field} is not valid in flow`);
  }
  return fields;
}

/** Go's strconv.Atoi (64-bit int), then Antrea's conversion to int32 (which wraps). */
function atoi(text: string): number {
  const fail = (why: string) => new FlowSyntaxError(`strconv.Atoi: parsing ${JSON.stringify(text)}: ${why}`);
  if (!DECIMAL.test(text)) throw fail("invalid syntax");
  const value = BigInt(text);
  if (BigInt.asIntN(64, value) !== value) throw fail("value out of range");
  return Number(BigInt.asIntN(32, value));
}

/**
 * The packet of a Traceflow spec, shaped as Antrea's antctl sends it: the first protocol key in `ipHeader` (or
 * `ipv6Header` with `ipv6`); an empty `ipHeader`/`ipv6Header` and `transportHeader` even when the flow sets nothing
 * in them; ports left out when 0 (omitempty), tcp flags kept (a pointer in Antrea's type). Other keys are ignored.
 * Where nothing names a protocol the packet carries none and the agent injects ICMP.
 */
export function flowPacket(fields: ReadonlyMap<string, number>): TraceflowPacket {
  const protocol = Object.keys(PROTOCOLS)
    .filter(isProtocol)
    .find((key) => fields.has(key));
  const number = protocol && PROTOCOLS[protocol];
  const packet: TraceflowPacket = fields.has("ipv6")
    ? { ipv6Header: number === undefined ? {} : { nextHeader: number } }
    : { ipHeader: number === undefined ? {} : { protocol: number } };
  const transport: Record<string, Record<string, number>> = {};
  for (const [key, [header, field]] of Object.entries(PORT_KEYS)) {
    const n = fields.get(key);
    if (n !== undefined)
      transport[header] = { ...transport[header], ...(n || field === "flags" ? { [field]: n } : {}) };
  }
  packet.transportHeader = transport;
  return packet;
}

/** A flow that passed checkFlow. */
export interface CheckedFlow {
  /** spec.packet; {} when the flow names nothing (the agent then injects an ICMP echo request). */
  packet: TraceflowPacket;
  /** The protocol of the traced packet (icmp when none is named, as Antrea defaults). */
  protocol: FlowProtocol;
  dstPort?: number;
}

/**
 * The flow, read more strictly than antctl reads it: an unknown key, a value on a protocol key, a port that is not
 * an integer in range, a port without its protocol or two protocols is an error. The packet is flowPacket's, less
 * the empty headers antctl sends, and with ICMP over IPv6 as ICMPv6 (58) where antctl sends 1.
 */
export function checkFlow(flow: string): CheckedFlow {
  const fields = new Map<string, number>();
  let protocol: FlowProtocol | undefined;
  for (const field of flowTokens(flow)) {
    const [key = "", value, ...rest] = field.split("=");
    if (rest.length) throw new FlowSyntaxError(`"${field}" is not KEY or KEY=VALUE`);
    if (key === "ipv6" || isProtocol(key)) {
      if (value !== undefined) throw new FlowSyntaxError(`"${key}" takes no value`);
      if (key !== "ipv6") {
        if (protocol && protocol !== key) throw new FlowSyntaxError(`two protocols: ${protocol} and ${key}`);
        protocol = key;
      }
      fields.set(key, 0);
    } else if (isPortKey(key)) {
      fields.set(key, portValue(key, value));
    } else {
      throw new FlowSyntaxError(`unknown flow field "${key}" (known: ${KNOWN_KEYS})`);
    }
  }
  for (const [key, n] of fields) {
    const proto = isPortKey(key) && PORT_KEYS[key][0];
    if (proto && protocol !== proto)
      throw new FlowSyntaxError(`${key} needs ${proto} (e.g. ${proto},${key}=${n})`);
  }
  const { ipHeader, ipv6Header, transportHeader = {} } = flowPacket(fields);
  const packet: TraceflowPacket = {
    ...(ipv6Header ? { ipv6Header: protocol === "icmp" ? { nextHeader: ICMPV6 } : ipv6Header } : {}),
    ...(ipHeader && protocol ? { ipHeader } : {}),
    ...(Object.keys(transportHeader).length ? { transportHeader } : {}),
  };
  const dstPort = fields.get("tcp_dst") ?? fields.get("udp_dst");
  return { packet, protocol: protocol ?? "icmp", ...(dstPort !== undefined ? { dstPort } : {}) };
}

/** A port (0-65535) or the TCP flags (0-255), written as antctl reads an integer. */
function portValue(key: PortKey, value: string | undefined): number {
  const max = key === "tcp_flags" ? 255 : 65535;
  const n = value !== undefined && DECIMAL.test(value) ? Number(value) : Number.NaN;
  if (!(n >= 0 && n <= max)) {
    throw new FlowSyntaxError(
      `${key} needs an integer from 0 to ${max}, e.g. ${key}=${key === "tcp_flags" ? 2 : 80}`,
    );
  }
  return n;
}
