import { describe, expect, it } from "vitest";
import { parseCidr } from "../ipv4.ts";
import { formatAddress, ipBlockCidrs, subtractCidrs } from "./address-set.ts";

const size = (prefixLength: number) => 2 ** (32 - prefixLength);
const inAny = (ip: number, cidrs: { network: number; prefixLength: number }[]) =>
  cidrs.some((c) => ip >= c.network && ip < c.network + size(c.prefixLength));

describe("ipBlock except as CIDRs", () => {
  it("cuts an exception out of a block with the fewest CIDRs, covering exactly the rest", () => {
    const rest = subtractCidrs(parseCidr("10.0.0.0/8"), [parseCidr("10.1.0.0/16")]);
    expect(rest.map(formatAddress)).toEqual([
      "10.0.0.0/16",
      "10.2.0.0/15",
      "10.4.0.0/14",
      "10.8.0.0/13",
      "10.16.0.0/12",
      "10.32.0.0/11",
      "10.64.0.0/10",
      "10.128.0.0/9",
    ]);
    expect(rest.reduce((n, c) => n + size(c.prefixLength), 0)).toBe(size(8) - size(16));
    const ip = (s: string) => parseCidr(`${s}/32`).network;
    expect(inAny(ip("10.1.2.3"), rest)).toBe(false);
    expect(inAny(ip("10.0.255.255"), rest)).toBe(true);
    expect(inAny(ip("10.2.0.0"), rest)).toBe(true);
    expect(inAny(ip("11.0.0.0"), rest)).toBe(false);
  });

  it("keeps a block an exception misses, drops one an exception covers, and handles several exceptions", () => {
    expect(subtractCidrs(parseCidr("10.0.0.0/24"), [parseCidr("10.0.1.0/24")]).map(formatAddress)).toEqual([
      "10.0.0.0/24",
    ]);
    expect(subtractCidrs(parseCidr("10.0.0.0/24"), [parseCidr("10.0.0.0/16")])).toEqual([]);
    expect(
      subtractCidrs(parseCidr("10.0.0.0/30"), [parseCidr("10.0.0.0/32"), parseCidr("10.0.0.3/32")]).map(
        formatAddress,
      ),
    ).toEqual(["10.0.0.1", "10.0.0.2"]);
  });

  it("reads controlplane ipBlocks, leaving IPv6 out", () => {
    const cidrs = ipBlockCidrs([
      { cidr: { ip: "0.0.0.0", prefixLength: 0 } },
      { cidr: { ip: "::", prefixLength: 0 } },
      { cidr: { ip: "172.16.0.0", prefixLength: 30 }, except: [{ ip: "172.16.0.2", prefixLength: 31 }] },
    ]);
    expect(cidrs.map(formatAddress)).toEqual(["0.0.0.0/0", "172.16.0.0/31"]);
  });
});
