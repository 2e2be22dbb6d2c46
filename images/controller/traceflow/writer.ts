// The controller's status writes: read the Traceflow afresh, let `change` compute the new status from that
// object, and PUT it to the status subresource with the object's resourceVersion. A 409 means an agent wrote
// meanwhile (e.g. appended a NodeResult), so the change is recomputed on the newer object: results written
// concurrently are never lost.
import { ApiException, CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  parseTraceflow,
  TRACEFLOW_RESOURCE,
  type Traceflow,
  type TraceflowStatus,
} from "../../api/traceflow.ts";

const CONFLICT_RETRIES = 10;

const isCode = (err: unknown, code: number) => err instanceof ApiException && err.code === code;

export type StatusWriteResult =
  | { outcome: "written"; traceflow: Traceflow }
  /** `change` found nothing to do on the fresh object. */
  | { outcome: "unchanged"; traceflow: Traceflow }
  | { outcome: "gone" };

export class TraceflowStatusWriter {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  /** Writes `change(fresh)` as the status of Traceflow `name`, unless it returns undefined. */
  async update(
    name: string,
    change: (fresh: Traceflow) => TraceflowStatus | undefined,
  ): Promise<StatusWriteResult> {
    for (let attempt = 1; ; attempt++) {
      let raw: unknown;
      try {
        raw = await this.api.getClusterCustomObject({ ...TRACEFLOW_RESOURCE, name });
      } catch (err) {
        if (isCode(err, 404)) return { outcome: "gone" };
        throw err;
      }
      const fresh = parseTraceflow(raw);
      if (!fresh) throw new Error(`Traceflow ${name} from the API does not parse`);
      const status = change(fresh);
      if (!status) return { outcome: "unchanged", traceflow: fresh };
      try {
        const written = await this.api.replaceClusterCustomObjectStatus({
          ...TRACEFLOW_RESOURCE,
          name,
          body: { ...(raw as object), status },
        });
        const traceflow = parseTraceflow(written);
        if (!traceflow) throw new Error(`Traceflow ${name} written to the API does not parse`);
        return { outcome: "written", traceflow };
      } catch (err) {
        if (isCode(err, 409) && attempt < CONFLICT_RETRIES) continue;
        if (isCode(err, 404)) return { outcome: "gone" };
        throw err;
      }
    }
  }
}
