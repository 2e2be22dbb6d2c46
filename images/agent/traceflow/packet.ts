// The Traceflow probe packet: what the spec asks for, with Antrea's defaults (preparePacket in
// traceflow_controller.go: ICMP echo request unless TCP or UDP is given, TCP flags SYN, TTL 64, a random source port
// when none is given; TCP > UDP > ICMP), built as the frame the sender injects with the dataplane tag as DSCP; and the
// header fields of a packet-in, for observations and a live trace's capturedPacket.
import type { TraceflowPacket, TraceflowSpec } from "../../api/traceflow.ts";
import { parseIp } from "../ipv4.ts";
import {
  checksum,
  DEFAULT_TTL,
  ethernetFrame,
  ipv4Header,
  PROTO_ICMP,
  PROTO_TCP,
  PROTO_UDP,
  parseIpv4Frame,
} from "../packet/ipv4-frame.ts";

const ICMP_ECHO_REQUEST = 8;
const TCP_SYN = 2;

/** The headers of the probe, decided from the spec; addresses are filled in by the sender. */
export interface ProbeHeaders {
  readonly protocol: number;
  readonly ttl: number;
  readonly ipFlags: number;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly tcpFlags: number;
  readonly icmpId: number;
  readonly icmpSeq: number;
}

const randomPort = () => 1024 + Math.floor(Math.random() * (65535 - 1024));

/** Probe headers per the spec. A Service destination without a port gets `servicePort`. */
export function probeHeaders(
  spec: TraceflowSpec,
  servicePort?: { port: number; protocol: string },
): ProbeHeaders {
  const pkt = spec.packet ?? {};
  const tp = pkt.transportHeader ?? {};
  const base = {
    ttl: pkt.ipHeader?.ttl || DEFAULT_TTL,
    ipFlags: pkt.ipHeader?.flags ?? 0,
    srcPort: 0,
    dstPort: 0,
    tcpFlags: 0,
    icmpId: 0,
    icmpSeq: 0,
  };
  if (tp.tcp || (!tp.udp && !tp.icmp && servicePort?.protocol === "TCP" && !pkt.ipHeader?.protocol)) {
    return {
      ...base,
      protocol: PROTO_TCP,
      srcPort: tp.tcp?.srcPort || randomPort(),
      dstPort: tp.tcp?.dstPort || servicePort?.port || 0,
      tcpFlags: tp.tcp?.flags ?? TCP_SYN,
    };
  }
  if (tp.udp || (!tp.icmp && servicePort?.protocol === "UDP" && !pkt.ipHeader?.protocol)) {
    return {
      ...base,
      protocol: PROTO_UDP,
      srcPort: tp.udp?.srcPort || randomPort(),
      dstPort: tp.udp?.dstPort || servicePort?.port || 0,
    };
  }
  const protocol = pkt.ipHeader?.protocol || PROTO_ICMP;
  return { ...base, protocol, icmpId: tp.icmp?.id ?? 0, icmpSeq: tp.icmp?.sequence ?? 0 };
}

