import { describe, expect, it } from "vitest";
import type { NplProtocol } from "./annotation.ts";
import { type PodPort, PortTable } from "./port-table.ts";

const free = async () => true;
const pp = (pod: string, podPort = 8080, protocol: NplProtocol = "tcp"): PodPort => ({
  pod: `default/${pod}`,
  podIP: `10.244.1.${pod.length}`,
  podPort,
  protocol,
});

describe("NodePortLocal port table", () => {
  it("gives distinct ports per protocol, and keeps a mapping's port", async () => {
    const t = new PortTable({ start: 61000, end: 61002 });
    expect((await t.add(pp("a"), undefined, free))?.nodePort).toBe(61000);
    expect((await t.add(pp("a"), undefined, free))?.nodePort).toBe(61000);
    expect((await t.add(pp("a", 8081, "udp"), undefined, free))?.nodePort).toBe(61001);
    expect((await t.add(pp("bb"), undefined, free))?.nodePort).toBe(61002);
    // UDP 61000 is still free: ports are unique per protocol.
    expect((await t.add(pp("bb", 53, "udp"), undefined, free))?.nodePort).toBe(61000);
    expect(t.mappings()).toHaveLength(4);
  });

  it("takes a preferred port when it is in range and free, else searches on", async () => {
    const t = new PortTable({ start: 61000, end: 61009 });
    expect((await t.add(pp("a"), 61005, free))?.nodePort).toBe(61005);
    expect((await t.add(pp("bb"), 61005, free))?.nodePort).toBe(61000);
    expect((await t.add(pp("ccc"), 60000, free))?.nodePort).toBe(61001);
  });

  it("skips ports something else holds, and reports exhaustion", async () => {
    const t = new PortTable({ start: 61000, end: 61001 });
    const busy = async (port: number) => port !== 61000;
    expect((await t.add(pp("a"), undefined, busy))?.nodePort).toBe(61001);
    expect(await t.add(pp("bb"), undefined, busy)).toBeUndefined();
    const a = t.get(pp("a"))!;
    t.remove(a);
    expect(t.get(pp("a"))).toBeUndefined();
    expect((await t.add(pp("bb"), undefined, busy))?.nodePort).toBe(61001);
  });

  it("does not hand a released port out again at once", async () => {
    const t = new PortTable({ start: 61000, end: 61002 });
    const a = (await t.add(pp("a"), undefined, free))!;
    t.remove(a);
    expect((await t.add(pp("bb"), undefined, free))?.nodePort).toBe(61001);
    expect((await t.add(pp("ccc"), undefined, free))?.nodePort).toBe(61002);
    expect((await t.add(pp("dddd"), undefined, free))?.nodePort).toBe(61000);
  });
});
