// The flow syntax's two readings: antctl's (flowFields + flowPacket) and the harness's strict one (checkFlow). The
// wrappers' own tests (images/antctl, harness/scenario/steps) cover the messages their users see.
import { describe, expect, it } from "vitest";
import { checkFlow, FlowSyntaxError, flowFields, flowPacket } from "./traceflow-flow.ts";

const antctlPacket = (flow: string) => flowPacket(flowFields(flow));

describe("flowFields + flowPacket (antctl's reading)", () => {
  it("sends the packet's keys in antctl's order, whatever the order of the flow", () => {
    expect(JSON.stringify(antctlPacket("udp_dst=53,tcp_flags=2,tcp_dst=80,tcp_src=1,tcp"))).toBe(
      '{"ipHeader":{"protocol":6},"transportHeader":{"tcp":{"srcPort":1,"dstPort":80,"flags":2},"udp":{"dstPort":53}}}',
    );
  });

  it("takes the first protocol in icmp, tcp, udp order, and keeps keys it does not know out of the packet", () => {
    expect(antctlPacket("udp,tcp,icmp,nw_ttl=5")).toEqual({ ipHeader: { protocol: 1 }, transportHeader: {} });
    expect(flowFields("nw_ttl=5,sctp")).toEqual(
      new Map([
        ["nw_ttl", 5],
        ["sctp", 0],
      ]),
    );
  });

  it("throws FlowSyntaxError with Antrea's inner message, for the caller to word", () => {
    expect(() => flowFields("tcp,tcp_dst=")).toThrow(FlowSyntaxError);
    expect(() => flowFields("tcp,tcp_dst=")).toThrow(/^tcp_dst= is not valid in flow$/);
    expect(() => flowFields("tcp_dst=0x50")).toThrow(/^strconv\.Atoi: parsing "0x50": invalid syntax$/);
  });
});

describe("checkFlow (the harness's reading)", () => {
  it("leaves out the empty headers antctl sends, and names ICMP over IPv6 as ICMPv6", () => {
    expect(antctlPacket("")).toEqual({ ipHeader: {}, transportHeader: {} });
    expect(checkFlow("").packet).toEqual({});
    expect(antctlPacket("ipv6,icmp")).toEqual({ ipv6Header: { nextHeader: 1 }, transportHeader: {} });
    expect(checkFlow("ipv6,icmp").packet).toEqual({ ipv6Header: { nextHeader: 58 } });
    expect(checkFlow("ipv6").packet).toEqual({ ipv6Header: {} });
  });

  it("refuses keys that only an object's prototype has", () => {
    for (const key of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      expect(() => checkFlow(`tcp,${key}`)).toThrow(`unknown flow field "${key}"`);
    }
  });

  it("reads integers as antctl does, so it accepts no value that antctl refuses", () => {
    expect(checkFlow("tcp,tcp_dst=+80").dstPort).toBe(80);
    for (const value of ["0x50", "1e2", "80.0", "", "-1"]) {
      expect(() => checkFlow(`tcp,tcp_dst=${value}`)).toThrow(FlowSyntaxError);
    }
  });

  it("yields, for every flow it accepts, the protocol and ports antctl would send", () => {
    const flows = [
      "icmp",
      "tcp",
      "udp",
      "ipv6,tcp",
      "ipv6,udp,udp_dst=53",
      "tcp,tcp_src=1234,tcp_dst=80,tcp_flags=18",
      "udp, udp_src=1, udp_dst=65535",
      "tcp,tcp_flags=0",
    ];
    for (const flow of flows) {
      const strict = checkFlow(flow).packet;
      const antctl = antctlPacket(flow);
      expect(strict.transportHeader ?? {}, flow).toEqual(antctl.transportHeader);
      expect(strict.ipHeader ?? {}, flow).toEqual(antctl.ipHeader ?? {});
      expect(strict.ipv6Header, flow).toEqual(antctl.ipv6Header);
    }
  });
});
