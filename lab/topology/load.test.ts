import { describe, expect, it } from "vitest";
import { InvalidInputError } from "../common/source-file.ts";
import { loadTopology, parseTopology } from "./load.ts";
import { resolveTopology } from "./resolve.ts";

const good = `name: demo
network:
  underlay: 172.30.5.0/24
topology:
  nodes:
    cp: { role: control-plane }
    w1: { role: worker }
    w2: { role: worker, address: 172.30.5.50 }
  external:
    ext: {}
`;

function problemsOf(text: string): string[] {
  try {
    parseTopology("t.yaml", text);
  } catch (err) {
    if (err instanceof InvalidInputError) return err.message.split("\n");
    throw err;
  }
  throw new Error("expected the topology to be rejected");
}

describe("topology files", () => {
  it("loads the bundled default topology: 1 control-plane, 2 workers, 1 external host", async () => {
    const { spec } = await loadTopology(new URL("../topologies/default.yaml", import.meta.url).pathname);
    const roles = Object.values(spec.topology.nodes).map((n) => n.role);
    expect(roles.sort()).toEqual(["control-plane", "worker", "worker"]);
    expect(Object.keys(spec.topology.external)).toHaveLength(1);
    expect(spec.network.underlay).toBe("auto");
  });

  it("resolves addresses, per-node Pod CIDRs and the Pod MTU", () => {
    const { spec } = parseTopology("t.yaml", good);
    const r = resolveTopology(spec, { underlay: "172.30.5.0/24" });
    expect(r.nodes.map((n) => [n.name, n.address, n.podCIDR])).toEqual([
      ["cp", "172.30.5.2", "10.244.0.0/24"],
      ["w1", "172.30.5.3", "10.244.1.0/24"],
      ["w2", "172.30.5.50", "10.244.2.0/24"],
    ]);
    expect(r.external).toEqual([{ name: "ext", address: "172.30.5.254" }]);
    expect(r.network.hostAddress).toBe("172.30.5.1");
    expect(r.network.podMTU).toBe(1450);
  });

  it("reports an unknown key at its line and column", () => {
    const p = problemsOf(good.replace("    w1: { role: worker }", "    w1: { role: worker, colour: blue }"));
    expect(p).toEqual(['t.yaml:7:25: unknown field "colour" in topology.nodes.w1']);
  });

  it("reports a bad CIDR at the value", () => {
    const p = problemsOf(good.replace("172.30.5.0/24", "172.30.5.7/24"));
    expect(p[0]).toMatch(/^t\.yaml:3:13: network\.underlay: .*/);
  });

  it("reports overlapping subnets", () => {
    const p = problemsOf(
      good.replace("  underlay: 172.30.5.0/24", "  underlay: 172.30.5.0/24\n  services: 10.244.128.0/17"),
    );
    expect(p).toEqual(["t.yaml:4:13: network.services 10.244.128.0/17 overlaps network.pods 10.244.0.0/16"]);
  });

  it("reports duplicate node names (YAML keys) and names shared by a node and an external host", () => {
    expect(problemsOf(good.replace("    w2: {", "    w1: {"))[0]).toMatch(
      /^t\.yaml:8:5: Map keys must be unique/,
    );
    const p = problemsOf(good.replace("    ext: {}", "    w1: {}"));
    expect(p).toEqual(['t.yaml:10:5: name "w1" is already used by a node']);
  });

  it("rejects names too long for interface names, and lab names with '-'", () => {
    const p = problemsOf(good.replace("    w1:", "    worker-with-a-long-name:"));
    expect(p[0]).toMatch(/^t\.yaml:7:5: topology\.nodes\.worker-with-a-long-name: .*at most 15 characters/);
    expect(problemsOf(good.replace("name: demo", "name: averyverylongname"))[0]).toMatch(
      /^t\.yaml:1:7: name: .*at most 12 characters/,
    );
    expect(problemsOf(good.replace("name: demo", "name: my-lab"))[0]).toMatch(/^t\.yaml:1:7: name: .*no '-'/);
  });

  it("requires exactly one control-plane node and addresses inside the underlay", () => {
    expect(problemsOf(good.replace("cp: { role: control-plane }", "cp: { role: worker }"))[0]).toMatch(
      /exactly one node must have role control-plane \(found 0/,
    );
    expect(problemsOf(good.replace("172.30.5.50", "172.30.6.50"))).toEqual([
      "t.yaml:8:34: 172.30.6.50 is outside network.underlay 172.30.5.0/24",
    ]);
  });

  it("reports YAML syntax errors with their position", () => {
    const p = problemsOf("name: demo\ntopology: [unclosed\n");
    expect(p[0]).toMatch(/^t\.yaml:\d+:\d+: /);
  });
});
