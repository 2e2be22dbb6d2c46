// The packet of a traceflow step, written as antctl's `traceflow -f` flow (`tcp,tcp_dst=80`, `udp,udp_dst=53`,
// `icmp`, `ipv6,tcp`), turned into a Traceflow's spec.packet the way antctl's parseFlow does. Stricter than antctl,
// which ignores what it does not know: an unknown key, a port without its protocol or two protocols is an error
// at load time rather than a silently different trace.
import type { TraceflowPacket } from "../../../images/api/traceflow.ts";

export type FlowProtocol = "icmp" | "tcp" | "udp";

export interface ParsedFlow {
  /** spec.packet; {} when the flow names nothing (the agent then injects an ICMP echo request). */
  packet: TraceflowPacket;
  /** The protocol of the traced packet (icmp when none is named, as Antrea defaults). */
  protocol: FlowProtocol;
  dstPort?: number;
}

const PROTOCOL_NUMBERS = { icmp: 1, tcp: 6, udp: 17 } as const;
const ICMPV6 = 58;
const PORT_KEYS = {
  tcp_src: ["tcp", "srcPort"],
  tcp_dst: ["tcp", "dstPort"],
  tcp_flags: ["tcp", "flags"],
  udp_src: ["udp", "srcPort"],
  udp_dst: ["udp", "dstPort"],
} as const;
type PortKey = keyof typeof PORT_KEYS;

const KNOWN = ["icmp", "tcp", "udp", "ipv6", ...Object.keys(PORT_KEYS)].join(", ");

/** Parses an antctl flow; returns an error message when `text` is not one. */
export function parseFlow(text: string): ParsedFlow | string {
  const fields = text.replaceAll(" ", "").split(",").filter(Boolean);
  let protocol: FlowProtocol | undefined;
  let ipv6 = false;
  const numbers = new Map<PortKey, number>();
  for (const field of fields) {
    const [key = "", value, ...rest] = field.split("=");
    if (rest.length) return `"${field}" is not KEY or KEY=VALUE`;
    if (key in PROTOCOL_NUMBERS || key === "ipv6") {
      if (value !== undefined) return `"${key}" takes no value`;
      if (key === "ipv6") ipv6 = true;
      else if (protocol && protocol !== key) return `two protocols: ${protocol} and ${key}`;
      else protocol = key as FlowProtocol;
      continue;
    }
    if (!(key in PORT_KEYS)) return `unknown flow field "${key}" (known: ${KNOWN})`;
    const n = Number(value);
    const max = key === "tcp_flags" ? 255 : 65535;
    if (!value || !Number.isInteger(n) || n < 0 || n > max) {
      return `${key} needs an integer from 0 to ${max}, e.g. ${key}=${key === "tcp_flags" ? 2 : 80}`;
    }
    numbers.set(key as PortKey, n);
  }
  const header: Record<string, Record<string, number>> = {};
  for (const [key, n] of numbers) {
    const [proto, field] = PORT_KEYS[key];
    if (protocol !== proto) return `${key} needs ${proto} (e.g. ${proto},${key}=${n})`;
    header[proto] = { ...header[proto], [field]: n };
  }
  const packet: TraceflowPacket = {};
  if (ipv6) {
    packet.ipv6Header = protocol
      ? { nextHeader: protocol === "icmp" ? ICMPV6 : PROTOCOL_NUMBERS[protocol] }
      : {};
  } else if (protocol) {
    packet.ipHeader = { protocol: PROTOCOL_NUMBERS[protocol] };
  }
  if (Object.keys(header).length) packet.transportHeader = header;
  const dstPort = numbers.get("tcp_dst") ?? numbers.get("udp_dst");
  return { packet, protocol: protocol ?? "icmp", ...(dstPort !== undefined ? { dstPort } : {}) };
}
