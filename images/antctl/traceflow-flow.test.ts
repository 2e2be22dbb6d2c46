import { describe, expect, it } from "vitest";
import { parseFlow } from "./traceflow-flow.ts";

describe("parseFlow (-f/--flow)", () => {
  it("leaves the protocol out when none is named (the agent then injects ICMP)", () => {
    expect(parseFlow("")).toEqual({ ipHeader: {}, transportHeader: {} });
  });

  it("sets the protocol and the TCP/UDP fields, ignoring spaces", () => {
    expect(parseFlow("tcp, tcp_src=1234,tcp_dst=80, tcp_flags=18")).toEqual({
      ipHeader: { protocol: 6 },
      transportHeader: { tcp: { srcPort: 1234, dstPort: 80, flags: 18 } },
    });
    expect(parseFlow("udp,udp_dst=53")).toEqual({
      ipHeader: { protocol: 17 },
      transportHeader: { udp: { dstPort: 53 } },
    });
    expect(parseFlow("icmp")).toEqual({ ipHeader: { protocol: 1 }, transportHeader: {} });
  });

  it("keeps tcp_flags=0 (a pointer in Antrea) but drops zero ports (omitempty)", () => {
    expect(parseFlow("tcp_flags=0,tcp_dst=0")).toEqual({
      ipHeader: {},
      transportHeader: { tcp: { flags: 0 } },
    });
  });

  it("puts the protocol in an IPv6 header with ipv6", () => {
    expect(parseFlow("ipv6,udp")).toEqual({ ipv6Header: { nextHeader: 17 }, transportHeader: {} });
    expect(parseFlow("ipv6")).toEqual({ ipv6Header: {}, transportHeader: {} });
  });

  it("ignores keys it does not know, as Antrea does", () => {
    expect(parseFlow("tcp,nw_ttl=5,sctp,,")).toEqual({ ipHeader: { protocol: 6 }, transportHeader: {} });
  });

  it("refuses malformed fields and non-integers with Antrea's messages", () => {
    expect(() => parseFlow("tcp_dst=")).toThrow("error when parsing the flow: tcp_dst= is not valid in flow");
    expect(() => parseFlow("a=1=2")).toThrow("error when parsing the flow: a=1=2 is not valid in flow");
    expect(() => parseFlow("tcp,tcp_dst=http")).toThrow(
      'error when parsing the flow: strconv.Atoi: parsing "http": invalid syntax',
    );
    expect(() => parseFlow("nw_dst=10.0.0.1")).toThrow(
      'error when parsing the flow: strconv.Atoi: parsing "10.0.0.1": invalid syntax',
    );
    expect(() => parseFlow("udp_dst=99999999999999999999")).toThrow("value out of range");
  });

  it("converts to int32 as Go does (sign allowed, wraps)", () => {
    expect(parseFlow("udp_dst=+53").transportHeader).toEqual({ udp: { dstPort: 53 } });
    expect(parseFlow("udp_dst=4294967349").transportHeader).toEqual({ udp: { dstPort: 53 } });
  });
});
