// npl: a Pod's NodePortLocal mappings, checked the way Antrea's e2e checks them (TestNodePortLocal). The Pod
// annotation `nodeportlocal.antrea.io` must be Antrea's JSON, list the expected (podPort, protocol, ipFamily)
// entries with the Pod's node IP and a node port inside the agent's range, and traffic to nodeIP:nodePort from
// every `from` source must reach the Pod: its name answers (HTTP GET `path` over TCP, agnhost netexec's "hostname"
// datagram over UDP). `absent: true` checks the opposite: no annotation (or an empty list), and nothing answers on
// the node ports an earlier npl step saw for the Pod. The agent on the Pod's node writes the annotation and the
// DNAT rules asynchronously, so the whole check is repeated until it holds or the step times out.
import { setTimeout as sleep } from "node:timers/promises";
import type { V1Pod } from "@kubernetes/client-node";
import { z } from "zod";
import { NPL_ANNOTATION } from "../../../images/agent/nodeportlocal/annotation.ts";
import { type PortRange, parsePortRange } from "../../../images/agent/nodeportlocal/config.ts";
import { formatHostPort } from "../../../images/workloads/gonet.ts";
import type { ExecTarget } from "../../../lab/provider.ts";
import { apiErrorMessage, isNotFound } from "../kube.ts";
import type { LabContext } from "../lab-context.ts";
import { ExecTargetRef, parseObjectRef } from "../refs.ts";
import { defineStep, remaining, STEP_COMMON, StepFailure, type StepLimits } from "./step-kind.ts";

const Port = z.number().int().min(1).max(65535);
const NplProtocol = z.enum(["tcp", "udp"]);
const IpFamily = z.enum(["IPv4", "IPv6"]);

const PodRef = z
  .string()
  .superRefine((text, ctx) => {
    const ref = parseObjectRef(text);
    if (typeof ref === "string") ctx.addIssue({ code: "custom", message: ref });
    else if (ref.kind !== "pod")
      ctx.addIssue({ code: "custom", message: `expected pod/..., not ${ref.kind}/...` });
  })
  .describe("pod/NS/NAME or pod/NAME");

const ExpectedMapping = z.strictObject({
  podPort: Port.describe("the Pod's (target) port"),
  protocol: NplProtocol.default("tcp"),
  ipFamily: IpFamily.default("IPv4"),
});
type ExpectedMapping = z.output<typeof ExpectedMapping>;

const DEFAULT_PORT_RANGE = "61000-62000";

const Npl = z
  .strictObject({
    ...STEP_COMMON,
    pod: PodRef,
    expect: z
      .union([z.number().int().min(1), z.array(ExpectedMapping).min(1)])
      .optional()
      .describe(
        "the mappings: how many, or the (podPort, protocol, ipFamily) list in any order; default: any",
      ),
    absent: z
      .boolean()
      .default(false)
      .describe("no mappings: no annotation (or []) and no answer on the node ports an earlier npl step saw"),
    from: z
      .array(ExecTargetRef)
      .default([])
      .describe("where traffic to nodeIP:nodePort starts: pod/NS/NAME, node/NAME, ext/NAME"),
    path: z.string().startsWith("/").default("/hostname").describe("HTTP path for tcp mappings"),
    portRange: z
      .string()
      .refine((s) => parsePortRange(s) !== undefined, "must be START-END, e.g. 61000-62000")
      .default(DEFAULT_PORT_RANGE)
      .describe("the agent's nodePortLocal.portRange: every nodePort must be inside it"),
    distinctFrom: z
      .array(PodRef)
      .optional()
      .describe("other Pods whose node ports (same node IP and protocol) must all differ from this Pod's"),
    keepsPorts: z
      .boolean()
      .default(false)
      .describe(
        "the node ports are those the previous npl step on this Pod saw (e.g. across an agent restart)",
      ),
  })
  .superRefine((p, ctx) => {
    if (!p.absent) return;
    for (const field of ["expect", "distinctFrom"] as const) {
      if (p[field] !== undefined)
        ctx.addIssue({ code: "custom", path: [field], message: `absent takes no ${field}` });
    }
    if (p.keepsPorts)
      ctx.addIssue({ code: "custom", path: ["keepsPorts"], message: "absent takes no keepsPorts" });
  });
type NplBody = z.output<typeof Npl>;

/** One entry of the Pod annotation, field for field as Antrea writes it (pkg/agent/nodeportlocal/types). */
export interface NplMapping {
  podPort: number;
  nodeIP: string;
  nodePort: number;
  protocol: "tcp" | "udp";
  ipFamily: "IPv4" | "IPv6";
}

