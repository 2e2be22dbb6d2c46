// traceflow: creates an Antrea Traceflow (crd.antrea.io/v1beta1) from a Pod to a Pod, Service or IP, waits until it
// Succeeded or Failed, deletes it, and checks its phase, reason and per-Node observations (traceflow-expect.ts,
// traceflow-match.ts). It only talks to the Kubernetes API, so it runs the same on the reference stack and on real
// Antrea. A live-traffic trace captures a real packet: the step sends `traffic` (one probe, as the probe step sends
// it) about once a second while the Traceflow is Running, since the agents install their capture flows after the
// controller marks it Running and capture only the first matching packet.
import { randomBytes } from "node:crypto";
import { isIP } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { z } from "zod";
import {
  DEFAULT_TRACEFLOW_TIMEOUT_S,
  parseTraceflow,
  TRACEFLOW_API_VERSION,
  TRACEFLOW_RESOURCE,
  type Traceflow,
  type TraceflowSpec,
} from "../../../images/api/traceflow.ts";
import { checkFlow } from "../../../images/api/traceflow-flow.ts";
import { formatArgv } from "../../../images/common/exec.ts";
import { TOPOLOGY_NODE_LABEL } from "../../../lab/provider.ts";
import { Duration, formatMs } from "../duration.ts";
import { apiErrorMessage, type Kube } from "../kube.ts";
import type { LabContext } from "../lab-context.ts";
import { EndpointRef, ExecTargetRef, isObjectForm, parseObjectRef, parseTemplate } from "../refs.ts";
import { type Outcome, PROTOCOLS, type ProbeRequest, type ProbeResult, probe, probeArgv } from "./connect.ts";
import { defineStep, STEP_COMMON, StepFailure, type StepLimits } from "./step-kind.ts";
import { resolveExpectation, TraceExpect } from "./traceflow-expect.ts";
import { formatExpectation, formatOutcome, traceProblems } from "./traceflow-match.ts";
import { parseFlow } from "./traceflow-packet.ts";

/** The controller fails a Traceflow up to ~10 s after startTime + timeout (it checks every 10 s). */
const CONTROLLER_MARGIN_MS = 15_000;
const POLL_MS = 500;
const TRAFFIC_EVERY_MS = 1000;

const SourceRef = z
  .string()
  .min(1)
  .superRefine((text, ctx) => {
    if (!isObjectForm(text)) {
      const parsed = parseTemplate(text);
      if (typeof parsed === "string") ctx.addIssue({ code: "custom", message: parsed });
      return;
    }
    const ref = parseObjectRef(text);
    if (typeof ref === "string") ctx.addIssue({ code: "custom", message: ref });
    else if (ref.kind !== "pod") {
      ctx.addIssue({ code: "custom", message: `a Traceflow starts at a Pod (pod/...), not a ${ref.kind}` });
    }
  })
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
  .describe("pod/NS/NAME or pod/NAME; with liveTraffic also an IP or ${...} reference");

const FlowText = z
  .string()
  .superRefine((text, ctx) => {
    const flow = parseFlow(text);
    if (typeof flow === "string") ctx.addIssue({ code: "custom", message: flow });
  })
  .describe(
    "antctl traceflow -f syntax: icmp (default), tcp,tcp_dst=80, udp,udp_dst=53, ipv6, tcp_flags=2, ...",
  );

const TraceTimeout = Duration.refine(
  (ms) => ms % 1000 === 0 && ms >= 1000 && ms <= 300_000,
  "must be whole seconds from 1s to 300s",
).describe(`the Traceflow's spec.timeout (default ${DEFAULT_TRACEFLOW_TIMEOUT_S}s)`);

const Traffic = z
  .strictObject({
    from: ExecTargetRef.optional().describe("where the traffic starts (default: the source Pod)"),
    to: EndpointRef.optional().describe("where it goes (default: the destination)"),
    protocol: z.enum(PROTOCOLS).optional().describe("default: the packet's protocol (icmp when none)"),
    port: z.number().int().min(1).max(65535).optional().describe("default: the packet's tcp_dst/udp_dst"),
  })
  .describe("live traffic: a probe sent about once a second while the Traceflow is Running");

