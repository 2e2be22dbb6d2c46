// Node lifecycle: a node whose kubelet stops renewing its Lease becomes Ready=Unknown and gets the
// node.kubernetes.io/unreachable taint (so nothing new is scheduled there); the taint goes when Ready returns.
import type { ControllerContext, ControllerSpec } from "./controller.ts";
import { keyOf } from "./controller.ts";
import { condition, type Lease, type Node, type Taint } from "./types.ts";

export const UNREACHABLE_TAINT = "node.kubernetes.io/unreachable";

export interface NodeLifecycleOptions {
  /** How long a Lease may go unrenewed before the node is Unknown (Kubernetes: 40 s; the lab is faster). */
  gracePeriodMs: number;
}

export function nodeLifecycleController(ctx: ControllerContext, opts: NodeLifecycleOptions): ControllerSpec {
  const nodes = ctx.api.client<Node>("nodes");
  const leases = ctx.api.client<Lease>("leases");
  const started = ctx.now().getTime();
  return {
    name: "nodelifecycle",
    watches: [
      { resource: "nodes", keys: (n, type) => (type === "DELETED" ? [] : [keyOf(n)]) },
      {
        resource: "leases",
        keys: (l) => (l.metadata.namespace === "kube-node-lease" ? [l.metadata.name ?? ""] : []),
      },
    ],
    resync: { everyMs: 1000, keys: () => nodes.list().map(keyOf) },
    reconcile(name) {
      const node = nodes.find(name);
      if (!node) return;
      const lease = leases.find(name, "kube-node-lease");
      const renewed = lease?.spec?.renewTime ? Date.parse(lease.spec.renewTime) : started;
      const stale = ctx.now().getTime() - renewed > opts.gracePeriodMs;
      const ready = condition(node, "Ready");
      const taints = node.spec?.taints ?? [];
      const tainted = taints.some((t) => t.key === UNREACHABLE_TAINT);
      const now = `${ctx.now().toISOString().slice(0, 19)}Z`;
      if (stale && ready && ready.status !== "Unknown") {
        const conditions = (node.status?.conditions ?? []).map((c) =>
          c.type === "Ready"
            ? {
                ...c,
                status: "Unknown" as const,
                reason: "NodeStatusUnknown",
                message: "Kubelet stopped posting node status.",
                lastTransitionTime: now,
              }
            : c,
        );
        nodes.updateStatus({ ...node, status: { ...node.status, conditions } });
        ctx.log.info(
          `nodelifecycle: node ${name} is unreachable (no lease renewal for ${opts.gracePeriodMs} ms)`,
        );
        return;
      }
      if (stale && !tainted && ready?.status === "Unknown") {
        const taint: Taint = { key: UNREACHABLE_TAINT, effect: "NoSchedule", timeAdded: now };
        nodes.patch(name, { spec: { taints: [...taints, taint] } });
      } else if (!stale && tainted && ready?.status === "True") {
        nodes.patch(name, { spec: { taints: taints.filter((t) => t.key !== UNREACHABLE_TAINT) } });
      }
    },
  };
}
