// The answer to a packet a Reject rule stopped, as Antrea's agent builds it (pkg/agent/openflow/packetout.go): a
// TCP RST for TCP, an ICMP "host administratively prohibited" (type 3, code 10) for anything else, from the
// address the client sent to, so that its socket sees "connection refused" / "no route to host" at once.
import { parseIp } from "../ipv4.ts";
import { checksum, ipv4Header, PROTO_ICMP, PROTO_TCP, parseIpv4Frame } from "../packet/ipv4-frame.ts";

const TCP_FIN = 0x01;
const TCP_SYN = 0x02;
const TCP_RST = 0x04;
const TCP_ACK = 0x10;
const ICMP_UNREACHABLE = 3;
const ICMP_HOST_PROHIBITED = 10;

export interface RejectedPacket {
  /** The Ethernet frame as the rule saw it (after any Service DNAT). */
  readonly frame: Buffer;
  /**
   * Where the client sent it, when that differs from the frame's destination (Service DNAT on this Node): the
   * answer comes from there, as the client's conntrack would have un-NATed it.
   */
  readonly originalDestination?: { ip: string; port: number };
}

/**
 * The IPv4 answer (header included) to a rejected packet, or undefined when there must be none: not IPv4, a
 * fragment, a TCP RST, or an ICMP error (never answer an error with an error).
 */
export function rejectResponse(rejected: RejectedPacket): Buffer | undefined {
  const pkt = parseIpv4Frame(rejected.frame);
  if (!pkt) return undefined;
  const fragmentOffset = pkt.ip.readUInt16BE(6) & 0x1fff;
  if (fragmentOffset !== 0) return undefined;
  const orig = rejected.originalDestination;
  const from = orig?.ip ?? pkt.dst;
  // The packet-in may carry only the headers: lengths come from the IP header, not from what was captured.
  const l4Length = pkt.ip.readUInt16BE(2) - pkt.headerLength;
  const l4 = pkt.ip.subarray(pkt.headerLength, pkt.headerLength + l4Length);
  if (pkt.protocol === PROTO_TCP) {
    if (l4.length < 20) return undefined;
    const flags = l4[13]!;
    if (flags & TCP_RST) return undefined;
    const dataOffset = (l4[12]! >> 4) * 4;
    const tcp = Buffer.alloc(20);
    tcp.writeUInt16BE(orig?.port ?? l4.readUInt16BE(2), 0);
    tcp.writeUInt16BE(l4.readUInt16BE(0), 2);
    // RFC 793 reset generation, as Linux's tcp_v4_send_reset: acknowledge what the segment occupied, or take
    // the sequence number it acknowledged.
    if (flags & TCP_ACK) {
      tcp.writeUInt32BE(l4.readUInt32BE(8), 4);
      tcp[13] = TCP_RST;
    } else {
      const length = l4Length - dataOffset + (flags & TCP_SYN ? 1 : 0) + (flags & TCP_FIN ? 1 : 0);
      tcp.writeUInt32BE((l4.readUInt32BE(4) + length) >>> 0, 8);
      tcp[13] = TCP_RST | TCP_ACK;
    }
    tcp[12] = 5 << 4;
    const pseudo = Buffer.alloc(12);
    pseudo.writeUInt32BE(parseIp(from), 0);
    pseudo.writeUInt32BE(parseIp(pkt.src), 4);
    pseudo[9] = PROTO_TCP;
    pseudo.writeUInt16BE(tcp.length, 10);
    tcp.writeUInt16BE(checksum(pseudo, tcp), 16);
    return Buffer.concat([ipv4Header(PROTO_TCP, from, pkt.src, tcp.length), tcp]);
  }
  if (pkt.protocol === PROTO_ICMP && (l4[0] === undefined || ![0, 8, 13, 15, 17].includes(l4[0]))) {
    return undefined; // an ICMP error (or unknown): no answer
  }
  // The offending header as the client sent it (to the original destination) plus 8 bytes of its payload.
  const quoted = Buffer.from(pkt.ip.subarray(0, pkt.headerLength + Math.min(8, l4.length)));
  if (orig) {
    quoted.writeUInt32BE(parseIp(orig.ip), 16);
    quoted.writeUInt16BE(0, 10);
    quoted.writeUInt16BE(checksum(quoted.subarray(0, pkt.headerLength)), 10);
    if (pkt.protocol !== PROTO_ICMP && l4.length >= 4) quoted.writeUInt16BE(orig.port, pkt.headerLength + 2);
  }
  const icmp = Buffer.concat([Buffer.alloc(8), quoted]);
  icmp[0] = ICMP_UNREACHABLE;
  icmp[1] = ICMP_HOST_PROHIBITED;
  icmp.writeUInt16BE(checksum(icmp), 2);
  return Buffer.concat([ipv4Header(PROTO_ICMP, from, pkt.src, icmp.length), icmp]);
}
