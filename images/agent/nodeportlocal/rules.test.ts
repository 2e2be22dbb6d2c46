// The chain in a real network namespace with the real iptables.
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../common/exec.ts";
import { NodeExec } from "../host/node-exec.ts";
import { NPL_CHAIN, NplRules } from "./rules.ts";

const netns = `npltest-${randomBytes(4).toString("hex")}`;
const exec = new NodeExec(netns);
const natRules = async () =>
  (await exec.output(["iptables", "-t", "nat", "-S"])).split("\n").filter((l) => l.startsWith("-A"));

beforeAll(async () => {
  await run(["ip", "netns", "add", netns]);
});
afterAll(async () => {
  await run(["ip", "netns", "del", netns], { allowFailure: true });
});

describe("NodePortLocal iptables rules", () => {
  it("writes Antrea's chain, jumps and rule text, exactly one rule per mapping", async () => {
    const rules = new NplRules(exec);
    await rules.ensureChain();
    await rules.sync([
      { nodePort: 61001, protocol: "udp", podIP: "10.244.1.2", podPort: 8081 },
      { nodePort: 61000, protocol: "tcp", podIP: "10.244.1.2", podPort: 8080 },
    ]);
    expect(await natRules()).toEqual([
      `-A PREROUTING -m addrtype --dst-type LOCAL -j ${NPL_CHAIN}`,
      `-A OUTPUT -m addrtype --dst-type LOCAL -j ${NPL_CHAIN}`,
      "-A ANTREA-NODE-PORT-LOCAL -p tcp -m tcp --dport 61000 -j DNAT --to-destination 10.244.1.2:8080",
      "-A ANTREA-NODE-PORT-LOCAL -p udp -m udp --dport 61001 -j DNAT --to-destination 10.244.1.2:8081",
    ]);
  });

  it("keeps the rules over a restart until the first sync replaces them, then removes stale ones", async () => {
    await exec.run([
      "iptables",
      "-t",
      "nat",
      "-D",
      NPL_CHAIN,
      "-p",
      "udp",
      "-m",
      "udp",
      "--dport",
      "61001",
      "-j",
      "DNAT",
      "--to-destination",
      "10.244.1.2:8081",
    ]);
    const restarted = new NplRules(exec);
    await restarted.ensureChain();
    const afterStart = await natRules();
    expect(afterStart.filter((r) => r.includes("-j ANTREA-NODE-PORT-LOCAL"))).toHaveLength(2);
    expect(afterStart.filter((r) => r.startsWith(`-A ${NPL_CHAIN}`))).toEqual([
      "-A ANTREA-NODE-PORT-LOCAL -p tcp -m tcp --dport 61000 -j DNAT --to-destination 10.244.1.2:8080",
    ]);
    await restarted.sync([{ nodePort: 61005, protocol: "tcp", podIP: "10.244.1.3", podPort: 80 }]);
    expect((await natRules()).filter((r) => r.startsWith(`-A ${NPL_CHAIN}`))).toEqual([
      "-A ANTREA-NODE-PORT-LOCAL -p tcp -m tcp --dport 61005 -j DNAT --to-destination 10.244.1.3:80",
    ]);
    await restarted.sync([]);
    expect((await natRules()).filter((r) => r.startsWith(`-A ${NPL_CHAIN}`))).toEqual([]);
  });
});
