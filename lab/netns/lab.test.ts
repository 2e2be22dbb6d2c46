// Real labs: namespaces, OVS daemons and packets. Every lab built here is checked for leftovers after teardown.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { contains, mustParseCidr, parseCidr } from "../common/ipv4.ts";
import { underlayPingMatrix } from "../connectivity.ts";
import type { LabStatus } from "../provider.ts";
import { runCli, startCli, uniqueLabName } from "../testing/lab-fixture.ts";
import { loadTopology } from "../topology/load.ts";
import { describeLeftovers, findLeftovers } from "./leaks.ts";
import { Ledger, labStateDir } from "./ledger.ts";
import { NetnsProvider } from "./provider.ts";

const provider = new NetnsProvider();
const defaultTopology = new URL("../topologies/default.yaml", import.meta.url).pathname;
const created: string[] = [];

async function up(name = uniqueLabName()): Promise<LabStatus> {
  created.push(name);
  const { spec } = await loadTopology(defaultTopology);
  return provider.up(spec, { name });
}

async function downAndCheck(name: string): Promise<void> {
  const report = await provider.down(name);
  expect(report.existed).toBe(true);
  expect(describeLeftovers(await findLeftovers(name))).toBe("");
}

afterAll(async () => {
  // whatever a failed test left: remove it, then fail loudly if anything survives
  for (const name of created) await provider.down(name);
  for (const name of created) expect(describeLeftovers(await findLeftovers(name))).toBe("");
});