/** The frame the sender injects: from the source Pod, to `dstMAC`, with the tag as DSCP. */
export function probeFrame(opts: {
  srcMAC: string;
  dstMAC: string;
  srcIP: string;
  dstIP: string;
  tag: number;
  headers: ProbeHeaders;
}): Buffer {
  const h = opts.headers;
  let l4: Buffer;
  if (h.protocol === PROTO_TCP) {
    l4 = Buffer.alloc(20);
    l4.writeUInt16BE(h.srcPort, 0);
    l4.writeUInt16BE(h.dstPort, 2);
    l4.writeUInt32BE(Math.floor(Math.random() * 0xffffffff) >>> 0, 4);
    l4[12] = 5 << 4;
    l4[13] = h.tcpFlags;
    l4.writeUInt16BE(0xffff, 14); // window
  } else if (h.protocol === PROTO_UDP) {
    l4 = Buffer.alloc(8);
    l4.writeUInt16BE(h.srcPort, 0);
    l4.writeUInt16BE(h.dstPort, 2);
    l4.writeUInt16BE(8, 4);
  } else if (h.protocol === PROTO_ICMP) {
    l4 = Buffer.alloc(8);
    l4[0] = ICMP_ECHO_REQUEST;
    l4.writeUInt16BE(h.icmpId, 4);
    l4.writeUInt16BE(h.icmpSeq, 6);
    l4.writeUInt16BE(checksum(l4), 2);
  } else {
    l4 = Buffer.alloc(0);
  }
  if (h.protocol === PROTO_TCP || h.protocol === PROTO_UDP) {
    const pseudo = Buffer.alloc(12);
    pseudo.writeUInt32BE(parseIp(opts.srcIP), 0);
    pseudo.writeUInt32BE(parseIp(opts.dstIP), 4);
    pseudo[9] = h.protocol;
    pseudo.writeUInt16BE(l4.length, 10);
    l4.writeUInt16BE(checksum(pseudo, l4), h.protocol === PROTO_TCP ? 16 : 6);
  }
  const ip = ipv4Header(h.protocol, opts.srcIP, opts.dstIP, l4.length, {
    ttl: h.ttl,
    tos: opts.tag << 2,
    flags: h.ipFlags,
  });
  return ethernetFrame(opts.srcMAC, opts.dstMAC, Buffer.concat([ip, l4]));
}

/** The IP and transport header fields of a packet-in's frame. */
export interface IpHeader {
  readonly src: string;
  readonly dst: string;
  readonly dscp: number;
  readonly protocol: number;
  /** IP total length. */
  readonly length: number;
  readonly ttl: number;
  readonly flags: number;
  readonly srcPort?: number;
  readonly dstPort?: number;
  readonly tcpFlags?: number;
  readonly icmpId?: number;
  readonly icmpSeq?: number;
}

export function parseIpHeader(frame: Buffer): IpHeader | undefined {
  const pkt = parseIpv4Frame(frame);
  if (!pkt) return undefined;
  const { ip, headerLength } = pkt;
  const l4 = ip.subarray(headerLength);
  const header: IpHeader = {
    src: pkt.src,
    dst: pkt.dst,
    dscp: ip[1]! >> 2,
    protocol: pkt.protocol,
    length: ip.readUInt16BE(2),
    ttl: ip[8]!,
    flags: ip.readUInt16BE(6) >> 13,
  };
  if ((pkt.protocol === PROTO_TCP && l4.length >= 14) || (pkt.protocol === PROTO_UDP && l4.length >= 4)) {
    return {
      ...header,
      srcPort: l4.readUInt16BE(0),
      dstPort: l4.readUInt16BE(2),
      ...(pkt.protocol === PROTO_TCP ? { tcpFlags: l4[13]! } : {}),
    };
  }
  if (pkt.protocol === PROTO_ICMP && l4.length >= 8) {
    return { ...header, icmpId: l4.readUInt16BE(4), icmpSeq: l4.readUInt16BE(6) };
  }
  return header;
}

/** status.capturedPacket of a live trace (Antrea's parseCapturedPacket). */
export function capturedPacket(h: IpHeader): TraceflowPacket {
  const transportHeader =
    h.protocol === PROTO_TCP
      ? { tcp: { srcPort: h.srcPort ?? 0, dstPort: h.dstPort ?? 0, flags: h.tcpFlags ?? 0 } }
      : h.protocol === PROTO_UDP
        ? { udp: { srcPort: h.srcPort ?? 0, dstPort: h.dstPort ?? 0 } }
        : h.protocol === PROTO_ICMP
          ? { icmp: { id: h.icmpId ?? 0, sequence: h.icmpSeq ?? 0 } }
          : {};
  return {
    srcIP: h.src,
    dstIP: h.dst,
    length: h.length,
    ipHeader: { protocol: h.protocol, ttl: h.ttl, flags: h.flags },
    transportHeader,
  };
}

/** The protocol keyword of an IP protocol number, for flow matches. */
export function protocolKeyword(protocol: number): "icmp" | "tcp" | "udp" | "ip" {
  return protocol === PROTO_ICMP
    ? "icmp"
    : protocol === PROTO_TCP
      ? "tcp"
      : protocol === PROTO_UDP
        ? "udp"
        : "ip";
}
