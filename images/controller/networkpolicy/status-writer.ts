// Writes realization status: the summary in each controlplane NetworkPolicy's status (the only status a K8s
// NetworkPolicy gets, since Kubernetes has none for it) and the status of ACNPs/ANNPs. Agents own
// status.nodes of the controlplane object; the controller patches only the summary fields, with a strategic
// merge patch that also drops the reports of Nodes that left the span. Nothing is written when nothing changed.
import {
  CONTROLPLANE_GROUP,
  CONTROLPLANE_RESOURCES,
  CONTROLPLANE_VERSION,
  type ControlplaneNetworkPolicyStatus,
  formatSourceRef,
} from "../../api/controlplane.ts";
import { antreaPolicyStatusSchema, CRD_GROUP, CRD_RESOURCES, CRD_VERSION } from "../../api/crd-policy.ts";
import {
  type ApiObject,
  apiErrorCode,
  type CustomObjects,
  describeApiError,
} from "../kube/custom-objects.ts";
import type { Logger } from "../log.ts";
import { canonicalJson } from "./canonical-json.ts";
import { type PolicyKey, policyKeyString } from "./policy-model.ts";
import type { DesiredState } from "./policy-state.ts";
import { antreaPolicyStatus, type Realization, realization } from "./realization.ts";
import type { ControlplaneWriter } from "./writer.ts";

export class StatusWriter {
  constructor(
    private readonly objects: CustomObjects,
    private readonly published: ControlplaneWriter,
    /** The source policy (K8s NetworkPolicy, ACNP or ANNP) as watched. */
    private readonly source: (key: PolicyKey) => ApiObject | undefined,
    private readonly log: Logger,
  ) {}

  /** False if a write failed (the next sync retries). */
  async sync(desired: DesiredState): Promise<boolean> {
    const done = await Promise.all(
      [...desired.networkPolicies].map(async ([name, p]) => {
        const src = this.source(p.key);
        if (!src) return true; // deleted meanwhile
        const generation = src.metadata?.generation ?? 0;
        const cp = this.published.networkPolicy(name);
        const r = cp ? realization(cp.span, cp.metadata.generation ?? 0, cp.status?.nodes ?? []) : undefined;
        const okControlplane =
          cp && r ? await this.syncControlplane(p.key, name, cp.status, r, generation) : true;
        const okSource =
          p.key.type === "K8sNetworkPolicy" ? true : await this.syncSource(p.key, src, r, generation);
        return okControlplane && okSource;
      }),
    );
    return done.every(Boolean);
  }

  private async syncControlplane(
    key: PolicyKey,
    name: string,
    current: ControlplaneNetworkPolicyStatus | undefined,
    r: Realization,
    sourceGeneration: number,
  ): Promise<boolean> {
    const summary = {
      phase: r.phase,
      observedGeneration: sourceGeneration,
      currentNodesRealized: r.currentNodesRealized,
      desiredNodesRealized: r.desiredNodesRealized,
    } satisfies ControlplaneNetworkPolicyStatus;
    const same =
      current?.phase === summary.phase &&
      current.observedGeneration === summary.observedGeneration &&
      current.currentNodesRealized === summary.currentNodesRealized &&
      current.desiredNodesRealized === summary.desiredNodesRealized;
    if (same && r.staleNodes.length === 0) return true;
    const nodes = r.staleNodes.map((nodeName) => ({ nodeName, $patch: "delete" }));
    try {
      const stored = await this.objects.patchStatus(
        {
          group: CONTROLPLANE_GROUP,
          version: CONTROLPLANE_VERSION,
          plural: CONTROLPLANE_RESOURCES.networkPolicy,
        },
        { name },
        { status: nodes.length > 0 ? { ...summary, nodes } : summary },
        "strategic",
      );
      this.published.observe("networkpolicies", "update", stored);
      // Antrea-native policies log their own status; K8s NetworkPolicies have only this one.
      const changed = current?.phase !== r.phase || current?.currentNodesRealized !== r.currentNodesRealized;
      if (key.type === "K8sNetworkPolicy" && changed) {
        this.log.info(
          `${formatSourceRef(key)} ${r.phase} (${r.currentNodesRealized}/${r.desiredNodesRealized} Nodes, generation ${sourceGeneration})`,
        );
      }
      return true;
    } catch (err) {
      if (apiErrorCode(err) === 404) return true; // deleted meanwhile
      this.log.warn(`cannot write status of networkpolicies ${name}: ${describeApiError(err)}`);
      return false;
    }
  }

  private async syncSource(
    key: PolicyKey,
    src: ApiObject,
    r: Realization | undefined,
    generation: number,
  ): Promise<boolean> {
    const parsed = antreaPolicyStatusSchema.safeParse(src.status);
    const previous = parsed.success ? parsed.data : undefined;
    const next = antreaPolicyStatus(r, generation, previous, new Date());
    if (canonicalJson(next) === canonicalJson(previous)) return true;
    const plural =
      key.type === "AntreaClusterNetworkPolicy"
        ? CRD_RESOURCES.clusterNetworkPolicy
        : CRD_RESOURCES.networkPolicy;
    try {
      await this.objects.patchStatus(
        { group: CRD_GROUP, version: CRD_VERSION, plural },
        { namespace: key.namespace, name: key.name },
        { status: { ...next, conditions: next.conditions ?? null } },
        "merge",
      );
    } catch (err) {
      if (apiErrorCode(err) === 404) return true;
      this.log.warn(`cannot write status of ${policyKeyString(key)}: ${describeApiError(err)}`);
      return false;
    }
    if (previous?.phase !== next.phase || previous.currentNodesRealized !== next.currentNodesRealized) {
      const ref = formatSourceRef(key);
      this.log.info(
        `${ref} ${next.phase} (${next.currentNodesRealized}/${next.desiredNodesRealized} Nodes, generation ${generation})`,
      );
    }
    return true;
  }
}