describe("embedded lab (netns provider)", () => {
  it("brings up the default lab: every node and the external host reach each other over the underlay", async () => {
    const status = await up();
    expect(status.hosts.map((h) => [h.name, h.role, h.state])).toEqual([
      ["control-plane", "control-plane", "running"],
      ["worker", "worker", "running"],
      ["worker2", "worker", "running"],
      ["ext", "external", "running"],
    ]);
    expect(status.hosts.filter((h) => h.podCIDR).map((h) => h.podCIDR)).toEqual([
      "10.244.0.0/24",
      "10.244.1.0/24",
      "10.244.2.0/24",
    ]);
    const matrix = await underlayPingMatrix(provider, status);
    expect(matrix).toHaveLength(12);
    expect(matrix.filter((r) => !r.ok)).toEqual([]);

    // No DUP! replies: the node kernel must not also answer frames that OVS reads from eth0.
    const cp = status.hosts[0]!;
    const ping = await provider.exec(status.name, { kind: "external", name: "ext" }, [
      "ping",
      "-c",
      "3",
      "-i",
      "0.2",
      cp.address,
    ]);
    expect(ping.code).toBe(0);
    expect(ping.stdout).not.toContain("DUP!");

    await downAndCheck(status.name);
    expect((await provider.down(status.name)).existed).toBe(false); // idempotent
  });

  it("runs commands in a node with that node's OVS, and returns the command's exit code", async () => {
    const status = await up();
    const show = await provider.exec(status.name, { kind: "node", name: "worker" }, ["ovs-vsctl", "show"]);
    expect(show.code).toBe(0);
    expect(show.stdout).toMatch(/Bridge br-phy\s+datapath_type: netdev/);
    const br = await provider.exec(status.name, { kind: "node", name: "worker" }, [
      "ovs-vsctl",
      "get",
      "bridge",
      "br-phy",
      "datapath_type",
    ]);
    expect(br.stdout.trim()).toBe("netdev");
    const code = await provider.exec(status.name, { kind: "node", name: "worker2" }, ["sh", "-c", "exit 7"]);
    expect(code.code).toBe(7);
    await expect(provider.exec(status.name, { kind: "node", name: "nope" }, ["true"])).rejects.toThrow(
      /no node "nope"/,
    );

    // Lab traffic stays in the lab: the only routes are the underlay's own (no default route anywhere).
    for (const host of status.hosts) {
      const target =
        host.role === "external"
          ? ({ kind: "external", name: host.name } as const)
          : ({ kind: "node", name: host.name } as const);
      const routes = await provider.exec(status.name, target, [
        "ip",
        "-4",
        "route",
        "show",
        "table",
        "all",
        "type",
        "unicast",
      ]);
      const dsts = routes.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]);
      // Nodes also route Pod CIDRs (their own and their peers', via antrea-gw0); nothing else, no default route.
      const pods = mustParseCidr(status.topology.network.pods);
      const foreign = dsts.filter((d) => {
        if (d === status.topology.network.underlay) return false;
        const cidr = parseCidr(d ?? "");
        return !(host.role !== "external" && cidr && contains(pods, cidr.base));
      });
      expect(foreign, `routes of ${host.name}: ${dsts.join(", ")}`).toEqual([]);
      expect(dsts).toContain(status.topology.network.underlay);
      const get = await provider.exec(status.name, target, ["ip", "route", "get", "192.0.2.1"]);
      expect(get.code, `${host.name} must have no route to 192.0.2.1`).not.toBe(0);
    }
    await downAndCheck(status.name);
  });

  it("runs two labs side by side; removing one leaves the other intact and working", async () => {
    const [a, b] = await Promise.all([up(), up()]);
    expect(a.topology.network.underlay).not.toBe(b.topology.network.underlay);
    await downAndCheck(a.name);
    const again = await provider.status(b.name);
    expect(again?.hosts.every((h) => h.state === "running")).toBe(true);
    const matrix = await underlayPingMatrix(provider, again!);
    expect(matrix.filter((r) => !r.ok)).toEqual([]);
    await downAndCheck(b.name);
  });

  it("injects faults: a cut underlay link isolates a node until restored; a killed daemon shows in status", async () => {
    const status = await up();
    const [cp, worker] = status.hosts;
    const ping = () =>
      provider.exec(status.name, { kind: "node", name: worker!.name }, [
        "ping",
        "-c",
        "1",
        "-W",
        "1",
        cp!.address,
      ]);
    await provider.fault(status.name, { type: "link", node: worker!.name, state: "down" });
    expect((await ping()).code).not.toBe(0);
    await provider.fault(status.name, { type: "link", node: worker!.name, state: "up" });
    // OVS notices the carrier coming back on its next poll of eth0: allow it a moment
    await expect.poll(async () => (await ping()).code, { timeout: 5000, interval: 100 }).toBe(0);

    await provider.fault(status.name, {
      type: "signal",
      node: worker!.name,
      process: "ovs-vswitchd",
      signal: "SIGKILL",
    });
    await expect
      .poll(async () => (await provider.status(status.name))?.hosts[1]?.state, { timeout: 3000 })
      .toBe("degraded");
    await downAndCheck(status.name);
  });

  it("records every process and namespace in the ledger before use", async () => {
    const status = await up();
    const entries = await new Ledger(labStateDir(status.name)).entries();
    const netns = entries.filter((e) => e.kind === "netns").map((e) => (e.kind === "netns" ? e.name : ""));
    expect(netns.sort()).toEqual(
      [`ol-${status.name}`, ...status.hosts.map((h) => `ol-${status.name}-${h.name}`)].sort(),
    );
    const withPid = entries.filter((e) => e.kind === "process" && e.pid !== undefined);
    const nodes = status.hosts.filter((h) => h.role !== "external").map((h) => h.name);
    const perNode = ["ovsdb-server", "ovs-vswitchd", "kubelet", "agent"];
    expect(withPid.map((e) => (e.kind === "process" ? `${e.host}/${e.name}` : "")).sort()).toEqual(
      [
        ...nodes.flatMap((n) => perNode.map((p) => `${n}/${p}`)),
        "control-plane/control-plane",
        "control-plane/controller",
        "ext/netexec",
      ].sort(),
    );
    const data = JSON.parse(await readFile(join(labStateDir(status.name), "topology-data.json"), "utf8"));
    expect(data.topology.name).toBe(status.name);
    await downAndCheck(status.name);
  });
});

