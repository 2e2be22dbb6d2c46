// The liveness protocol with real UDP sockets on loopback addresses: this process is one member, two others are
// processes of their own that the test stops (SIGSTOP) and continues (SIGCONT), as Antrea's failover test does.
import { createSocket } from "node:dgram";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunningProcess, startProcess } from "../../../lab/control-plane/testing/test-cluster.ts";
import { NodeLiveness, type Peer } from "./liveness.ts";

const PORT = 20_000 + Math.floor(Math.random() * 10_000);
const MEMBERS: Peer[] = [
  { name: "m1", ip: "127.0.0.11" },
  { name: "m2", ip: "127.0.0.12" },
  { name: "m3", ip: "127.0.0.13" },
];
const quiet = { info: () => {}, warn: () => {}, error: () => {} };

let self: NodeLiveness | undefined;
const changes: { at: number; alive: string }[] = [];
const children = new Map<string, { proc: RunningProcess; pid: number }>();

function aliveNow(): string {
  return [...(self?.aliveNodes() ?? [])].sort().join(",");
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
  return Date.now() - start;
}

beforeAll(async () => {
  for (const m of MEMBERS.slice(1)) {
    const proc = startProcess([
      process.execPath,
      "--import",
      "tsx",
      join(import.meta.dirname, "test-liveness-member.ts"),
      m.name,
      m.ip,
      String(PORT),
      JSON.stringify(MEMBERS),
    ]);
    await proc.waitFor(/pid \d+/, 20_000);
    const pid = Number(/pid (\d+)/.exec(proc.output())![1]);
    children.set(m.name, { proc, pid });
  }
  self = await NodeLiveness.start({
    self: MEMBERS[0]!,
    port: PORT,
    onChange: () => changes.push({ at: Date.now(), alive: aliveNow() }),
    log: quiet,
  });
  self.setPeers(MEMBERS);
}, 60_000);

afterAll(async () => {
  await self?.stop();
  for (const { proc, pid } of children.values()) {
    try {
      process.kill(pid, "SIGCONT");
    } catch {
      // already gone
    }
    await proc.stop();
  }
});

describe("NodeLiveness", () => {
  it("sees every member alive once the first probes are answered", async () => {
    await self!.settled();
    await until("all alive", () => aliveNow() === "m1,m2,m3");
    const m3 = children.get("m3")!.proc;
    await m3.waitFor("alive m1,m2,m3");
  });

  it("ignores datagrams that are not its messages", async () => {
    const socket = createSocket("udp4");
    for (const junk of ["hello", '{"type":"ack","seq":"x"}', '{"type":"ping","seq":1,"from":{"name":""}}']) {
      await new Promise<void>((r) => socket.send(junk, PORT, "127.0.0.11", () => r()));
    }
    socket.close();
    await sleep(300);
    expect(aliveNow()).toBe("m1,m2,m3");
  });

  it("declares a stopped member dead within about two seconds, here and on the other member", async () => {
    const m2 = children.get("m2")!;
    const stoppedAt = Date.now();
    process.kill(m2.pid, "SIGSTOP");
    const took = await until("m2 dead", () => aliveNow() === "m1,m3");
    console.log(`m2 stopped: declared dead by m1 after ${took} ms`);
    expect(Date.now() - stoppedAt).toBeLessThan(5000);
    await children.get("m3")!.proc.waitFor("alive m1,m3", 5000);
  });

  it("takes a continued member back at once, and the member notices it was paused", async () => {
    const m2 = children.get("m2")!;
    // Long enough that every timer of the stopped process is stale when it runs again.
    await sleep(1000);
    const outputBefore = m2.proc.output().length;
    process.kill(m2.pid, "SIGCONT");
    const took = await until("m2 alive", () => aliveNow() === "m1,m2,m3");
    console.log(`m2 continued: alive again for m1 after ${took} ms`);
    expect(took).toBeLessThan(2000);
    await m2.proc.waitFor("resumed", 5000);
    // The resumed member never declared the others dead on its stale timers.
    expect(m2.proc.output().slice(outputBefore)).not.toContain("alive m2\n");
  });

  it("counts a member whose process exited as dead, and reports each change once", async () => {
    const before = changes.length;
    await children.get("m3")!.proc.stop();
    await until("m3 dead", () => aliveNow() === "m1,m2");
    expect(changes.slice(before).map((c) => c.alive)).toEqual(["m1,m2"]);
  });
});
