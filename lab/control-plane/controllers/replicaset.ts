// ReplicaSet -> Pods: creates or deletes owned Pods until their number matches spec.replicas, and reports status.
import { deepEqual } from "../object.ts";
import type { ControllerContext, ControllerSpec } from "./controller.ts";
import { keyOf, splitKey } from "./controller.ts";
import { controllerRef, isPodReady, ownedBy, type Pod, type ReplicaSet, selectorString } from "./types.ts";

export function replicaSetController(ctx: ControllerContext): ControllerSpec {
  const rsets = ctx.api.client<ReplicaSet>("replicasets");
  const pods = ctx.api.client<Pod>("pods");
  return {
    name: "replicaset",
    watches: [
      { resource: "replicasets", keys: (o, type) => (type === "DELETED" ? [] : [keyOf(o)]) },
      {
        resource: "pods",
        keys: (p) => {
          const ref = controllerRef(p);
          return ref?.kind === "ReplicaSet" ? [`${p.metadata.namespace}/${ref.name}`] : [];
        },
      },
    ],
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const rs = rsets.find(name, namespace);
      if (!rs || rs.metadata.deletionTimestamp) return;
      const owned = pods
        .list({ namespace, labelSelector: selectorString(rs.spec?.selector) })
        .filter((p) => ownedBy(p, rs));
      const active = owned.filter(
        (p) => !p.metadata.deletionTimestamp && !["Succeeded", "Failed"].includes(p.status?.phase ?? ""),
      );
      const want = rs.spec?.replicas ?? 1;
      for (let i = active.length; i < want; i++) {
        const template = rs.spec?.template ?? {};
        pods.create({
          apiVersion: "v1",
          kind: "Pod",
          metadata: {
            generateName: `${name}-`,
            namespace,
            labels: { ...template.metadata?.labels },
            ...(template.metadata?.annotations ? { annotations: { ...template.metadata.annotations } } : {}),
            ownerReferences: [
              {
                apiVersion: "apps/v1",
                kind: "ReplicaSet",
                name,
                uid: rs.metadata.uid ?? "",
                controller: true,
                blockOwnerDeletion: true,
              },
            ],
          },
          spec: structuredClone(template.spec ?? {}),
        });
      }
      if (active.length > want) {
        // delete the least useful first: unscheduled, then not ready, then newest
        const rank = (p: Pod) => (p.spec?.nodeName ? 1 : 0) + (isPodReady(p) ? 2 : 0);
        const victims = [...active]
          .sort(
            (a, b) =>
              rank(a) - rank(b) ||
              (b.metadata.creationTimestamp ?? "").localeCompare(a.metadata.creationTimestamp ?? ""),
          )
          .slice(0, active.length - want);
        for (const p of victims) pods.delete(p.metadata.name ?? "", namespace);
      }
      const ready = active.filter(isPodReady).length;
      const status = {
        replicas: active.length,
        fullyLabeledReplicas: active.length,
        readyReplicas: ready,
        availableReplicas: ready,
        observedGeneration: rs.metadata.generation ?? 1,
      };
      if (!deepEqual(rs.status, status)) rsets.updateStatus({ ...rs, status });
    },
  };
}
