// Judging a finished Traceflow against a traceflow step's expectation: phase, reason, and the observations of each
// Node, written compactly as Component/Info/Action (`SpoofGuard/Forwarded`, `Forwarding/Output/Delivered`).
//
// Per Node, the expected observations must appear in this order in one NodeResult of that Node, others may come
// between (subsequence); `exact` asks for what Antrea's e2e checks (compareObservations): the same Nodes, one
// NodeResult each, the same observations. Either way component, componentInfo and action must be equal, and of the
// other fields (tunnelDstIP, translatedDstIP, networkPolicy, ...) only those the expectation names are compared, so
// timestamp, ttl and dstMAC are ignored unless given.
import type { NodeResult, Observation } from "../../../images/api/traceflow.ts";

/**
 * Antrea renamed ForwardedOutOfOverlay to ForwardedOutOfNetwork (antrea-io/antrea#7481, after v2.4); both name the
 * same observation, so that one scenario passes on older and newer Antrea and on the reference stack.
 */
export const LEGACY_ACTIONS: Readonly<Record<string, string>> = {
  ForwardedOutOfOverlay: "ForwardedOutOfNetwork",
};

const normalAction = (action: string | undefined) =>
  action === undefined ? undefined : (LEGACY_ACTIONS[action] ?? action);

/** A literal (references already resolved), a number (ttl) or a regular expression written as /.../. */
export type ValueMatcher = string | number | RegExp;

export interface ExpectedObservation {
  component: string;
  componentInfo?: string | undefined;
  action: string;
  /** Further observation fields that must have these values; fields not listed are not compared. */
  fields: readonly (readonly [string, ValueMatcher])[];
}

export interface ExpectedNode {
  /** The Kubernetes Node name, as NodeResult.node names it. */
  node: string;
  /** The key as the scenario wrote it (a name or a reference such as ${pod/tf/a.node}). */
  written: string;
  observations: readonly ExpectedObservation[];
}

export interface TraceExpectation {
  phase: string;
  reason?: ValueMatcher | undefined;
  nodes: readonly ExpectedNode[];
  exact: boolean;
}

/** What a Traceflow ended with. */
export interface TraceOutcome {
  phase?: string | undefined;
  reason?: string | undefined;
  results: readonly NodeResult[];
}

function valueMatches(want: ValueMatcher, value: unknown): boolean {
  if (want instanceof RegExp)
    return (typeof value === "string" || typeof value === "number") && want.test(String(value));
  return value === want;
}

const describeValue = (v: ValueMatcher) => (v instanceof RegExp ? String(v) : JSON.stringify(v));

const compact = (component: string, info: string | undefined, action: string | undefined) =>
  [component, info, action].filter((p) => p !== undefined && p !== "").join("/");

/** `Forwarding/Output/Forwarded[tunnelDstIP="172.18.0.3"]`. */
function describeExpectedObservation(o: ExpectedObservation): string {
  const fields = o.fields.map(([k, v]) => `${k}=${describeValue(v)}`).join(",");
  return `${compact(o.component, o.componentInfo, o.action)}${fields ? `[${fields}]` : ""}`;
}

/** `Forwarding/Output/Forwarded`, plus the values of `shown` fields the observation has. */
function describeObservation(o: Observation, shown: readonly string[] = []): string {
  const fields = shown
    .filter((k) => o[k] !== undefined)
    .map((k) => `${k}=${JSON.stringify(o[k])}`)
    .join(",");
  return `${compact(o.component, o.componentInfo, o.action)}${fields ? `[${fields}]` : ""}`;
}

const sameKind = (e: ExpectedObservation, o: Observation) =>
  e.component === o.component &&
  (e.componentInfo ?? "") === (o.componentInfo ?? "") &&
  normalAction(e.action) === normalAction(o.action);

function fieldMismatches(e: ExpectedObservation, o: Observation): string[] {
  return e.fields
    .filter(([k, v]) => !valueMatches(v, o[k]))
    .map(
      ([k, v]) =>
        `${k} is ${o[k] === undefined ? "not set" : JSON.stringify(o[k])}, expected ${describeValue(v)}`,
    );
}

function observationMatches(e: ExpectedObservation, o: Observation): boolean {
  return sameKind(e, o) && fieldMismatches(e, o).length === 0;
}

