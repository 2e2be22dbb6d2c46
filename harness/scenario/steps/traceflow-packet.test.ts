// antctl's `traceflow -f` syntax as the traceflow step reads it: the spec.packet it yields, the protocol and port
// that live traffic defaults to, and the mistakes antctl would silently ignore.
import { describe, expect, it } from "vitest";
import { type ParsedFlow, parseFlow } from "./traceflow-packet.ts";

function parsed(text: string): ParsedFlow {
  const flow = parseFlow(text);
  if (typeof flow === "string") throw new Error(flow);
  return flow;
}

describe("parseFlow", () => {
  it("turns antctl flows into spec.packet, as antctl's parseFlow does", () => {
    expect(parseFlow("tcp,tcp_dst=80")).toEqual({
      packet: { ipHeader: { protocol: 6 }, transportHeader: { tcp: { dstPort: 80 } } },
      protocol: "tcp",
      dstPort: 80,
    });
    expect(parseFlow("udp, udp_src=1234, udp_dst=53")).toEqual({
      packet: { ipHeader: { protocol: 17 }, transportHeader: { udp: { srcPort: 1234, dstPort: 53 } } },
      protocol: "udp",
      dstPort: 53,
    });
    expect(parseFlow("tcp,tcp_src=10003,tcp_dst=80,tcp_flags=2")).toMatchObject({
      packet: { transportHeader: { tcp: { srcPort: 10003, dstPort: 80, flags: 2 } } },
    });
    expect(parseFlow("icmp")).toEqual({ packet: { ipHeader: { protocol: 1 } }, protocol: "icmp" });
    expect(parseFlow("ipv6,icmp")).toEqual({ packet: { ipv6Header: { nextHeader: 58 } }, protocol: "icmp" });
    expect(parsed("ipv6,tcp,tcp_dst=80").packet).toMatchObject({ ipv6Header: { nextHeader: 6 } });
  });

  it("leaves the protocol to the agent (ICMP) when the flow names none", () => {
    expect(parseFlow("")).toEqual({ packet: {}, protocol: "icmp" });
  });

  it("rejects what antctl would ignore or misread", () => {
    expect(parseFlow("tcp,tcp_dport=80")).toMatch(/^unknown flow field "tcp_dport" \(known: icmp, tcp/);
    expect(parseFlow("tcp_dst=80")).toBe("tcp_dst needs tcp (e.g. tcp,tcp_dst=80)");
    expect(parseFlow("udp,tcp_dst=80")).toBe("tcp_dst needs tcp (e.g. tcp,tcp_dst=80)");
    expect(parseFlow("tcp,udp")).toBe("two protocols: tcp and udp");
    expect(parseFlow("tcp,tcp_dst=http")).toBe("tcp_dst needs an integer from 0 to 65535, e.g. tcp_dst=80");
    expect(parseFlow("tcp,tcp_dst=70000")).toMatch(/^tcp_dst needs an integer/);
    expect(parseFlow("tcp,tcp_dst")).toMatch(/^tcp_dst needs an integer/);
    expect(parseFlow("tcp=6")).toBe('"tcp" takes no value');
    expect(parseFlow("tcp,tcp_dst=1=2")).toBe('"tcp_dst=1=2" is not KEY or KEY=VALUE');
  });
});