describe("ovslab CLI lifecycle", () => {
  it("up from the CLI returns with the lab running; status -o json lists it; down removes it", async () => {
    const name = uniqueLabName();
    created.push(name);
    const upRes = await runCli(["up", "--name", name]);
    expect(upRes.code, upRes.stderr).toBe(0);
    expect(upRes.stderr).toMatch(/✓ node worker .* with Open vSwitch \(\d+ ms\)/);
    const json = await runCli(["status", "--name", name, "-o", "json"]);
    const status = JSON.parse(json.stdout) as LabStatus;
    expect(status.hosts.map((h) => h.name)).toEqual(["control-plane", "worker", "worker2", "ext"]);
    const vsctl = (...args: string[]) =>
      runCli(["exec", "--name", name, "node/worker", "--", "ovs-vsctl", ...args]);
    expect((await vsctl("br-exists", "br-phy")).code).toBe(0);
    expect((await vsctl("br-exists", "br-int")).code).toBe(0); // created by the node's agent
    const missing = await vsctl("br-exists", "br-nope");
    expect(missing.code).toBe(2); // ovs-vsctl's own exit code for "no such bridge"
    const down = await runCli(["down", "--name", name]);
    expect(down.stdout).toMatch(new RegExp(`lab ${name} removed`));
    expect(describeLeftovers(await findLeftovers(name))).toBe("");
  });

  /** Starts `ovslab up`, and once the underlay exists (nodes are being built) sends it `signal`. */
  async function interruptUp(signal: NodeJS.Signals): Promise<{ name: string; code: number }> {
    const name = uniqueLabName();
    created.push(name);
    const cli = startCli(["up", "--name", name]);
    await cli.waitFor(/✓ underlay/);
    cli.child.kill(signal);
    return { name, code: await cli.exited };
  }

  it("kill -9 of the CLI in the middle of up, then down, leaves nothing behind", async () => {
    const { name } = await interruptUp("SIGKILL");
    expect(await provider.list()).toContain(name);
    const down = await runCli(["down", "--name", name]);
    expect(down.code, down.stderr).toBe(0);
    expect(describeLeftovers(await findLeftovers(name))).toBe("");
  });

  it("kill -9 mid-up is also swept by down --all", async (ctx) => {
    // --all removes every lab on the machine: never run it over a lab that a developer has up
    const others = (await provider.list()).filter((l) => !created.includes(l));
    if (others.length) ctx.skip(`labs not made by this test exist (${others.join(", ")})`);
    const { name } = await interruptUp("SIGKILL");
    const down = await runCli(["down", "--all"]);
    expect(down.stdout).toMatch(new RegExp(`lab ${name} removed`));
    expect(describeLeftovers(await findLeftovers(name))).toBe("");
  });

  it("SIGINT during up rolls back by itself and exits 130", async () => {
    const { name, code } = await interruptUp("SIGINT");
    expect(code).toBe(130);
    expect(describeLeftovers(await findLeftovers(name))).toBe("");
  });

  it("an invalid topology is rejected with file:line:column and exit 2 before anything is created", async () => {
    const name = uniqueLabName();
    const bad = join(labStateDir(name), "..", `${name}-bad.yaml`);
    const { writeFile, rm } = await import("node:fs/promises");
    await writeFile(bad, "name: x\ntopology:\n  nodes:\n    cp: { role: control-plane, cpu: 4 }\n");
    try {
      const res = await runCli(["up", "-t", bad, "--name", name]);
      expect(res.code).toBe(2);
      expect(res.stderr).toContain(`${bad}:4:32: unknown field "cpu" in topology.nodes.cp`);
      expect(describeLeftovers(await findLeftovers(name))).toBe("");
      const validate = await runCli(["validate", bad, defaultTopology]);
      expect(validate.code).toBe(2);
      expect(validate.stdout).toContain(`ok  ${defaultTopology}`);
    } finally {
      await rm(bad, { force: true });
    }
  });
});
