// Pool arithmetic as Antrea's ipallocator counts it, and allocation from scratch on every sync.
import { describe, expect, it } from "vitest";
import { allocate, type EgressClaim } from "./allocation.ts";
import { type IPRange, parseIPRange, rangeTotal } from "./ip-ranges.ts";

const range = (r: Parameters<typeof parseIPRange>[0]): IPRange => {
  const parsed = parseIPRange(r);
  if (!parsed) throw new Error(`bad range ${JSON.stringify(r)}`);
  return parsed;
};

describe("ExternalIPPool ranges", () => {
  it("counts a CIDR without its network and broadcast addresses, and start-end inclusively", () => {
    expect(rangeTotal(range({ cidr: "169.254.100.0/30" }))).toBe(2);
    expect(rangeTotal(range({ cidr: "10.0.0.0/24" }))).toBe(254);
    expect(rangeTotal(range({ cidr: "10.0.0.7/32" }))).toBe(0);
    expect(rangeTotal(range({ start: "10.0.0.10", end: "10.0.0.20" }))).toBe(11);
    expect(rangeTotal(range({ cidr: "10.0.0.0/8" }))).toBe(65535);
  });

  it("rejects what is not an IPv4 range", () => {
    for (const bad of [
      { cidr: "10.0.0.0/33" },
      { cidr: "x/24" },
      { start: "10.0.0.9", end: "10.0.0.1" },
      {},
    ]) {
      expect(parseIPRange(bad)).toBeUndefined();
    }
  });
});

const claim = (name: string, egressIP = "", pool = "p", created = `2026-01-01T00:00:0${name.length}Z`) => ({
  name,
  created,
  pool,
  egressIP,
});

describe("allocate", () => {
  const pools = new Map([["p", [range({ cidr: "169.254.100.0/30" })]]]);

  it("hands out the lowest free IPs, keeps given ones, and counts usage", () => {
    const { allocations, usage } = allocate([claim("a"), claim("bb", "169.254.100.1")], pools);
    expect(allocations.get("bb")).toEqual({ ok: true, ip: "169.254.100.1", write: false });
    expect(allocations.get("a")).toEqual({ ok: true, ip: "169.254.100.2", write: true });
    expect(usage.get("p")).toEqual({ total: 2, used: 2 });
  });

  it("refuses IPs outside the pool, the broadcast address, and IPs an older Egress holds", () => {
    const claims: EgressClaim[] = [
      claim("old", "169.254.100.1", "p", "2026-01-01T00:00:00Z"),
      claim("young", "169.254.100.1", "p", "2026-01-02T00:00:00Z"),
      claim("outside", "10.9.9.9"),
      claim("broadcast", "169.254.100.3"),
    ];
    const { allocations, usage } = allocate(claims, pools);
    expect(allocations.get("old")).toMatchObject({ ok: true });
    for (const name of ["young", "outside", "broadcast"]) {
      const a = allocations.get(name);
      expect(a).toMatchObject({ ok: false, clear: false });
      expect(a?.ok === false && a.error).toMatch(/cannot allocate IP .* in any range/);
    }
    expect(usage.get("p")).toEqual({ total: 2, used: 1 });
  });

  it("reports an exhausted pool, and a missing pool (clearing an IP taken from it)", () => {
    const { allocations } = allocate(
      [
        claim("a"),
        claim("bb"),
        claim("ccc"),
        claim("gone", "10.0.0.1", "nopool"),
        claim("gone2", "", "nopool"),
      ],
      pools,
    );
    expect(allocations.get("ccc")).toEqual({
      ok: false,
      error: "error when allocating IP for Egress ccc from ExternalIPPool p: cannot allocate IP in any range",
      clear: false,
    });
    expect(allocations.get("gone")).toEqual({
      ok: false,
      error: "ExternalIPPool nopool does not exist",
      clear: true,
    });
    expect(allocations.get("gone2")).toMatchObject({ ok: false, clear: false });
  });
});
