import { describe, expect, it } from "vitest";
import { portMatches, portRangeMasks } from "./port-match.ts";

describe("ports as matches", () => {
  it("renders a port, a protocol and a range as ovs-ofctl prints them", () => {
    expect(portMatches({ protocol: "TCP", port: 80 })).toEqual([["tcp", "tp_dst=80"]]);
    expect(portMatches({ protocol: "UDP" })).toEqual([["udp"]]);
    expect(portMatches({ protocol: "SCTP", port: 8080, endPort: 8095 })).toEqual([
      ["sctp", "tp_dst=0x1f90/0xfff0"],
    ]);
    expect(portMatches({ protocol: "TCP", port: 1000, endPort: 1002 })).toEqual([
      ["tcp", "tp_dst=0x3e8/0xfffe"],
      ["tcp", "tp_dst=1002"],
    ]);
  });

  it("covers every port of a range exactly once and nothing outside it", () => {
    for (const [start, end] of [
      [0, 65535],
      [1, 65534],
      [1000, 1002],
      [32768, 32768],
      [8080, 8443],
      [3, 17],
    ] as const) {
      const blocks = portRangeMasks(start, end);
      const hits = (port: number) => blocks.filter((b) => (port & b.mask) === b.value).length;
      const wrong: number[] = [];
      for (let port = Math.max(0, start - 2); port <= Math.min(65535, end + 2); port++) {
        if (hits(port) !== (port >= start && port <= end ? 1 : 0)) wrong.push(port);
      }
      expect(wrong, `${start}-${end}`).toEqual([]);
      expect(blocks.length).toBeLessThanOrEqual(30);
    }
    expect(() => portRangeMasks(90, 80)).toThrow(/invalid port range/);
  });
});
