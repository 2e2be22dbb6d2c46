// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario reference syntax under test
// The egress and fault step kinds as the loader sees them: the shipped scenarios/egress files load, and mistakes in
// either kind are reported at file:line:column. (Their runs are covered by running scenarios/egress on a lab.)
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../../lab/common/source-file.ts";
import { loadScenarioFile, loadScenarios } from "../loader.ts";

const SCENARIOS = new URL("../../../scenarios/egress/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "ovslab-egress-steps-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function problems(steps: string[]): Promise<string[]> {
  const file = join(dir, "steps.yaml");
  writeFileSync(
    file,
    [
      "apiVersion: ovslab.dev/v1alpha1",
      "kind: Scenario",
      "metadata: { name: bad }",
      "spec:",
      "  steps:",
      ...steps,
      "",
    ].join("\n"),
  );
  const err = await loadScenarioFile(file).catch((e: unknown) => e);
  if (!(err instanceof InvalidInputError)) throw new Error(`expected invalid input, got ${String(err)}`);
  return err.problems.map((p) => `${basename(p.file)}:${p.line}:${p.column}: ${p.message}`);
}

describe("scenarios/egress", () => {
  it("loads every Egress scenario, which use the egress and fault steps", async () => {
    const { scenarios } = await loadScenarios([SCENARIOS]);
    expect(scenarios.map((s) => s.name).sort()).toEqual([
      "egress-client-ip",
      "egress-failover",
      "egress-node-selector",
      "egress-update",
    ]);
    const kinds = new Set(scenarios.flatMap((s) => s.steps.map((st) => st.kind.kind)));
    expect(kinds).toContain("egress");
    expect(kinds).toContain("fault");
    const failover = scenarios.find((s) => s.name === "egress-failover")!;
    const titles = failover.steps.map((s) => s.title);
    expect(titles).toContain("egress pod/eg/d seen by ext as 198.51.100.5");
    expect(titles).toContain("stop the Egress Node's agent");
  });
});

describe("egress and fault steps", () => {
  it("accept an IP, ${egress/NAME.ip} and other references, and process or link faults", async () => {
    const file = join(dir, "ok.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: ovslab.dev/v1alpha1",
        "kind: Scenario",
        "metadata: { name: ok }",
        "spec:",
        "  steps:",
        '  - egress: { pod: pod/x/a, expectSourceIP: "${egress/eg-1.ip}", timeout: 5s }',
        '  - egress: { pod: pod/a, expectSourceIP: "${pod/x/a.nodeIP}", ext: ext/ext, port: 8081 }',
        "  - fault: { node: worker, process: agent, action: stop }",
        '  - fault: { node: "${pod/x/a.node}", link: down }',
        "",
      ].join("\n"),
    );
    const s = await loadScenarioFile(file);
    expect(s.steps.map((st) => [st.title, st.timeoutMs])).toEqual([
      ["egress pod/x/a seen by ext as ${egress/eg-1.ip}", 5000],
      ["egress pod/a seen by ext/ext as ${pod/x/a.nodeIP}", 30_000],
      ["fault stop agent on node worker", 30_000],
      ["fault link down on node ${pod/x/a.node}", 30_000],
    ]);
  });

  it("report bad references, targets and fault combinations where they are", async () => {
    expect(
      await problems([
        '  - egress: { pod: node/worker, expectSourceIP: "${egress/eg.port}" }',
        "  - egress: { pod: pod/x/a, expectSourceIP: 10.0.0.1, ext: node/worker }",
        "  - fault: { node: worker, process: agent, link: down }",
        "  - fault: { node: worker, action: stop }",
        "  - fault: { node: worker, process: ovsdb-server, action: restart }",
      ]),
    ).toEqual([
      "steps.yaml:6:20: spec.steps[0].egress.pod: expected pod/..., not node",
      'steps.yaml:6:49: spec.steps[0].egress.expectSourceIP: bad reference "${egress/eg.port}": an Egress has the fields ip and node',
      "steps.yaml:7:60: spec.steps[1].egress.ext: expected ext/..., not node",
      "steps.yaml:8:12: spec.steps[2].fault: a fault is either process + action, or link",
      "steps.yaml:9:12: spec.steps[3].fault.process: process and action go together",
      "steps.yaml:10:37: spec.steps[4].fault.process: ovsdb-server cannot be restarted",
    ]);
  });
});