const TraceflowStep = z
  .strictObject({
    ...STEP_COMMON,
    source: SourceRef.optional(),
    destination: EndpointRef.optional().describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
      "pod/..., service/... (its ClusterIP and first port), node/..., ext/..., an IP or a ${...} reference",
    ),
    packet: FlowText.optional(),
    liveTraffic: z.boolean().default(false).describe("trace a real packet instead of an injected one"),
    droppedOnly: z.boolean().default(false).describe("live traffic: capture only a dropped packet"),
    traceTimeout: TraceTimeout.optional(),
    traffic: Traffic.optional(),
    expect: TraceExpect.prefault({}),
  })
  .superRefine((t, ctx) => {
    const issue = (path: string, message: string) => ctx.addIssue({ code: "custom", path: [path], message });
    const isPod = (text: string | undefined) => text !== undefined && /^pod\//.test(text);
    if (!t.liveTraffic) {
      // (A source that is another kind of object was reported by SourceRef already.)
      if (t.source === undefined)
        issue("source", "a Traceflow that injects its packet needs a source Pod (pod/...)");
      else if (!isObjectForm(t.source))
        issue("source", "an IP as source is only for liveTraffic; use pod/...");
      if (t.destination === undefined)
        issue("destination", "a Traceflow that injects its packet needs a destination");
      if (t.droppedOnly) issue("droppedOnly", "droppedOnly is only for liveTraffic");
      if (t.traffic) issue("traffic", "traffic is only for liveTraffic (an injected packet needs none)");
    } else {
      if (!isPod(t.source) && !isPod(t.destination)) {
        issue("source", "one of source and destination must be a Pod (pod/...)");
      }
      if (!t.traffic) issue("liveTraffic", "a live-traffic Traceflow needs traffic: the packets it captures");
      else {
        if (!t.traffic.from && !isPod(t.source))
          issue("traffic", "traffic needs from: the source is not a Pod");
        if (!t.traffic.to && !t.destination) issue("traffic", "traffic needs to: there is no destination");
        const flow = parseFlow(t.packet ?? "");
        if (typeof flow !== "string") {
          const protocol = t.traffic.protocol ?? flow.protocol;
          const port = t.traffic.port ?? flow.dstPort;
          if (protocol === "icmp" && t.traffic.port !== undefined)
            issue("traffic", "icmp traffic takes no port");
          if (protocol !== "icmp" && port === undefined) {
            issue("traffic", `${protocol} traffic needs a port (traffic.port, or tcp_dst/udp_dst in packet)`);
          }
        }
      }
    }
    if (t.timeout !== undefined && t.timeout <= (t.traceTimeout ?? DEFAULT_TRACEFLOW_TIMEOUT_S * 1000)) {
      issue("timeout", "the step's timeout must be longer than the Traceflow's (traceTimeout, default 20s)");
    }
  });

type TraceflowBody = z.output<typeof TraceflowStep>;

/** spec.source / spec.destination from a reference: a Pod or Service by namespace and name, anything else by IP. */
async function endpoint(
  ctx: LabContext,
  text: string,
  role: "source" | "destination",
): Promise<{ namespace?: string; pod?: string; service?: string; ip?: string }> {
  const ref = isObjectForm(text) ? parseObjectRef(text) : undefined;
  if (typeof ref === "string") throw new Error(ref);
  if (ref?.kind === "pod" || ref?.kind === "service") {
    return { namespace: ctx.namespace(ref.namespace), [ref.kind]: ref.name };
  }
  const ip = await ctx.address(text);
  if (!isIP(ip)) throw new Error(`the ${role} ${text} is "${ip}", not an IP address`);
  return { ip };
}

/** The Traceflow's spec, every reference resolved. */
async function traceflowSpec(ctx: LabContext, t: TraceflowBody): Promise<TraceflowSpec> {
  const flow = checkFlow(t.packet ?? "");
  return {
    ...(t.source ? { source: await endpoint(ctx, t.source, "source") } : {}),
    ...(t.destination ? { destination: await endpoint(ctx, t.destination, "destination") } : {}),
    packet: flow.packet,
    ...(t.liveTraffic ? { liveTraffic: true } : {}),
    ...(t.droppedOnly ? { droppedOnly: true } : {}),
    timeout: (t.traceTimeout ?? DEFAULT_TRACEFLOW_TIMEOUT_S * 1000) / 1000,
  };
}

