// Deployment -> ReplicaSets: one ReplicaSet per Pod template (named by its hash, like kube-controller-manager's
// pod-template-hash), rolled forward within maxSurge/maxUnavailable (or Recreate), with Deployment status.
import { createHash } from "node:crypto";
import { deepEqual } from "../object.ts";
import type { ControllerContext, ControllerSpec } from "./controller.ts";
import { keyOf, splitKey } from "./controller.ts";
import type { Condition, Deployment, ReplicaSet } from "./types.ts";
import { controllerRef, ownedBy } from "./types.ts";

function templateHash(d: Deployment): string {
  return createHash("sha256")
    .update(JSON.stringify(d.spec?.template ?? {}))
    .digest("hex")
    .slice(0, 10);
}

/** An int-or-percent of `total`, rounded up (surge) or down (unavailable) as Kubernetes does. */
function scaled(v: number | string | undefined, total: number, fallback: string, roundUp: boolean): number {
  const value = v ?? fallback;
  if (typeof value === "number") return value;
  const pct = Number.parseInt(value, 10) / 100;
  return roundUp ? Math.ceil(total * pct) : Math.floor(total * pct);
}

const specReplicas = (rs: ReplicaSet) => rs.spec?.replicas ?? 0;
const available = (rs: ReplicaSet) => Number(rs.status?.availableReplicas ?? 0);

export function deploymentController(ctx: ControllerContext): ControllerSpec {
  const deployments = ctx.api.client<Deployment>("deployments");
  const rsets = ctx.api.client<ReplicaSet>("replicasets");
  return {
    name: "deployment",
    watches: [
      { resource: "deployments", keys: (o, type) => (type === "DELETED" ? [] : [keyOf(o)]) },
      {
        resource: "replicasets",
        keys: (rs) => {
          const ref = controllerRef(rs);
          return ref?.kind === "Deployment" ? [`${rs.metadata.namespace}/${ref.name}`] : [];
        },
      },
    ],
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const d = deployments.find(name, namespace);
      if (!d || d.metadata.deletionTimestamp) return;
      const desired = d.spec?.replicas ?? 1;
      const hash = templateHash(d);
      const owned = rsets.list({ namespace }).filter((rs) => ownedBy(rs, d));
      let current = owned.find((rs) => rs.metadata.labels?.["pod-template-hash"] === hash);
      const old = owned.filter((rs) => rs !== current);
      const revisionOf = (rs: ReplicaSet) =>
        Number(rs.metadata.annotations?.["deployment.kubernetes.io/revision"] ?? 0);
      if (!current) {
        const template = structuredClone(d.spec?.template ?? {});
        template.metadata = {
          ...template.metadata,
          labels: { ...template.metadata?.labels, "pod-template-hash": hash },
        };
        const selector = structuredClone(d.spec?.selector ?? {});
        selector.matchLabels = { ...selector.matchLabels, "pod-template-hash": hash };
        current = rsets.create({
          apiVersion: "apps/v1",
          kind: "ReplicaSet",
          metadata: {
            name: `${name}-${hash}`,
            namespace,
            labels: { ...template.metadata.labels },
            annotations: {
              "deployment.kubernetes.io/revision": String(Math.max(0, ...owned.map(revisionOf)) + 1),
            },
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "Deployment",
                name,
                uid: d.metadata.uid ?? "",
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: { replicas: 0, selector, template },
        });
      }
      const setReplicas = (rs: ReplicaSet, n: number) => {
        if (specReplicas(rs) !== n) rsets.update({ ...rs, spec: { ...rs.spec, replicas: n } });
      };

      const recreate = d.spec?.strategy?.type === "Recreate";
      const oldTotal = old.reduce((s, rs) => s + specReplicas(rs), 0);
      if (recreate) {
        for (const rs of old) setReplicas(rs, 0);
        const oldRunning = old.reduce((s, rs) => s + Number(rs.status?.replicas ?? 0), 0);
        if (oldRunning === 0) setReplicas(current, desired);
      } else {
        const ru = d.spec?.strategy?.rollingUpdate;
        const surge = scaled(ru?.maxSurge, desired, "25%", true);
        const unavailable = Math.max(scaled(ru?.maxUnavailable, desired, "25%", false), surge === 0 ? 1 : 0);
        // scale up the new ReplicaSet as far as the surge allows
        const up = Math.min(desired, Math.max(specReplicas(current), desired + surge - oldTotal));
        if (specReplicas(current) > desired) setReplicas(current, desired);
        else setReplicas(current, up);
        // scale old ReplicaSets down as far as availability allows
        let removable =
          available(current) + old.reduce((s, rs) => s + available(rs), 0) - (desired - unavailable);
        for (const rs of old) {
          const unavailableHere = specReplicas(rs) - available(rs);
          const cut = Math.min(specReplicas(rs), Math.max(0, unavailableHere + Math.max(0, removable)));
          if (cut > 0) {
            setReplicas(rs, specReplicas(rs) - cut);
            removable -= Math.max(0, cut - unavailableHere);
          }
        }
      }

      const revision = String(revisionOf(current));
      const all = [current, ...old];
      const ready = all.reduce((s, rs) => s + Number(rs.status?.readyReplicas ?? 0), 0);
      const avail = all.reduce((s, rs) => s + available(rs), 0);
      const total = all.reduce((s, rs) => s + Number(rs.status?.replicas ?? 0), 0);
      const updated = Number(current.status?.replicas ?? 0);
      const now = `${ctx.now().toISOString().slice(0, 19)}Z`;
      const minAvailable = recreate
        ? desired
        : desired - scaled(d.spec?.strategy?.rollingUpdate?.maxUnavailable, desired, "25%", false);
      const complete = updated === desired && avail >= desired && total === desired;
      const conditions: Condition[] = [
        {
          type: "Available",
          status: avail >= minAvailable ? "True" : "False",
          reason: avail >= minAvailable ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable",
          message:
            avail >= minAvailable
              ? "Deployment has minimum availability."
              : "Deployment does not have minimum availability.",
        },
        {
          type: "Progressing",
          status: "True",
          reason: complete ? "NewReplicaSetAvailable" : "ReplicaSetUpdated",
          message: complete
            ? `ReplicaSet "${current.metadata.name}" has successfully progressed.`
            : `ReplicaSet "${current.metadata.name}" is progressing.`,
        },
      ];
      const previous = (d.status?.conditions as Condition[] | undefined) ?? [];
      const withTimes = conditions.map((c) => {
        const p = previous.find((x) => x.type === c.type);
        const same = p && p.status === c.status && p.reason === c.reason;
        return {
          ...c,
          lastUpdateTime: same ? p.lastUpdateTime : now,
          lastTransitionTime: p?.status === c.status ? p.lastTransitionTime : now,
        };
      });
      const status = {
        observedGeneration: d.metadata.generation ?? 1,
        replicas: total,
        updatedReplicas: updated,
        readyReplicas: ready,
        availableReplicas: avail,
        ...(total - avail > 0 ? { unavailableReplicas: total - avail } : {}),
        conditions: withTimes,
      };
      if (!deepEqual(d.status, status)) deployments.updateStatus({ ...d, status });
      if (d.metadata.annotations?.["deployment.kubernetes.io/revision"] !== revision) {
        deployments.patch(
          name,
          { metadata: { annotations: { "deployment.kubernetes.io/revision": revision } } },
          { namespace },
        );
      }
    },
  };
}