/** Every way `seen` falls short of `want`, one line each; empty when it matches. */
export function traceProblems(seen: TraceOutcome, want: TraceExpectation): string[] {
  const problems: string[] = [];
  if (seen.phase !== want.phase) {
    const why = seen.reason ? ` (reason: ${seen.reason})` : "";
    problems.push(`phase ${seen.phase || "(none)"}${why}, expected ${want.phase}`);
  }
  if (want.reason !== undefined && !valueMatches(want.reason, seen.reason ?? "")) {
    problems.push(`reason ${JSON.stringify(seen.reason ?? "")}, expected ${describeValue(want.reason)}`);
  }
  const byNode = new Map<string, NodeResult[]>();
  for (const r of seen.results) {
    const node = r.node ?? "";
    byNode.set(node, [...(byNode.get(node) ?? []), r]);
  }
  for (const n of want.nodes) {
    const results = byNode.get(n.node) ?? [];
    if (!results.length) {
      const from = [...byNode.keys()].map((k) => k || "(no node)");
      problems.push(`${n.node}: no result (results came from ${from.length ? from.join(", ") : "no Node"})`);
    } else if (want.exact) problems.push(...exactProblems(n, results));
    else problems.push(...subsequenceProblems(n, results));
  }
  if (want.exact) {
    const expected = new Set(want.nodes.map((n) => n.node));
    for (const [node, results] of byNode) {
      if (expected.has(node)) continue;
      for (const r of results) {
        problems.push(
          `${node || "(no node)"}: unexpected result ${(r.observations ?? []).map((o) => describeObservation(o)).join(", ")}`,
        );
      }
    }
  }
  return problems;
}

/** Positions in `seen` of the longest prefix of `want` that is a subsequence of it (earliest matches). */
function greedyMatch(want: readonly ExpectedObservation[], seen: readonly Observation[]): number[] {
  const at: number[] = [];
  seen.forEach((o, i) => {
    const next = want[at.length];
    if (next && observationMatches(next, o)) at.push(i);
  });
  return at;
}

function subsequenceProblems(n: ExpectedNode, results: readonly NodeResult[]): string[] {
  // The NodeResult that gets furthest tells the most about what went wrong.
  let best: { at: number[]; obs: readonly Observation[] } = { at: [], obs: [] };
  for (const r of results) {
    const obs = r.observations ?? [];
    const at = greedyMatch(n.observations, obs);
    if (at.length === n.observations.length) return [];
    if (at.length >= best.at.length) best = { at, obs };
  }
  const missing = n.observations[best.at.length]!;
  const previous = n.observations[best.at.length - 1];
  const after = previous ? ` after ${describeExpectedObservation(previous)}` : "";
  const rest = best.obs.slice((best.at.at(-1) ?? -1) + 1);
  const near = rest.find((o) => sameKind(missing, o));
  if (near) {
    return [
      `${n.node}: ${describeExpectedObservation(missing)}${after}: ${fieldMismatches(missing, near).join(", ")}`,
    ];
  }
  return [`${n.node}: no ${describeExpectedObservation(missing)}${after}`];
}

function exactProblems(n: ExpectedNode, results: readonly NodeResult[]): string[] {
  if (results.length > 1) return [`${n.node}: ${results.length} results, expected one`];
  const obs = results[0]?.observations ?? [];
  const problems: string[] = [];
  if (obs.length !== n.observations.length) {
    problems.push(`${n.node}: ${obs.length} observation(s), expected ${n.observations.length}`);
  }
  const i = n.observations.findIndex((e, j) => !obs[j] || !observationMatches(e, obs[j]));
  const e = n.observations[i];
  const o = obs[i];
  if (e && o) {
    const detail = sameKind(e, o)
      ? fieldMismatches(e, o).join(", ")
      : `${describeObservation(o)}, expected ${describeExpectedObservation(e)}`;
    problems.push(`${n.node}: observation ${i + 1}: ${detail}`);
  }
  return problems;
}

const nodeLabel = (n: ExpectedNode) => (n.written === n.node ? n.node : `${n.node} (${n.written})`);

/** The expectation, one line per fact: phase, reason, then each Node's observations. */
export function formatExpectation(want: TraceExpectation): string {
  return [
    `phase ${want.phase}`,
    ...(want.reason !== undefined ? [`reason ${describeValue(want.reason)}`] : []),
    ...want.nodes.map(
      (n) => `${nodeLabel(n)}: ${n.observations.map(describeExpectedObservation).join(", ")}`,
    ),
    ...(want.nodes.length
      ? [
          want.exact
            ? "(exactly these Nodes and observations)"
            : "(in this order per Node; others may come between)",
        ]
      : []),
  ].join("\n");
}

/** What the Traceflow showed, in the same form, with the values of the fields the expectation names. */
export function formatOutcome(seen: TraceOutcome, want: TraceExpectation): string {
  const shown = [
    ...new Set(want.nodes.flatMap((n) => n.observations.flatMap((o) => o.fields.map(([k]) => k)))),
  ];
  const results = seen.results.map(
    (r) =>
      `${r.node || "(no node)"}: ${(r.observations ?? []).map((o) => describeObservation(o, shown)).join(", ")}`,
  );
  return [
    `phase ${seen.phase || "(none)"}`,
    ...(seen.reason ? [`reason ${JSON.stringify(seen.reason)}`] : []),
    ...(results.length ? results : ["no results"]),
  ].join("\n");
}