/** antctl's naming: `<src>-to-<dst>-<8 random characters>`, src/dst being `ns-pod`, an IP or `any`. */
function traceflowName(spec: TraceflowSpec): string {
  const part = (e: { namespace?: string; pod?: string; service?: string; ip?: string } | undefined) => {
    const name = e?.pod ?? e?.service;
    if (name) return `${e?.namespace}-${name}`;
    return e?.ip ? e.ip.replaceAll(":", "-") : "any";
  };
  const suffix = randomBytes(6)
    .toString("base64url")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x")
    .slice(0, 8);
  const prefix = `${part(spec.source)}-to-${part(spec.destination)}`.slice(0, 54).replace(/[^a-z0-9]+$/, "");
  return `${prefix}-${suffix}`;
}

/**
 * Maps a Node key of the expectation to the Kubernetes Node name in Traceflow results: a Node name stays as it is, a
 * topology node name (`worker`) becomes the Node carrying that ovslab.dev/topology-node label (`kind-worker` on kind).
 */
async function nodeNameResolver(kube: Kube): Promise<(key: string) => string> {
  const nodes = (await kube.core.listNode()).items;
  const names = new Set(nodes.map((n) => n.metadata?.name));
  const byTopology = new Map<string, string>();
  for (const n of nodes) {
    const topology = n.metadata?.labels?.[TOPOLOGY_NODE_LABEL];
    if (topology && n.metadata?.name) byTopology.set(topology, n.metadata.name);
  }
  return (key) => (names.has(key) ? key : (byTopology.get(key) ?? key));
}

/** The probe that live traffic sends, with defaults from the step's source, destination and packet. */
export async function trafficRequest(ctx: LabContext, t: TraceflowBody): Promise<ProbeRequest | undefined> {
  if (!t.liveTraffic || !t.traffic) return undefined;
  const flow = checkFlow(t.packet ?? "");
  const protocol = t.traffic.protocol ?? flow.protocol;
  return {
    source: ctx.execTarget(t.traffic.from ?? t.source!),
    ip: await ctx.address(t.traffic.to ?? t.destination!),
    port: protocol === "icmp" ? undefined : (t.traffic.port ?? flow.dstPort),
    protocol,
  };
}

interface Waited {
  tf: Traceflow | undefined;
  ms: number;
  traffic: ProbeResult[];
}

/** Polls until the Traceflow is Succeeded or Failed, or `budgetMs` (or the step) runs out, sending live traffic. */
async function untilDone(
  ctx: LabContext,
  api: CustomObjectsApi,
  name: string,
  budgetMs: number,
  limits: StepLimits,
  traffic: ProbeRequest | undefined,
): Promise<Waited> {
  const started = Date.now();
  const end = Math.min(limits.deadline, started + budgetMs);
  const sent: ProbeResult[] = [];
  let lastSent = 0;
  for (;;) {
    limits.signal.throwIfAborted();
    const raw = await api.getClusterCustomObject({ ...TRACEFLOW_RESOURCE, name }).catch((err: unknown) => {
      throw new Error(`cannot read Traceflow ${name}: ${apiErrorMessage(err)}`);
    });
    const tf = parseTraceflow(raw);
    const phase = tf?.status?.phase;
    if (phase === "Succeeded" || phase === "Failed" || Date.now() >= end) {
      return { tf, ms: Date.now() - started, traffic: sent };
    }
    if (traffic && phase === "Running" && Date.now() - lastSent >= TRAFFIC_EVERY_MS) {
      lastSent = Date.now();
      sent.push(await probe(ctx, traffic));
      continue;
    }
    await sleep(Math.min(POLL_MS, Math.max(0, end - Date.now())));
  }
}

const header = (name: string) => ({
  apiVersion: TRACEFLOW_API_VERSION,
  kind: "Traceflow",
  metadata: { name },
});

