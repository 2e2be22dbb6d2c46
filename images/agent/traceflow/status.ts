// The agent's writes to a Traceflow's status: append this Node's result (each packet-in is one NodeResult, Antrea's
// HandlePacketIn) and fail a trace this Node cannot run ("Node: <node>, error: <err>", errorTraceflowCRD). Several
// agents append to the same object, so every append re-reads it and retries on conflict.
import {
  ApiException,
  type CustomObjectsApi,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import {
  type NodeResult,
  parseTraceflow,
  TRACEFLOW_RESOURCE,
  type TraceflowPacket,
} from "../../api/traceflow.ts";

const CONFLICT_RETRIES = 8;
const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Appends a NodeResult; false when the Traceflow is gone, replaced (other uid) or no longer Running. */
export async function appendNodeResult(
  custom: CustomObjectsApi,
  target: { name: string; uid?: string },
  result: NodeResult,
  captured?: TraceflowPacket,
): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    let raw: unknown;
    try {
      raw = await custom.getClusterCustomObject({ ...TRACEFLOW_RESOURCE, name: target.name });
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return false;
      throw err;
    }
    const tf = parseTraceflow(raw);
    if (!tf || (target.uid && tf.metadata.uid !== target.uid) || tf.status?.phase !== "Running") return false;
    const body = {
      ...tf,
      status: {
        ...tf.status,
        results: [...(tf.status.results ?? []), result],
        ...(captured ? { capturedPacket: captured } : {}),
      },
    };
    try {
      await custom.replaceClusterCustomObjectStatus({ ...TRACEFLOW_RESOURCE, name: target.name, body });
      return true;
    } catch (err) {
      if (err instanceof ApiException && err.code === 409 && attempt < CONFLICT_RETRIES) continue;
      if (err instanceof ApiException && err.code === 404) return false;
      throw err;
    }
  }
}

/** Sets phase Failed with `Node: <node>, error: <message>`. */
export async function failTraceflow(
  custom: CustomObjectsApi,
  name: string,
  nodeName: string,
  message: string,
): Promise<void> {
  await custom.patchClusterCustomObjectStatus(
    {
      ...TRACEFLOW_RESOURCE,
      name,
      body: { status: { phase: "Failed", reason: `Node: ${nodeName}, error: ${message}` } },
    },
    MERGE_PATCH,
  );
}
