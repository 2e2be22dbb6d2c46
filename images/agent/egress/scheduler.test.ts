// Placement of Egress IPs: the ring (deterministic, minimal movement), and the scheduler's rules on top of it.
import { describe, expect, it } from "vitest";
import { ConsistentHash } from "./consistent-hash.ts";
import type { Egress, ExternalIPPool } from "./crd.ts";
import { MarkAllocator } from "./marks.ts";
import { NO_NODE_AVAILABLE, type NodeInfo, scheduleEgresses } from "./scheduler.ts";

const ips = Array.from({ length: 200 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
const nodes = ["node-0", "node-1", "node-2", "node-3"];

describe("ConsistentHash", () => {
  it("gives the same owner whatever the order the Nodes come in", () => {
    const a = new ConsistentHash(nodes);
    const b = new ConsistentHash([...nodes].reverse());
    expect(ips.map((ip) => a.get(ip))).toEqual(ips.map((ip) => b.get(ip)));
  });

  it("spreads keys over every Node", () => {
    const ring = new ConsistentHash(nodes);
    const counts = new Map<string, number>();
    for (const ip of ips) counts.set(ring.get(ip)!, (counts.get(ring.get(ip)!) ?? 0) + 1);
    expect([...counts.keys()].sort()).toEqual(nodes);
    for (const n of counts.values()) expect(n).toBeGreaterThan(15);
  });

  it("moves only the keys of a Node that leaves, and moves them back when it returns", () => {
    const all = new ConsistentHash(nodes);
    const without = new ConsistentHash(nodes.filter((n) => n !== "node-1"));
    for (const ip of ips) {
      const owner = all.get(ip);
      if (owner !== "node-1") expect(without.get(ip)).toBe(owner);
      else expect(without.get(ip)).not.toBe("node-1");
    }
    const back = new ConsistentHash(nodes);
    expect(ips.map((ip) => back.get(ip))).toEqual(ips.map((ip) => all.get(ip)));
  });

  it("skips Nodes a filter rejects, and has no owner when every Node is rejected or there is none", () => {
    const ring = new ConsistentHash(nodes);
    const owner = ring.get("10.9.9.9")!;
    const next = ring.get("10.9.9.9", (n) => n !== owner);
    expect(next).toBeDefined();
    expect(next).not.toBe(owner);
    expect(ring.get("10.9.9.9", () => false)).toBeUndefined();
    expect(new ConsistentHash([]).get("10.9.9.9")).toBeUndefined();
  });
});

const node = (name: string, labels: Record<string, string> = {}): NodeInfo => ({
  name,
  labels: { "kubernetes.io/hostname": name, ...labels },
});
const pool = (name: string, nodeSelector: ExternalIPPool["spec"]["nodeSelector"] = {}): ExternalIPPool => ({
  metadata: { name },
  spec: { nodeSelector },
});
const allocated = { type: "IPAllocated", status: "True" as const };
function egress(name: string, ip: string, poolName = "p", created = "2026-01-01T00:00:00Z"): Egress {
  return {
    metadata: { name, creationTimestamp: created },
    spec: { egressIP: ip, externalIPPool: poolName, appliedTo: { podSelector: {} } },
    status: { conditions: [allocated] },
  };
}

describe("scheduleEgresses", () => {
  const cluster = [node("a", { egress: "yes" }), node("b", { egress: "yes" }), node("c")];
  const pools = new Map([["p", pool("p", { matchLabels: { egress: "yes" } })]]);

  it("places IPs only on live Nodes that match the pool's nodeSelector, as the ring says", () => {
    const placed = scheduleEgresses(
      ips.slice(0, 50).map((ip, i) => egress(`e${i}`, ip)),
      pools,
      cluster,
      new Set(["a", "b", "c"]),
    );
    const ring = new ConsistentHash(["a", "b"]);
    for (const [i, ip] of ips.slice(0, 50).entries())
      expect(placed.get(`e${i}`)).toEqual({ ip, node: ring.get(ip) });
    const onB = scheduleEgresses([egress("e", ips[0]!)], pools, cluster, new Set(["b", "c"]));
    expect(onB.get("e")).toEqual({ ip: ips[0], node: "b" });
  });

  it("reports no Node available when no live Node matches", () => {
    const placed = scheduleEgresses([egress("e", ips[0]!)], pools, cluster, new Set(["c"]));
    expect(placed.get("e")).toEqual({ ip: ips[0], error: NO_NODE_AVAILABLE });
  });

  it("skips Egresses without a pool, an existing pool, an IP, or a confirmed allocation", () => {
    const unconfirmed = { ...egress("unconfirmed", ips[1]!), status: {} };
    const placed = scheduleEgresses(
      [egress("ok", ips[0]!), egress("nopool", ips[2]!, "gone"), unconfirmed, egress("noip", "")],
      pools,
      cluster,
      new Set(["a", "b"]),
    );
    expect([...placed.keys()]).toEqual(["ok"]);
  });

  it("gives a Node at most maxPerNode IPs, oldest Egress first", () => {
    const older = egress("older", ips[0]!, "p", "2026-01-01T00:00:00Z");
    const newer = egress("newer", ips[1]!, "p", "2026-01-02T00:00:00Z");
    const only = new Map([["p", pool("p", { matchLabels: { "kubernetes.io/hostname": "a" } })]]);
    const placed = scheduleEgresses([newer, older], only, cluster, new Set(["a", "b"]), 1);
    expect(placed.get("older")).toEqual({ ip: ips[0], node: "a" });
    expect(placed.get("newer")).toEqual({ ip: ips[1], error: NO_NODE_AVAILABLE });
  });
});

describe("MarkAllocator", () => {
  it("keeps an IP's mark while it stays and reuses the lowest free one", () => {
    const marks = new MarkAllocator();
    expect([...marks.sync(["10.0.0.2", "10.0.0.1"])]).toEqual([
      ["10.0.0.1", 1],
      ["10.0.0.2", 2],
    ]);
    expect(new Map(marks.sync(["10.0.0.2", "10.0.0.3"]))).toEqual(
      new Map([
        ["10.0.0.2", 2],
        ["10.0.0.3", 1],
      ]),
    );
  });
});