function trafficSummary(sent: readonly ProbeResult[]): string {
  if (!sent.length) return "traffic: none sent (the Traceflow was never Running)";
  const tally = new Map<Outcome, number>();
  for (const s of sent) tally.set(s.outcome, (tally.get(s.outcome) ?? 0) + 1);
  return `traffic: ${[...tally].map(([o, n]) => `${o} ×${n}`).join(", ")}`;
}

export const traceflowStep = defineStep({
  kind: "traceflow",
  description:
    "An Antrea Traceflow from a Pod to a Pod, Service or IP: its phase and the observations of every Node",
  schema: TraceflowStep,
  defaultTimeoutMs: 45_000,
  title: (t) =>
    [
      `traceflow ${t.source ?? "any"} -> ${t.destination ?? "any"}`,
      ...(t.packet ? [t.packet] : []),
      ...(t.liveTraffic ? [t.droppedOnly ? "live dropped-only" : "live"] : []),
      `expect ${t.expect.phase}`,
    ].join(" "),
  async run(t, ctx, limits) {
    const kube = await ctx.kube();
    const spec = await traceflowSpec(ctx, t);
    const nodeName = t.expect.results ? await nodeNameResolver(kube) : (key: string) => key;
    const want = await resolveExpectation(ctx, t.expect, nodeName);
    const traffic = await trafficRequest(ctx, t);
    const name = traceflowName(spec);
    const body = { ...header(name), spec };
    // Plain JSON, unlike the generic object client, which turns metadata timestamps into Dates.
    const api = kube.kc.makeApiClient(CustomObjectsApi);
    const route = `${t.source ?? "any"} -> ${t.destination ?? "any"}`;
    const reproduce = [
      `${formatArgv(["echo", JSON.stringify(body)])} | ${kube.kubectl(["create", "-f", "-"])}`,
      kube.kubectl(["get", "traceflow", name, "-o", "yaml"]),
      ...(traffic ? [ctx.reproduce(traffic.source, probeArgv(traffic))] : []),
    ];
    try {
      await api.createClusterCustomObject({ ...TRACEFLOW_RESOURCE, body });
    } catch (err) {
      throw new StepFailure({
        summary: `traceflow ${route}: the API server rejected the Traceflow`,
        expected: "the Traceflow is created",
        seen: apiErrorMessage(err),
        reproduce,
      });
    }
    ctx.rememberClusterObject(header(name));
    let waited: Waited;
    try {
      waited = await untilDone(
        ctx,
        api,
        name,
        (spec.timeout ?? 0) * 1000 + CONTROLLER_MARGIN_MS,
        limits,
        traffic,
      );
    } finally {
      // Should this fail, the scenario's cleanup deletes it (the step remembered it) and reports why.
      await api.deleteClusterCustomObject({ ...TRACEFLOW_RESOURCE, name }).catch(() => undefined);
    }
    const { tf } = waited;
    await ctx.artifacts.attach(
      "traceflow.yaml",
      stringify({ name, spec: tf?.spec ?? spec, status: tf?.status ?? {} }),
      "text/yaml",
    );
    if (traffic) {
      await ctx.artifacts.attach(
        "traffic.txt",
        waited.traffic
          .map((s) =>
            [
              `$ ${ctx.reproduce(traffic.source, s.argv)}`,
              `exit code ${s.exec.code}`,
              s.exec.stdout,
              s.exec.stderr,
            ].join("\n"),
          )
          .join("\n"),
      );
    }
    const outcome = {
      phase: tf?.status?.phase,
      reason: tf?.status?.reason,
      results: tf?.status?.results ?? [],
    };
    const problems = traceProblems(outcome, want);
    if (!problems.length) return;
    throw new StepFailure({
      summary: `traceflow ${route}: ${problems[0]}${problems.length > 1 ? ` (and ${problems.length - 1} more)` : ""}`,
      expected: formatExpectation(want),
      seen: [
        formatOutcome(outcome, want),
        `after ${formatMs(waited.ms)}${traffic ? `; ${trafficSummary(waited.traffic)}` : ""}`,
        "problems:",
        ...problems.map((p) => `- ${p}`),
      ].join("\n"),
      reproduce,
    });
  },
});