// Strict: an extra field (such as the `protocols` list Antrea dropped in v2.0) or a missing one is a mismatch.
const AnnotationJson = z.array(
  z.strictObject({
    podPort: Port,
    nodeIP: z.string(),
    nodePort: Port,
    protocol: NplProtocol,
    ipFamily: IpFamily,
  }),
);

/** The entries of an annotation value ("" or absent: none), or why it is not Antrea's JSON. */
export function parseNplAnnotation(text: string | undefined): NplMapping[] | string {
  if (text === undefined || text.trim() === "") return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return `the annotation is not JSON: ${(err as Error).message}`;
  }
  const parsed = AnnotationJson.safeParse(json);
  if (parsed.success) return parsed.data;
  return `the annotation is not Antrea's JSON: ${parsed.error.issues
    .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`)
    .join("; ")}`;
}

const mappingKey = (m: { podPort: number; protocol: string; ipFamily: string }) =>
  `${m.podPort}/${m.protocol}/${m.ipFamily}`;
const describeMapping = (m: NplMapping) =>
  `${m.podPort}/${m.protocol} -> ${formatHostPort(m.nodeIP, m.nodePort)} (${m.ipFamily})`;

export interface AnnotationExpectation {
  /** The Pod's node IP (status.hostIP). */
  nodeIP: string;
  range: PortRange;
  expect?: number | readonly ExpectedMapping[] | undefined;
}

/** What is wrong with a Pod's (present) mappings; empty when they are as expected. */
export function annotationProblems(entries: readonly NplMapping[], want: AnnotationExpectation): string[] {
  const problems: string[] = [];
  if (entries.length === 0) return ["no mappings"];
  const seen = new Set<string>();
  for (const m of entries) {
    if (m.nodeIP !== want.nodeIP)
      problems.push(`${describeMapping(m)}: nodeIP is not the Pod's node IP ${want.nodeIP}`);
    if (m.nodePort < want.range.start || m.nodePort > want.range.end) {
      problems.push(`${describeMapping(m)}: nodePort outside ${want.range.start}-${want.range.end}`);
    }
    const port = `${m.nodeIP} ${m.nodePort}/${m.protocol}`;
    if (seen.has(port)) problems.push(`${describeMapping(m)}: node port listed twice`);
    seen.add(port);
  }
  if (typeof want.expect === "number") {
    if (entries.length !== want.expect)
      problems.push(`${entries.length} mapping(s), expected ${want.expect}`);
  } else if (want.expect) {
    const have = entries.map(mappingKey);
    const wanted = want.expect.map(mappingKey);
    const missing = wanted.filter((k) => !have.includes(k));
    const extra = have.filter((k) => !wanted.includes(k));
    if (missing.length) problems.push(`missing ${missing.join(", ")}`);
    if (extra.length) problems.push(`unexpected ${extra.join(", ")}`);
  }
  return problems;
}

/** The command that sends one request to a node port: curl for TCP, netexec's "hostname" datagram for UDP. */
export function nodePortArgv(m: NplMapping, path: string): string[] {
  const dest = formatHostPort(m.nodeIP, m.nodePort);
  return m.protocol === "tcp"
    ? ["curl", "-sS", "--connect-timeout", "1", "--max-time", "2", `http://${dest}${path}`]
    : // socat sends the datagram, then waits up to 1 s after stdin's end for the answer and prints it.
      ["sh", "-c", `printf hostname | socat -t 1 -T 2 - UDP:${dest}`];
}

interface TrafficResult {
  source: string;
  target: ExecTarget;
  mapping: NplMapping;
  argv: string[];
  /** TCP: an HTTP response came back; UDP: a datagram came back. */
  answered: boolean;
  /** The answer, or why there was none. */
  text: string;
  log: string;
}

async function sendToNodePort(
  ctx: LabContext,
  source: string,
  mapping: NplMapping,
  path: string,
): Promise<TrafficResult> {
  const target = ctx.execTarget(source);
  const argv = nodePortArgv(mapping, path);
  const res = await ctx.exec(target, argv, { timeoutMs: 10_000 });
  const reply = res.stdout.trim();
  const answered = !res.timedOut && (mapping.protocol === "tcp" ? res.code === 0 : reply !== "");
  const why = res.timedOut
    ? "the command did not finish"
    : res.stderr.trim().split("\n")[0] || (res.code === 0 ? "no reply" : `exit code ${res.code}`);
  const log = [`$ ${ctx.reproduce(target, argv)}`, `exit code ${res.code}`, res.stdout, res.stderr].join(
    "\n",
  );
  return { source, target, mapping, argv, answered, text: answered ? reply : why, log };
}

