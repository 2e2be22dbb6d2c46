import { describe, expect, it } from "vitest";
import { contains, formatCidr, mustParseCidr, nth, overlaps, parseCidr, parseIp, subnet } from "./ipv4.ts";

describe("ipv4", () => {
  it("parses CIDRs and rejects host bits, bad octets and bad prefixes", () => {
    expect(parseCidr("10.244.0.0/16")).toEqual({ base: parseIp("10.244.0.0"), prefix: 16 });
    expect(parseCidr("10.244.1.0/16")).toBeUndefined();
    expect(parseCidr("10.256.0.0/16")).toBeUndefined();
    expect(parseCidr("10.0.0.0/33")).toBeUndefined();
    expect(parseCidr("10.0.0.0")).toBeUndefined();
  });
  it("carves subnets and host addresses", () => {
    const pods = mustParseCidr("10.244.0.0/16");
    expect(formatCidr(subnet(pods, 24, 2))).toBe("10.244.2.0/24");
    expect(() => subnet(pods, 24, 256)).toThrow(/only 256/);
    expect(nth(mustParseCidr("172.18.3.0/24"), 1)).toBe(parseIp("172.18.3.1"));
    expect(contains(pods, parseIp("10.244.200.9")!)).toBe(true);
    expect(contains(pods, parseIp("10.245.0.1")!)).toBe(false);
  });
  it("detects overlaps in both directions", () => {
    expect(overlaps(mustParseCidr("10.0.0.0/8"), mustParseCidr("10.9.0.0/16"))).toBe(true);
    expect(overlaps(mustParseCidr("10.9.0.0/16"), mustParseCidr("10.0.0.0/8"))).toBe(true);
    expect(overlaps(mustParseCidr("10.9.0.0/16"), mustParseCidr("10.10.0.0/16"))).toBe(false);
  });
});
