import { describe, expect, it } from "vitest";
import { checksum, ethernetFrame, parseIpv4Frame } from "../packet/ipv4-frame.ts";
import { rejectResponse } from "./reject-packet.ts";

const ETH = 14;

/** A client SYN (with MSS/SACK/timestamp options) from 10.244.1.2:49138 to 10.244.2.2:80, as a packet-in saw it. */
const SYN = Buffer.from(
  "86bcf900cc410aa27aaa8c5c08004500003c017240003e06225f0af401020af40202bff20050ee31092700000000a002fd5c88750000020405820402080a3431bda40000000001030309",
  "hex",
);

function ipv4(buf: Buffer) {
  const pkt = parseIpv4Frame(ethernetFrame("02:00:00:00:00:01", "02:00:00:00:00:02", buf));
  if (!pkt) throw new Error("not IPv4");
  return pkt;
}

/** Verifies the IPv4 header checksum and the L4 checksum (TCP with its pseudo-header, ICMP without). */
function checksumsValid(ip: Buffer): boolean {
  const pkt = ipv4(ip);
  const l4 = ip.subarray(pkt.headerLength);
  if (checksum(ip.subarray(0, pkt.headerLength)) !== 0) return false;
  if (pkt.protocol !== 6) return checksum(l4) === 0;
  const pseudo = Buffer.concat([ip.subarray(12, 20), Buffer.from([0, 6, l4.length >> 8, l4.length & 0xff])]);
  return checksum(pseudo, l4) === 0;
}

describe("reject answers", () => {
  it("answers a SYN with RST+ACK acknowledging it, from the address and port the client sent to", () => {
    const rst = rejectResponse({ frame: SYN })!;
    const pkt = ipv4(rst);
    expect([pkt.protocol, pkt.src, pkt.dst]).toEqual([6, "10.244.2.2", "10.244.1.2"]);
    const tcp = rst.subarray(pkt.headerLength);
    expect([tcp.readUInt16BE(0), tcp.readUInt16BE(2)]).toEqual([80, 49138]);
    expect(tcp.readUInt32BE(4)).toBe(0);
    expect(tcp.readUInt32BE(8)).toBe(0xee310927 + 1);
    expect(tcp[13]).toBe(0x14); // RST|ACK
    expect(checksumsValid(rst)).toBe(true);
  });

  it("answers a Service connection from the Service address, and a segment with ACK with seq = its ack", () => {
    const ack = Buffer.from(SYN);
    ack[ETH + 20 + 13] = 0x10; // ACK only
    ack.writeUInt32BE(0x01020304, ETH + 20 + 8);
    const rst = rejectResponse({ frame: ack, originalDestination: { ip: "10.96.0.2", port: 8080 } })!;
    const pkt = ipv4(rst);
    expect(pkt.src).toBe("10.96.0.2");
    const tcp = rst.subarray(pkt.headerLength);
    expect(tcp.readUInt16BE(0)).toBe(8080);
    expect(tcp.readUInt32BE(4)).toBe(0x01020304);
    expect(tcp[13]).toBe(0x04); // RST
    expect(checksumsValid(rst)).toBe(true);
  });

  it("answers UDP with ICMP host prohibited quoting the packet as the client sent it", () => {
    const udp = Buffer.concat([
      SYN.subarray(0, ETH + 20),
      Buffer.from("e2f0003500100000", "hex"),
      Buffer.alloc(8),
    ]);
    udp[ETH + 9] = 17;
    udp.writeUInt16BE(20 + 16, ETH + 2);
    const icmp = rejectResponse({ frame: udp, originalDestination: { ip: "10.96.0.10", port: 53 } })!;
    const pkt = ipv4(icmp);
    expect([pkt.protocol, pkt.src, pkt.dst]).toEqual([1, "10.96.0.10", "10.244.1.2"]);
    const body = icmp.subarray(pkt.headerLength);
    expect([body[0], body[1]]).toEqual([3, 10]);
    const quoted = body.subarray(8);
    expect(quoted).toHaveLength(28);
    expect([...quoted.subarray(16, 20)].join(".")).toBe("10.96.0.10");
    expect(quoted.readUInt16BE(22)).toBe(53);
    expect(checksum(quoted.subarray(0, 20))).toBe(0);
    expect(checksumsValid(icmp)).toBe(true);
  });

  it("never answers a RST, an ICMP error or a non-IPv4 frame", () => {
    const rst = Buffer.from(SYN);
    rst[ETH + 20 + 13] = 0x04;
    expect(rejectResponse({ frame: rst })).toBeUndefined();
    const answer = rejectResponse({
      frame: Buffer.concat([SYN.subarray(0, 12), Buffer.from("86dd", "hex")]),
    });
    expect(answer).toBeUndefined();
    const icmpError = rejectResponse({
      frame: ethernetFrame("02:00:00:00:00:01", "02:00:00:00:00:02", ipv4Icmp()),
    });
    expect(icmpError).toBeUndefined();
  });
});

/** An ICMP "destination unreachable" (an error: must not be answered). */
function ipv4Icmp(): Buffer {
  const answer = rejectResponse({
    frame: Buffer.concat([SYN.subarray(0, ETH + 9), Buffer.from([17]), SYN.subarray(ETH + 10)]),
  });
  if (!answer) throw new Error("no ICMP error to test with");
  return answer;
}
