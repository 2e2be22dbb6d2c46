// The scenario file format. The zod schema is the single source of truth: it validates files (with
// file:line:column errors through YamlSource) and generates harness/scenario/scenario.schema.json for editors.
// Step kinds come from the registry (steps/index.ts): each contributes one optional key of a step object, and a
// step must use exactly one.
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { Duration } from "./duration.ts";
import { STEP_KINDS } from "./steps/index.ts";

export const SCENARIO_API_VERSION = "ovslab.dev/v1alpha1";
export const SCENARIO_SCHEMA_FILE = fileURLToPath(new URL("./scenario.schema.json", import.meta.url));

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A scenario namespace becomes `<name>-<5 characters>`; 63 is the Kubernetes limit. */
const NamespaceName = z
  .string()
  .regex(DNS_LABEL, "must be lower-case letters, digits and '-' (a DNS label)")
  .max(57, "must be at most 57 characters (a 6-character suffix is added)");

const Metadata = z.strictObject({
  name: z
    .string()
    .regex(DNS_LABEL, "must be lower-case letters, digits and '-' (a DNS label)")
    .max(63)
    .describe("unique among the scenarios of a run; shown in reports"),
  labels: z.record(z.string(), z.string()).default({}).describe("key/value labels, e.g. area: networkpolicy"),
  description: z.string().optional(),
  tags: z
    .array(z.string().regex(/^[\w.-]+$/, "must be letters, digits, '_', '.' and '-'"))
    .default([])
    .describe("selected with --tag"),
});

const Timeouts = z
  .strictObject({
    default: Duration.optional().describe(
      "for steps of kinds not listed here (each kind has its own default)",
    ),
    cleanup: Duration.optional().describe("for deleting the scenario's namespaces afterwards (default 60s)"),
    ...Object.fromEntries(STEP_KINDS.map((k) => [k.kind, Duration.optional()])),
  })
  .describe("default step timeouts by step kind");

const stepShape = Object.fromEntries(
  STEP_KINDS.map((k) => [k.kind, k.schema.optional().describe(k.description)]),
);

const Step = z
  .strictObject(stepShape)
  .superRefine((step, ctx) => {
    const used = Object.keys(step).filter((k) => step[k] !== undefined);
    if (used.length !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: used.length
          ? `a step has exactly one kind, this one has ${used.join(" and ")}`
          : `a step needs one of: ${STEP_KINDS.map((k) => k.kind).join(", ")}`,
      });
    }
  })
  .meta({ minProperties: 1, maxProperties: 1 });

export const ScenarioFile = z
  .strictObject({
    $schema: z.string().optional(),
    apiVersion: z.literal(SCENARIO_API_VERSION),
    kind: z.literal("Scenario"),
    metadata: Metadata,
    spec: z.strictObject({
      lab: z
        .string()
        .min(1)
        .default("default")
        .describe(
          "topology the scenario is written for: a bundled name (lab/topologies/NAME.yaml) or a path",
        ),
      namespaces: z
        .array(NamespaceName)
        .min(1)
        .default(["default"])
        .refine((ns) => new Set(ns).size === ns.length, "namespaces must be unique")
        .describe(
          "the scenario's own namespaces, as references and manifests name them; the first is the default",
        ),
      timeouts: Timeouts.prefault({}),
      steps: z.array(Step).min(1),
    }),
  })
  .describe("An ovslab scenario: steps against a lab, in order");

export type ScenarioFile = z.output<typeof ScenarioFile>;

export function jsonSchema(): Record<string, unknown> {
  const json = z.toJSONSchema(ScenarioFile, { io: "input", target: "draft-2020-12" });
  return { ...json, title: "ovslab scenario file" };
}

export function jsonSchemaText(): string {
  return `${JSON.stringify(jsonSchema(), null, 2)}\n`;
}
