// Egress failover on a real lab, as Antrea's testEgressNodeFailure: the Egress Node's agent is stopped (SIGSTOP);
// the other agents declare it dead and the other Node of the pool takes the IP, announces it and SNATs the Pod on
// the control-plane node again, measured from the stop to the first request the new Node SNATed. After SIGCONT the
// IP moves back (non-sticky) and ends up on exactly one Node. Cutting the Egress Node's underlay link fails over
// the same way. Times are printed; the limit is Antrea's e2e one (10 s).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EGRESS_NODES, EgressLab, until } from "./test-egress-lab.ts";

const ANTREA_LIMIT_MS = 10_000;
const lab = new EgressLab();
let ip: string;
let owner: string;
let other: string;
/** Faults to undo if a test fails half-way, so that teardown and the following tests see a working lab. */
const undo: (() => Promise<void>)[] = [];

beforeAll(async () => {
  await lab.up();
  await lab.deploy();
  const { value } = await until(
    "the Egress to be assigned",
    () => lab.egress(),
    (e) => e.egressNode !== undefined,
  );
  ip = value.egressIP!;
  owner = value.egressNode!;
  other = EGRESS_NODES.find((n) => n !== owner)!;
  await until(
    "Pod d seen as the Egress IP",
    () => lab.clientIP("d"),
    (seen) => seen === ip,
  );
}, 180_000);

afterAll(async () => {
  for (const u of undo.splice(0).reverse()) await u().catch(() => {});
  await lab.down();
}, 120_000);

const signal = (node: string, sig: "SIGSTOP" | "SIGCONT") =>
  lab.provider.fault(lab.name, { type: "signal", node, process: "agent", signal: sig });
const link = (node: string, state: "down" | "up") =>
  lab.provider.fault(lab.name, { type: "link", node, state });

/** From now until the Pod's request is SNATed by `node` (its SNAT rule counts it) and seen as the Egress IP. */
async function untilSNATedBy(node: string, since: number): Promise<number> {
  const before = await lab.snatPackets(node);
  await until(
    `Pod d SNATed by ${node}`,
    async () => (await lab.clientIP("d", 0.5)) === ip && (await lab.snatPackets(node)) > before,
    Boolean,
  );
  return Date.now() - since;
}

describe("Egress failover", () => {
  it("moves the IP to the other Node when the Egress Node's agent is stopped", async () => {
    const stoppedAt = Date.now();
    await signal(owner, "SIGSTOP");
    undo.push(() => signal(owner, "SIGCONT"));
    await until(
      "status.egressNode to change",
      () => lab.egress(),
      (e) => e.egressNode === other,
    );
    const statusMs = Date.now() - stoppedAt;
    const failover = await untilSNATedBy(other, stoppedAt);
    console.log(
      `failover after SIGSTOP of ${owner}'s agent: status.egressNode=${other} after ${statusMs} ms, ` +
        `first request SNATed by ${other} after ${failover} ms`,
    );
    expect(failover).toBeLessThan(ANTREA_LIMIT_MS);
    expect(await lab.holders(ip)).toContain(other);
  });

  it("moves it back when the agent continues, and only the original Node keeps it", async () => {
    const continuedAt = Date.now();
    await signal(owner, "SIGCONT");
    undo.pop();
    await until(
      "status.egressNode back",
      () => lab.egress(),
      (e) => e.egressNode === owner,
    );
    const failback = await untilSNATedBy(owner, continuedAt);
    const { ms } = await until(
      "the IP on exactly one Node",
      () => lab.holders(ip),
      (h) => h.join() === owner,
    );
    console.log(
      `fail-back after SIGCONT: first request SNATed by ${owner} after ${failback} ms; other Node released it ${ms} ms later`,
    );
    expect(failback).toBeLessThan(ANTREA_LIMIT_MS);
  });

  it("fails over when the Egress Node's underlay link goes down, and back when it returns", async () => {
    const cutAt = Date.now();
    await link(owner, "down");
    undo.push(() => link(owner, "up"));
    const failover = await untilSNATedBy(other, cutAt);
    console.log(
      `failover after link down of ${owner}: first request SNATed by ${other} ${failover} ms after the cut`,
    );
    expect(failover).toBeLessThan(ANTREA_LIMIT_MS);
    expect((await lab.egress()).egressNode).toBe(other);

    const restoredAt = Date.now();
    await link(owner, "up");
    undo.pop();
    await until(
      "status.egressNode back",
      () => lab.egress(),
      (e) => e.egressNode === owner,
      20_000,
    );
    const failback = await untilSNATedBy(owner, restoredAt);
    await until(
      "the IP on exactly one Node",
      () => lab.holders(ip),
      (h) => h.join() === owner,
    );
    console.log(
      `fail-back after link up: first request SNATed by ${owner} ${failback} ms after the link returned`,
    );
  });
});