const memoryKey = (pod: ExecTarget & { kind: "pod" }) => `npl:${pod.namespace}/${pod.name}`;

interface Attempt {
  /** The annotation value as read ("" when absent), or the reason the Pod could not be read. */
  annotation: string;
  problems: string[];
  traffic: TrafficResult[];
  entries: NplMapping[];
}

async function readPod(ctx: LabContext, pod: ExecTarget & { kind: "pod" }): Promise<V1Pod | undefined> {
  const kube = await ctx.kube();
  return kube.core.readNamespacedPod({ name: pod.name, namespace: pod.namespace }).catch((err: unknown) => {
    if (isNotFound(err)) return undefined;
    throw new Error(`cannot read pod ${pod.namespace}/${pod.name}: ${apiErrorMessage(err)}`);
  });
}

function podTarget(ctx: LabContext, ref: string): ExecTarget & { kind: "pod" } {
  const target = ctx.execTarget(ref);
  if (target.kind !== "pod") throw new Error(`${ref} is not a Pod`);
  return target;
}

/** One check of a Pod that must have mappings: annotation, then (only when it is right) traffic. */
async function checkPresent(ctx: LabContext, p: NplBody, range: PortRange): Promise<Attempt> {
  const pod = podTarget(ctx, p.pod);
  const obj = await readPod(ctx, pod);
  const annotation = obj?.metadata?.annotations?.[NPL_ANNOTATION] ?? "";
  const attempt: Attempt = { annotation, problems: [], traffic: [], entries: [] };
  const nodeIP = obj?.status?.hostIP;
  if (!obj || !nodeIP) {
    attempt.problems.push(
      obj ? `the Pod has no node IP yet (phase ${obj.status?.phase ?? "unknown"})` : "no such Pod",
    );
    return attempt;
  }
  const entries = parseNplAnnotation(annotation);
  if (typeof entries === "string") {
    attempt.problems.push(entries);
    return attempt;
  }
  attempt.entries = entries;
  attempt.problems.push(...annotationProblems(entries, { nodeIP, range, expect: p.expect }));
  if (p.keepsPorts) attempt.problems.push(...keptPortProblems(ctx, p.pod, entries));
  for (const other of p.distinctFrom ?? [])
    attempt.problems.push(...(await sharedPortProblems(ctx, other, entries)));
  if (attempt.problems.length) return attempt;
  const podName = obj.metadata?.name ?? pod.name;
  attempt.traffic = await Promise.all(
    p.from.flatMap((source) => entries.map((m) => sendToNodePort(ctx, source, m, p.path))),
  );
  for (const t of attempt.traffic) {
    if (t.answered && t.text === podName) continue;
    const seen = t.answered ? `answered ${JSON.stringify(t.text)}` : `no answer (${t.text})`;
    attempt.problems.push(
      `${t.source} -> ${describeMapping(t.mapping)}: ${seen}, expected ${JSON.stringify(podName)}`,
    );
  }
  return attempt;
}

function rememberedMappings(ctx: LabContext, ref: string): NplMapping[] | undefined {
  return ctx.memory.get(memoryKey(podTarget(ctx, ref))) as NplMapping[] | undefined;
}

function keptPortProblems(ctx: LabContext, ref: string, entries: readonly NplMapping[]): string[] {
  const before = rememberedMappings(ctx, ref);
  if (!before) throw new Error(`keepsPorts: no earlier npl step saw the mappings of ${ref}`);
  return entries.flatMap((m) => {
    const old = before.find((b) => mappingKey(b) === mappingKey(m));
    return old && old.nodePort !== m.nodePort
      ? [`${describeMapping(m)}: nodePort changed (was ${old.nodePort})`]
      : [];
  });
}

async function sharedPortProblems(
  ctx: LabContext,
  other: string,
  entries: readonly NplMapping[],
): Promise<string[]> {
  const obj = await readPod(ctx, podTarget(ctx, other));
  const theirs = parseNplAnnotation(obj?.metadata?.annotations?.[NPL_ANNOTATION]);
  if (typeof theirs === "string") return [`${other}: ${theirs}`];
  if (!theirs.length) return [`${other} has no mappings to compare with`];
  return entries.flatMap((m) => {
    const clash = theirs.find(
      (t) => t.nodeIP === m.nodeIP && t.nodePort === m.nodePort && t.protocol === m.protocol,
    );
    return clash
      ? [`${describeMapping(m)}: ${other} has the same node port (${describeMapping(clash)})`]
      : [];
  });
}

