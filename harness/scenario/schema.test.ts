// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario reference syntax under test
// The scenario format: the shipped JSON Schema, the example that documents the format, and file:line:column
// errors for the mistakes authors make.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../lab/common/source-file.ts";
import { loadScenarioFile } from "./loader.ts";
import { jsonSchemaText, SCENARIO_SCHEMA_FILE } from "./schema.ts";

const dir = mkdtempSync(join(tmpdir(), "ovslab-scenario-schema-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const EXAMPLE = new URL("./testdata/example/np-web-allow.yaml", import.meta.url).pathname;

/** Writes the files (name -> text) and returns the problems of loading the first as `FILE:LINE:COL: message`. */
async function problems(files: Record<string, string>): Promise<string[]> {
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  const err = await loadScenarioFile(join(dir, Object.keys(files)[0]!)).catch((e: unknown) => e);
  if (!(err instanceof InvalidInputError)) throw new Error(`expected invalid input, got ${String(err)}`);
  return err.problems.map((p) => `${basename(p.file)}:${p.line}:${p.column}: ${p.message}`);
}

const HEAD = "apiVersion: ovslab.dev/v1alpha1\nkind: Scenario\nmetadata: { name: bad }\nspec:\n";

describe("scenario schema", () => {
  it("ships a JSON Schema generated from the zod schema (regenerate: jsonSchemaText() into scenario.schema.json)", () => {
    expect(readFileSync(SCENARIO_SCHEMA_FILE, "utf8"), `${SCENARIO_SCHEMA_FILE} is stale`).toBe(
      jsonSchemaText(),
    );
    const schema = JSON.parse(jsonSchemaText());
    const step = schema.properties.spec.properties.steps.items;
    expect(Object.keys(step.properties)).toEqual([
      "apply",
      "delete",
      "wait",
      "probe",
      "reachability",
      "flows",
      "exec",
      "antctl",
      "egress",
      "fault",
      "npl",
      "traceflow",
    ]);
    expect(step).toMatchObject({ minProperties: 1, maxProperties: 1, additionalProperties: false });
  });

  it("loads the example that uses every step kind, with titles and timeouts from the file", async () => {
    const s = await loadScenarioFile(EXAMPLE);
    expect(s.name).toBe("np-web-allow");
    expect(s.namespaces).toEqual(["x", "y"]);
    expect(new Set(s.steps.map((st) => st.kind.kind))).toEqual(
      new Set(["apply", "delete", "wait", "probe", "reachability", "flows", "exec", "antctl"]),
    );
    const step = (i: number) => s.steps[i]!;
    expect([step(4).title, step(4).timeoutMs]).toEqual([
      "probe pod/x/client -> service/x/web:80 tcp expect connected",
      10_000,
    ]);
    expect([step(7).title, step(7).timeoutMs]).toEqual(["allow clients only", 30_000]); // name; spec.timeouts.default
    expect(step(8).timeoutMs).toBe(20_000); // the step's own timeout
    expect(s.cleanupTimeoutMs).toBe(60_000);
  });

  it("reports unknown step kinds, wrong types, bad references and broken step rules at file:line:column", async () => {
    const steps = [
      "  steps:",
      "  - frobnicate: { x: 1 }",
      "  - probe: { from: node/a, to: ext/e, port: eighty, expect: connected }",
      '  - exec: { on: node/a, command: "echo ${pod/x/a.ipp}" }',
      "  - probe: { from: vm/a, to: ext/e, port: 1, expect: connected }",
      "  - exec: { on: node/a, command: x }",
      "    flows: { node: a }",
      "  - probe: { from: node/a, to: ext/e, expect: connected }",
      "  - flows: { node: a, regex: ['(unclosed'] }",
      "  - exec: { on: node/a, command: ['echo ${node/a}'] }",
      "",
    ];
    expect(await problems({ "steps.yaml": HEAD + steps.join("\n") })).toEqual([
      'steps.yaml:6:5: unknown step kind "frobnicate" (one of: apply, delete, wait, probe, reachability, flows, exec, antctl, egress, fault, npl, traceflow)',
      "steps.yaml:7:45: spec.steps[1].probe.port: Invalid input: expected number, received string",
      'steps.yaml:8:34: spec.steps[2].exec.command: bad reference "${pod/x/a.ipp}": pod has no field "ipp" (fields: ip, node, nodeIP)',
      'steps.yaml:9:20: spec.steps[3].probe.from: "vm/a" is not an object reference (use pod/NS/NAME, pod/NAME, service/NS/NAME, service/NAME, node/NAME, ext/NAME or namespace/NS)',
      "steps.yaml:10:5: spec.steps[4]: a step has exactly one kind, this one has flows and exec",
      "steps.yaml:12:12: spec.steps[5].probe.port: a tcp probe needs a port",
      "steps.yaml:13:31: spec.steps[6].flows.regex[0]: invalid regular expression: Invalid regular expression: /(unclosed/m: Unterminated group",
      'steps.yaml:14:35: spec.steps[7].exec.command[0]: bad reference "${node/a}": missing .FIELD (e.g. ${pod/x/a.ip})',
    ]);
  });

  it("reports wait rules, file-level mistakes and YAML syntax errors with positions", async () => {
    const text = [
      "apiVersion: ovslab.dev/v1",
      "kind: Scenario",
      "metadata: { name: Bad_Name, colour: blue }",
      "spec:",
      "  namespaces: [x, x]",
      "  steps:",
      "  - wait: { for: policyRealized, resource: netpol/x/np }",
      "  - wait: { for: condition, resource: deploy/web }",
      "  - wait: { for: field, resource: pod/a, field: '.status..phase', value: Running }",
      "  - delete: { resource: widget/w }",
      "",
    ].join("\n");
    expect(await problems({ "file.yaml": text })).toEqual([
      'file.yaml:1:13: apiVersion: Invalid input: expected "ovslab.dev/v1alpha1"',
      "file.yaml:3:19: metadata.name: must be lower-case letters, digits and '-' (a DNS label)",
      'file.yaml:3:29: unknown field "colour" in metadata',
      "file.yaml:5:15: spec.namespaces: namespaces must be unique",
      "file.yaml:7:44: spec.steps[0].wait.resource: NetworkPolicy reports no realization; policyRealized is for Antrea-native policies (acnp, anp). For a Kubernetes NetworkPolicy, probe with the expected outcome: probes retry until it holds",
      "file.yaml:8:18: spec.steps[1].wait.for: for: condition needs condition",
      'file.yaml:9:49: spec.steps[2].wait.field: unsupported path ".status..phase" at "..phase" (use .field, [\'key\'], [N] or [?(@.field=="value")])',
      'file.yaml:10:25: spec.steps[3].delete.resource: unknown resource kind "widget" (known: pod, service, endpoints, configmap, namespace, node, deployment, replicaset, endpointslice, networkpolicy, clusternetworkpolicy, antreanetworkpolicy, tier, clustergroup, group, egress, externalippool, traceflow)',
    ]);
    expect(await problems({ "syntax.yaml": `${HEAD}  steps: [\n` })).toEqual([
      expect.stringMatching(/^syntax\.yaml:6:1: /),
    ]);
  });

  it("checks reachability grids and manifest files when loading, with positions inside them", async () => {
    const scenario = [
      HEAD.trimEnd(),
      "  steps:",
      "  - apply: { file: manifests/objects.yaml }",
      "  - apply: { file: manifests/missing.yaml }",
      "  - reachability:",
      "      pods: [a, b]",
      "      port: 80",
      "      expect: |",
      "        -  a  b",
      "        a  .  X",
      "        b  ?  .",
      "  - reachability:",
      "      pods: [a, b]",
      "      port: 80",
      '      expect: "- a c\\na . .\\nc . ."',
      "",
    ].join("\n");
    const manifest = [
      "apiVersion: v1",
      "kind: Pod",
      "metadata: { name: a }",
      "---",
      "apiVersion: v1",
      "kind: Pod",
      "metadata: { labels: { x: y } }",
      "",
    ].join("\n");
    expect(await problems({ "grid.yaml": scenario, "manifests/objects.yaml": manifest })).toEqual([
      "objects.yaml:7:11: metadata.name: Invalid input: expected string, received undefined",
      `grid.yaml:7:20: manifest ${join(dir, "manifests/missing.yaml")}: no such file`,
      'grid.yaml:14:15: reachability grid (tcp/80): "?" is not a cell value (use Con or ., Drp or X, Rej, - to skip)',
      'grid.yaml:18:15: tcp/80: "c" is not one of the Pods (default/a, default/b)',
    ]);
  });
});
