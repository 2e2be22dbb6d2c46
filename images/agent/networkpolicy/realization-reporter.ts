// Tells the controller which generation of each policy this Node has realized (or cannot realize, and why): a
// strategic merge patch of the controlplane NetworkPolicy's status that sets only this Node's entry
// (nodeStatusPatch). Sent once per generation and outcome, after the policy's flows are in OVS; sent again when
// the policy changes (new generation).
import { type CustomObjectsApi, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import {
  CONTROLPLANE_GROUP,
  CONTROLPLANE_RESOURCES,
  CONTROLPLANE_VERSION,
  nodeStatusPatch,
} from "../../api/controlplane.ts";

const STRATEGIC_MERGE = setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch);

export class RealizationReporter {
  /** policy name -> what was reported: generation and failure message ("" for success) */
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly custom: CustomObjectsApi,
    private readonly nodeName: string,
  ) {}

  /**
   * Reports every policy of `results` (realized, or failed with a message) whose generation and outcome were not
   * reported yet, and forgets policies that are not in `current` (deleted, or this Node left their span). Throws
   * when a report fails; the others stay sent.
   */
  async report(
    results: readonly { name: string; generation: number; failure?: string }[],
    current: ReadonlySet<string>,
  ): Promise<string[]> {
    for (const name of this.reported.keys()) if (!current.has(name)) this.reported.delete(name);
    const key = (p: { generation: number; failure?: string }) => `${p.generation}/${p.failure ?? ""}`;
    const due = results.filter((p) => this.reported.get(p.name) !== key(p));
    const sent = await Promise.allSettled(
      due.map(async (p) => {
        const status = { nodeName: this.nodeName, generation: p.generation };
        await this.custom.patchClusterCustomObjectStatus(
          {
            group: CONTROLPLANE_GROUP,
            version: CONTROLPLANE_VERSION,
            plural: CONTROLPLANE_RESOURCES.networkPolicy,
            name: p.name,
            body: nodeStatusPatch(
              p.failure ? { ...status, realizationFailure: true, message: p.failure } : status,
            ),
          },
          STRATEGIC_MERGE,
        );
        this.reported.set(p.name, key(p));
      }),
    );
    const failed = sent.find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    return due.map((p) => p.name);
  }
}
