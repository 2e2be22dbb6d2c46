// Egress on a real lab (the reference stack as `up` starts it): the IP from the pool lands on the Node the
// consistent hash names, on that Node only; the external host sees it for a Pod on that Node, for a Pod on the
// other worker and for one on the control-plane node (tunnelled to the Egress IP), and the node IP for a Pod the
// Egress does not select; kubectl shows Antrea's columns; deleting the Egress restores node SNAT.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConsistentHash } from "./consistent-hash.ts";
import { EGRESS_NODES, EgressLab, NAMESPACE, until } from "./test-egress-lab.ts";

const lab = new EgressLab();
let ip: string;
let owner: string;

beforeAll(async () => {
  await lab.up();
  await lab.deploy();
}, 180_000);

afterAll(async () => {
  await lab.down();
}, 120_000);

describe("Egress client IP", () => {
  it("allocates the pool's first IP and assigns it to the Node the hash ring names, and to no other", async () => {
    const { value } = await until(
      "the Egress to be assigned",
      () => lab.egress(),
      (e) => e.egressNode !== undefined,
    );
    ip = value.egressIP!;
    owner = value.egressNode!;
    expect(ip).toBe(lab.underlayIP(200));
    expect(owner).toBe(new ConsistentHash(EGRESS_NODES).get(ip));
    expect(value.conditions.map((c) => [c.type, c.status, c.reason])).toEqual(
      expect.arrayContaining([
        ["IPAllocated", "True", "Allocated"],
        ["IPAssigned", "True", "Assigned"],
      ]),
    );
    await until(
      "the IP on exactly its Node",
      () => lab.holders(ip),
      (h) => h.join() === owner,
    );
  });

  it("shows EGRESSIP and NODE in kubectl get egress", async () => {
    const [head, row] = (await lab.kubectl(["get", "egress", "egress"])).split("\n");
    expect(head).toMatch(/^NAME\s+EGRESSIP\s+AGE\s+NODE\s*$/);
    expect(row).toMatch(new RegExp(`^egress\\s+${ip.replaceAll(".", "\\.")}\\s+\\S+\\s+${owner}\\s*$`));
    expect(await lab.kubectl(["get", "eip", "pool", "-o", "jsonpath={.status.usage}"])).toBe(
      '{"total":2,"used":1}',
    );
  });

  it("SNATs a local Pod, Pods on other Nodes and nothing the Egress does not select", async () => {
    const local = owner === "worker" ? "a" : "b";
    const remote = owner === "worker" ? "b" : "a";
    for (const pod of [local, remote, "d"] as const) {
      await until(
        `Pod ${pod} seen as ${ip}`,
        () => lab.clientIP(pod),
        (seen) => seen === ip,
        10_000,
      );
    }
    expect(await lab.clientIP("c")).toBe(lab.host("worker").address);
  });

  it("realizes Antrea's SNAT rule and EgressMark flows", async () => {
    const rules = await lab.onNode(owner, ["iptables", "-t", "nat", "-S", "ANTREA-POSTROUTING"]);
    expect(rules).toMatch(
      new RegExp(
        `! -o antrea-gw0 -m comment --comment "Antrea: SNAT Pod to external packets" -m mark --mark 0x1/0xff -j SNAT --to-source ${ip.replaceAll(".", "\\.")}\\n[\\s\\S]*MASQUERADE`,
      ),
    );
    const dump = (node: string) =>
      lab.onNode(node, [
        "ovs-ofctl",
        "-O",
        "OpenFlow15",
        "dump-flows",
        "--names",
        "br-int",
        "table=EgressMark",
      ]);
    expect(await dump(owner)).toContain(`tun_dst=${ip} actions=set_field:0x1/0xff->pkt_mark`);
    expect(await dump("control-plane")).toContain(`set_field:${ip}->tun_dst`);
    expect(await lab.snatPackets(owner)).toBeGreaterThan(0);
  });

  it("gives the Pods their node's IP back and releases the IP when the Egress is deleted", async () => {
    await lab.kubectl(["delete", "egress", "egress"]);
    await until(
      "Pod d seen as its node",
      () => lab.clientIP("d"),
      (seen) => seen === lab.host("control-plane").address,
    );
    await until(
      "the IP released",
      () => lab.holders(ip),
      (h) => h.length === 0,
    );
    expect(await lab.onNode(owner, ["iptables", "-t", "nat", "-S", "ANTREA-POSTROUTING"])).not.toContain(
      "SNAT",
    );
    await until(
      "the pool's usage",
      () => lab.kubectl(["get", "eip", "pool", "-o", "jsonpath={.status.usage.used}"]),
      (used) => used === "0",
    );
    expect(await lab.kubectl(["get", "pods", "-n", NAMESPACE, "-o", "name"])).toContain("pod/d");
  });
});
