// The `expect` block of a traceflow step: how it is written, validated at load time (names of components and
// actions, references, regular expressions), and resolved when the step runs (references replaced by their values,
// Node keys turned into Kubernetes Node names). Matching is traceflow-match.ts.
import { z } from "zod";
import { ACTIONS, COMPONENTS } from "../../../images/api/traceflow.ts";
import type { LabContext } from "../lab-context.ts";
import { parseTemplate } from "../refs.ts";
import {
  type ExpectedObservation,
  LEGACY_ACTIONS,
  type TraceExpectation,
  type ValueMatcher,
} from "./traceflow-match.ts";

const KNOWN_ACTIONS = [...ACTIONS, ...Object.keys(LEGACY_ACTIONS)] as [string, ...string[]];

const isRegexText = (text: string) => text.length >= 2 && text.startsWith("/") && text.endsWith("/");

/** Why `text` (a literal with references, or /regex/ with references) is unusable; undefined when it is fine. */
function matchTextProblem(text: string): string | undefined {
  const body = isRegexText(text) ? text.slice(1, -1) : text;
  const parsed = parseTemplate(body);
  if (typeof parsed === "string") return parsed;
  if (!isRegexText(text)) return undefined;
  try {
    // References are inserted escaped when the step runs; any literal stands in for them here.
    new RegExp(parsed.map((p) => (typeof p === "string" ? p : "x")).join(""));
  } catch (err) {
    return `invalid regular expression: ${(err as Error).message}`;
  }
  return undefined;
}

/** A value to compare with: a literal that may hold ${...} references, or /regex/. */
const MatchText = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    const problem = matchTextProblem(text);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  })
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
  .describe("the exact value (may hold ${...} references), or /regular expression/");

const ComponentName = z.enum(COMPONENTS);
const ActionName = z.enum(KNOWN_ACTIONS);

/** Observation fields other than component, componentInfo and action that an expectation may name. */
const OBSERVATION_FIELDS = [
  "pod",
  "dstMAC",
  "networkPolicy",
  "networkPolicyRule",
  "egress",
  "translatedSrcIP",
  "translatedDstIP",
  "tunnelDstIP",
  "egressIP",
  "egressNode",
  "srcPodIP",
] as const;

interface WrittenObservation {
  component: string;
  componentInfo?: string | undefined;
  action: string;
  fields: [string, string | number][];
}

const COMPACT = /^([A-Za-z]+)(?:\/([A-Za-z0-9]+))?\/([A-Za-z]+)$/;

const CompactObservation = z
  .string()
  .transform((text, ctx): WrittenObservation => {
    const m = COMPACT.exec(text);
    const problem = !m
      ? `"${text}" is not Component/Action or Component/Info/Action (e.g. Forwarding/Output/Delivered)`
      : !(COMPONENTS as readonly string[]).includes(m[1]!)
        ? `"${m[1]}" is not a Traceflow component (${COMPONENTS.join(", ")})`
        : !KNOWN_ACTIONS.includes(m[3]!)
          ? `"${m[3]}" is not a Traceflow action (${KNOWN_ACTIONS.join(", ")})`
          : undefined;
    if (problem || !m) {
      ctx.addIssue({ code: "custom", message: problem ?? "" });
      return z.NEVER;
    }
    return { component: m[1]!, componentInfo: m[2], action: m[3]!, fields: [] };
  })
  .describe(
    "Component/Action or Component/Info/Action, e.g. SpoofGuard/Forwarded, Forwarding/Output/Delivered",
  );

const FIELD_SHAPE = Object.fromEntries(OBSERVATION_FIELDS.map((f) => [f, MatchText.optional()])) as Record<
  (typeof OBSERVATION_FIELDS)[number],
  z.ZodOptional<typeof MatchText>
>;

const FullObservation = z
  .strictObject({
    component: ComponentName,
    componentInfo: z.string().min(1).optional().describe("e.g. Output, EgressRule, IngressMetric"),
    action: ActionName,
    ...FIELD_SHAPE,
    ttl: z.number().int().min(0).max(255).optional(),
  })
  .transform((o): WrittenObservation => {
    const { component, componentInfo, action, ...rest } = o;
    const fields = Object.entries(rest).filter((e): e is [string, string | number] => e[1] !== undefined);
    return { component, componentInfo, action, fields };
  })
  .describe("an observation with fields that must have the given values (the others are not compared)");

// A failed union reports only "Invalid input"; say what is wrong with the form the author chose instead.
const ExpectedObservationText = z.union([CompactObservation, FullObservation], {
  error: (issue) => {
    if (issue.code !== "invalid_union") return undefined;
    if (typeof issue.input !== "string" && (typeof issue.input !== "object" || issue.input === null)) {
      return "expected Component/Info/Action or an observation object {component, componentInfo, action, ...}";
    }
    const branch = issue.errors[typeof issue.input === "string" ? 0 : 1] ?? [];
    return branch.map((i) => `${i.path.length ? `${i.path.join(".")}: ` : ""}${i.message}`).join("; ");
  },
});

const NodeKey = z.string().superRefine((text, ctx) => {
  const parsed = parseTemplate(text);
  if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
});

export const TraceExpect = z
  .strictObject({
    phase: z.enum(["Succeeded", "Failed"]).default("Succeeded").describe("the phase the Traceflow ends in"),
    reason: MatchText.optional().describe("status.reason (of a Failed Traceflow): exact text or /regex/"),
    results: z.record(NodeKey, z.array(ExpectedObservationText).min(1)).optional().describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
      "per Node (its name, or a reference such as ${pod/NS/NAME.node}): the observations, in order",
    ),
    exact: z
      .boolean()
      .default(false)
      .describe(
        "the same Nodes, one result each, the same observations (as Antrea's e2e); default: in order per Node, others may come between",
      ),
  })
  .describe("what the finished Traceflow must show");

export type TraceExpectBody = z.output<typeof TraceExpect>;

async function matcher(ctx: LabContext, value: string | number): Promise<ValueMatcher> {
  if (typeof value === "number") return value;
  return isRegexText(value) ? new RegExp(await ctx.resolvePattern(value.slice(1, -1))) : ctx.resolve(value);
}

async function resolveObservation(ctx: LabContext, o: WrittenObservation): Promise<ExpectedObservation> {
  const fields = await Promise.all(o.fields.map(async ([k, v]) => [k, await matcher(ctx, v)] as const));
  return { component: o.component, componentInfo: o.componentInfo, action: o.action, fields };
}

/**
 * The expectation with every reference resolved. `nodeName` maps a resolved key to the Kubernetes Node name that
 * Traceflow results carry (a topology node name such as `worker` is `kind-worker` on kind).
 */
export async function resolveExpectation(
  ctx: LabContext,
  e: TraceExpectBody,
  nodeName: (key: string) => string,
): Promise<TraceExpectation> {
  const nodes = await Promise.all(
    Object.entries(e.results ?? {}).map(async ([written, list]) => ({
      node: nodeName(await ctx.resolve(written)),
      written,
      observations: await Promise.all(list.map((o) => resolveObservation(ctx, o))),
    })),
  );
  return {
    phase: e.phase,
    reason: e.reason === undefined ? undefined : await matcher(ctx, e.reason),
    nodes,
    exact: e.exact,
  };
}