/** One check of a Pod that must have no mappings: no annotation entries, no answer on the remembered node ports. */
async function checkAbsent(ctx: LabContext, p: NplBody): Promise<Attempt> {
  const pod = podTarget(ctx, p.pod);
  const obj = await readPod(ctx, pod);
  const annotation = obj?.metadata?.annotations?.[NPL_ANNOTATION] ?? "";
  const attempt: Attempt = { annotation, problems: [], traffic: [], entries: [] };
  const entries = parseNplAnnotation(annotation);
  if (typeof entries === "string") attempt.problems.push(entries);
  else if (entries.length)
    attempt.problems.push(`the annotation still lists ${entries.map(describeMapping).join(", ")}`);
  if (!p.from.length) return attempt;
  const before = rememberedMappings(ctx, p.pod);
  if (!before) throw new Error(`absent with from: no earlier npl step saw the node ports of ${p.pod} to try`);
  attempt.traffic = await Promise.all(
    p.from.flatMap((source) => before.map((m) => sendToNodePort(ctx, source, m, p.path))),
  );
  for (const t of attempt.traffic) {
    if (t.answered)
      attempt.problems.push(
        `${t.source} -> ${describeMapping(t.mapping)}: answered ${JSON.stringify(t.text)}`,
      );
  }
  return attempt;
}

/** Pause between attempts; an attempt with traffic takes about a second by itself. */
const RETRY_PAUSE_MS = 500;

async function untilSettled(
  check: () => Promise<Attempt>,
  limits: StepLimits,
): Promise<{ last: Attempt; count: number }> {
  let count = 0;
  for (;;) {
    limits.signal.throwIfAborted();
    const last = await check();
    count++;
    if (!last.problems.length || remaining(limits) < 1500) return { last, count };
    await sleep(RETRY_PAUSE_MS);
  }
}

function expectation(p: NplBody): string {
  if (p.absent) {
    return `no ${NPL_ANNOTATION} mappings${p.from.length ? `; nothing answers on the earlier node ports from ${p.from.join(", ")}` : ""}`;
  }
  const what =
    typeof p.expect === "number"
      ? `${p.expect} mapping(s)`
      : p.expect
        ? `mappings ${p.expect.map(mappingKey).join(", ")}`
        : "mappings";
  return [
    `${NPL_ANNOTATION} lists ${what} with the Pod's node IP and nodePort in ${p.portRange}`,
    ...(p.keepsPorts ? ["the node ports seen before"] : []),
    ...(p.distinctFrom ? [`node ports unlike those of ${p.distinctFrom.join(", ")}`] : []),
    ...(p.from.length ? [`the Pod's name answers from ${p.from.join(", ")}`] : []),
  ].join("; ");
}

export const nplStep = defineStep({
  kind: "npl",
  description: "A Pod's NodePortLocal annotation and traffic to nodeIP:nodePort (or their absence)",
  schema: Npl,
  defaultTimeoutMs: 30_000,
  title: (p) =>
    p.absent
      ? `npl ${p.pod} absent`
      : `npl ${p.pod}${typeof p.expect === "number" ? ` ${p.expect} mapping(s)` : p.expect ? ` ${p.expect.map(mappingKey).join(" ")}` : ""}${p.from.length ? ` from ${p.from.join(", ")}` : ""}`,
  async run(p, ctx, limits) {
    const range = parsePortRange(p.portRange)!;
    const pod = podTarget(ctx, p.pod);
    const started = Date.now();
    const { last, count } = await untilSettled(
      () => (p.absent ? checkAbsent(ctx, p) : checkPresent(ctx, p, range)),
      limits,
    );
    await ctx.artifacts.attach("annotation.json", last.annotation || "(no annotation)", "application/json");
    if (last.traffic.length)
      await ctx.artifacts.attach("traffic.txt", last.traffic.map((t) => t.log).join("\n"));
    if (!last.problems.length) {
      if (!p.absent) ctx.memory.set(memoryKey(pod), last.entries);
      return;
    }
    const kube = await ctx.kube();
    const jsonPath = `{.metadata.annotations.${NPL_ANNOTATION.replaceAll(".", "\\.")}}`;
    throw new StepFailure({
      summary: p.absent ? `npl ${p.pod}: mappings remain` : `npl ${p.pod}: the mappings are not as expected`,
      expected: expectation(p),
      seen: [
        ...last.problems,
        `annotation: ${last.annotation || "(none)"}`,
        `${count} attempt(s) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
      ].join("\n"),
      reproduce: [
        kube.kubectl(["-n", pod.namespace, "get", "pod", pod.name, "-o", `jsonpath=${jsonPath}`]),
        ...last.traffic
          .filter((t) => (p.absent ? t.answered : !t.answered || t.text !== pod.name))
          .map((t) => ctx.reproduce(t.target, t.argv)),
      ],
    });
  },
});
