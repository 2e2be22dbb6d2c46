// Ethernet/IPv4 frames as bytes: parsing what a packet-in carries, building what a packet-out sends (Reject answers,
// Traceflow probes). IPv4 only, as the lab's datapath.
import { parseIp } from "../ipv4.ts";

const ETH_HEADER = 14;
const ETHERTYPE_IPV4 = 0x0800;

/** IP protocol numbers of what the agent builds and reads. */
export const PROTO_ICMP = 1;
export const PROTO_TCP = 6;
export const PROTO_UDP = 17;
/** The TTL of packets the agent sends, as a Linux host's. */
export const DEFAULT_TTL = 64;

export interface Ipv4Packet {
  readonly protocol: number;
  readonly src: string;
  readonly dst: string;
  /** The IPv4 header and everything after it. */
  readonly ip: Buffer;
  readonly headerLength: number;
}

/** The IPv4 packet of an Ethernet frame, or undefined for anything else. */
export function parseIpv4Frame(frame: Buffer): Ipv4Packet | undefined {
  if (frame.length < ETH_HEADER + 20 || frame.readUInt16BE(12) !== ETHERTYPE_IPV4) return undefined;
  const ip = frame.subarray(ETH_HEADER);
  if (ip[0]! >> 4 !== 4) return undefined;
  const headerLength = (ip[0]! & 0x0f) * 4;
  if (headerLength < 20 || ip.length < headerLength) return undefined;
  const addr = (at: number) => [...ip.subarray(at, at + 4)].join(".");
  return { protocol: ip[9]!, src: addr(12), dst: addr(16), ip, headerLength };
}

/** RFC 1071 ones' complement sum, folded and inverted. */
export function checksum(...parts: Buffer[]): number {
  let sum = 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i += 2) sum += (part[i]! << 8) | (part[i + 1] ?? 0);
  }
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** A 20-byte IPv4 header with its checksum; by default DF set, TTL 64, TOS 0. */
export function ipv4Header(
  protocol: number,
  src: string,
  dst: string,
  payloadLength: number,
  opts: { ttl?: number; tos?: number; flags?: number } = {},
): Buffer {
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h[1] = opts.tos ?? 0;
  h.writeUInt16BE(20 + payloadLength, 2);
  h.writeUInt16BE((opts.flags ?? 0b010) << 13, 6); // default: don't fragment
  h[8] = opts.ttl ?? DEFAULT_TTL;
  h[9] = protocol;
  h.writeUInt32BE(parseIp(src), 12);
  h.writeUInt32BE(parseIp(dst), 16);
  h.writeUInt16BE(checksum(h), 10);
  return h;
}

function macBytes(mac: string): Buffer {
  return Buffer.from(mac.replaceAll(":", ""), "hex");
}

/** An Ethernet frame around an IPv4 packet. */
export function ethernetFrame(src: string, dst: string, ip: Buffer): Buffer {
  const type = Buffer.alloc(2);
  type.writeUInt16BE(ETHERTYPE_IPV4);
  return Buffer.concat([macBytes(dst), macBytes(src), type, ip]);
}
