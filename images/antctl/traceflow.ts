// `antctl traceflow` as Antrea's antctl runs it (runE in pkg/antctl/raw/traceflow/command.go): check the flags,
// create the Traceflow, poll it until the controller calls it Succeeded or Failed, print it, delete it.
// As there, flag mistakes are printed on stdout without a newline and the command still succeeds, a trace
// that ended Failed is printed and succeeds too, and only API trouble and the wait timing out are errors.
import { setTimeout as sleep } from "node:timers/promises";
import type { CustomObjectsApi } from "@kubernetes/client-node";
import { z } from "zod";
import { TRACEFLOW_RESOURCE, traceflowSpecSchema, traceflowStatusSchema } from "../api/traceflow.ts";
import { AntctlError } from "./errors.ts";
import { apiFailure, type Kube } from "./kube.ts";
import { renderTraceflow, type TraceflowView } from "./traceflow-output.ts";
import { type NewTraceflow, newTraceflow, type PodLookup } from "./traceflow-request.ts";

/** Without `-t`. */
const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 12 * 3_600_000;
/** Antrea polls every second; a quarter of that answers sooner and costs the API server little. */
const POLL_INTERVAL_MS = 250;

export interface TraceflowFlags {
  source?: string;
  destination?: string;
  flow?: string;
  liveTraffic: boolean;
  droppedOnly: boolean;
  nowait: boolean;
  /** `-o`: yaml or json (checked only when the result is printed, as Antrea does). */
  output: string;
  /** The global `-t/--timeout`, in ms; 0 or undefined means the default. */
  timeoutMs?: number;
}

export interface TraceflowOutput {
  out(text: string): void;
  err(text: string): void;
}

/**
 * What is read back: spec endpoints and status only, so that a spec field the server took but the shared schema
 * would refuse (e.g. a port out of range from -f) does not hide the result.
 */
const traceflowViewSchema = z.object({
  metadata: z.object({ name: z.string() }),
  spec: z
    .object({
      source: traceflowSpecSchema.shape.source,
      destination: traceflowSpecSchema.shape.destination,
    })
    .default({}),
  status: traceflowStatusSchema.optional(),
});

/** The flag checks antctl makes before talking to the API; their message, or undefined when all is well. */
function flagProblem(flags: TraceflowFlags, timeoutMs: number): string | undefined {
  if (timeoutMs > MAX_TIMEOUT_MS) return "Timeout cannot be longer than 12 hours";
  if (!flags.liveTraffic && !flags.source) return "Please provide source";
  if (!flags.liveTraffic && !flags.destination) return "Please provide destination";
  if (!flags.source && !flags.destination) return "One of source and destination must be a Pod";
  if (!flags.liveTraffic && flags.droppedOnly) return "--dropped-only works only with live-traffic Traceflow";
  return undefined;
}

export async function runTraceflow(
  kube: Kube,
  flags: TraceflowFlags,
  output: TraceflowOutput,
): Promise<void> {
  const timeoutMs = flags.timeoutMs || DEFAULT_TIMEOUT_MS;
  const problem = flagProblem(flags, timeoutMs);
  if (problem) {
    output.out(problem);
    return;
  }

  const { core, custom } = await kube.clients();
  const isPod: PodLookup = async (namespace, name) => {
    try {
      await core.readNamespacedPod({ namespace, name });
      return true;
    } catch (err) {
      if (apiFailure(err)?.code === 404) return false;
      throw new AntctlError(
        `failed to check if destination is Pod or Service: failed to get Pod from Kubernetes API: ${apiMessage(err)}`,
      );
    }
  };
  let tf: NewTraceflow;
  try {
    tf = await newTraceflow({ ...flags, timeoutSeconds: Math.trunc(timeoutMs / 1000) }, isPod);
  } catch (err) {
    throw new AntctlError(`error when filling up Traceflow config: ${apiMessage(err)}`);
  }

  const name = tf.metadata.name;
  try {
    await custom.createClusterCustomObject({ ...TRACEFLOW_RESOURCE, body: tf });
  } catch (err) {
    throw new AntctlError(
      `error when creating Traceflow, is Traceflow feature gate enabled? ${apiMessage(err)}`,
    );
  }
  if (flags.nowait) return;

  try {
    const { result, done } = await waitForTraceflow(custom, name, timeoutMs);
    try {
      output.out(renderTraceflow(result, flags.output));
    } catch (err) {
      throw new AntctlError(`error when outputting result: ${apiMessage(err)}`);
    }
    if (!done) throw new AntctlError("timeout waiting for Traceflow done");
  } finally {
    try {
      await custom.deleteClusterCustomObject({ ...TRACEFLOW_RESOURCE, name });
    } catch (err) {
      // As Antrea: logged, and the command's outcome stays what it was.
      output.err(`error when deleting Traceflow: ${apiMessage(err)}\n`);
    }
  }
}

/** Polls until the phase is Succeeded or Failed (`done`) or the time is up; gives the last object read. */
async function waitForTraceflow(
  custom: CustomObjectsApi,
  name: string,
  timeoutMs: number,
): Promise<{ result: TraceflowView; done: boolean }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await sleep(POLL_INTERVAL_MS);
    let result: TraceflowView;
    try {
      result = traceflowViewSchema.parse(
        await custom.getClusterCustomObject({ ...TRACEFLOW_RESOURCE, name }),
      );
    } catch (err) {
      throw new AntctlError(`error when retrieving Traceflow: ${apiMessage(err)}`);
    }
    const phase = result.status?.phase;
    if (phase === "Succeeded" || phase === "Failed") return { result, done: true };
    if (Date.now() >= deadline) return { result, done: false };
  }
}

/** An API error as client-go words it (the server's message); any other error's own message. */
function apiMessage(err: unknown): string {
  return apiFailure(err)?.message ?? (err instanceof Error ? err.message : String(err));
}
