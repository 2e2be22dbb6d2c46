// The scheduler: binds each unscheduled Pod to a Ready node that passes nodeSelector, required node affinity and
// taints/tolerations, preferring the node with the fewest Pods of the same owner, then the fewest Pods (spread).
import { ApiError } from "../errors.ts";
import type { ControllerContext, ControllerSpec } from "./controller.ts";
import { keyOf, splitKey } from "./controller.ts";
import {
  condition,
  controllerRef,
  matchesExpressions,
  type Node,
  type Pod,
  type Taint,
  type Toleration,
} from "./types.ts";

function tolerates(tolerations: readonly Toleration[], taint: Taint): boolean {
  return tolerations.some((t) => {
    if (t.effect && t.effect !== taint.effect) return false;
    if (!t.key) return t.operator === "Exists";
    if (t.key !== taint.key) return false;
    return t.operator === "Exists" || (t.value ?? "") === (taint.value ?? "");
  });
}

/** Why `node` cannot run `pod`, or undefined when it can; checks in kube-scheduler's filter plugin order. */
export function unfitReason(pod: Pod, node: Node): string | undefined {
  if (condition(node, "Ready")?.status !== "True") return "node(s) were not ready";
  if (node.spec?.unschedulable) return "node(s) were unschedulable";
  const untolerated = (node.spec?.taints ?? []).find(
    (t) => t.effect !== "PreferNoSchedule" && !tolerates(pod.spec?.tolerations ?? [], t),
  );
  if (untolerated) return `node(s) had untolerated taint {${untolerated.key}: ${untolerated.value ?? ""}}`;
  const labels = node.metadata.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) {
    if (labels[k] !== v) return "node(s) didn't match Pod's node affinity/selector";
  }
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms?.length && !terms.some((t) => matchesExpressions(labels, t.matchExpressions))) {
    return "node(s) didn't match Pod's node affinity/selector";
  }
  return undefined;
}

export function schedulerController(ctx: ControllerContext): ControllerSpec {
  const pods = ctx.api.client<Pod>("pods");
  const nodes = ctx.api.client<Node>("nodes");
  const pending = () =>
    pods
      .list({ fieldSelector: "spec.nodeName=" })
      .filter((p) => !p.metadata.deletionTimestamp)
      .map(keyOf);
  return {
    name: "scheduler",
    watches: [
      {
        resource: "pods",
        keys: (p, type) => (type !== "DELETED" && !(p as Pod).spec?.nodeName ? [keyOf(p)] : []),
      },
      { resource: "nodes", keys: () => pending() },
    ],
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const pod = pods.find(name, namespace);
      if (!pod || pod.spec?.nodeName || pod.metadata.deletionTimestamp) return;
      const all = nodes.list();
      const reasons = new Map<string, number>();
      const fit = all.filter((n) => {
        const why = unfitReason(pod, n);
        if (why) reasons.set(why, (reasons.get(why) ?? 0) + 1);
        return !why;
      });
      if (!fit.length) {
        const detail = [...reasons].map(([why, n]) => `${n} ${why}`).join(", ");
        markUnschedulable(ctx, pod, `0/${all.length} nodes are available${detail ? `: ${detail}` : ""}.`);
        return;
      }
      const owner = controllerRef(pod);
      const placed = pods.list().filter((p) => p.spec?.nodeName && !p.metadata.deletionTimestamp);
      const score = (n: Node) => {
        const here = placed.filter((p) => p.spec?.nodeName === n.metadata.name);
        const siblings = owner
          ? here.filter(
              (p) => controllerRef(p)?.name === owner.name && p.metadata.namespace === pod.metadata.namespace,
            )
          : [];
        return [siblings.length, here.length] as const;
      };
      const best = fit
        .map((n) => ({ n, s: score(n) }))
        .sort(
          (a, b) =>
            a.s[0] - b.s[0] ||
            a.s[1] - b.s[1] ||
            (a.n.metadata.name ?? "").localeCompare(b.n.metadata.name ?? ""),
        )[0]!;
      try {
        ctx.api.bind(namespace ?? "default", name, best.n.metadata.name ?? "");
        ctx.log.debug(`scheduler: bound ${key} to ${best.n.metadata.name}`);
      } catch (err) {
        if (!(err instanceof ApiError && (err.code === 409 || err.code === 404))) throw err;
      }
    },
  };
}

function markUnschedulable(ctx: ControllerContext, pod: Pod, message: string): void {
  const current = condition(pod, "PodScheduled");
  if (current?.status === "False" && current.message === message) return;
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled");
  conditions.push({
    type: "PodScheduled",
    status: "False",
    reason: "Unschedulable",
    message,
    lastProbeTime: null,
    lastTransitionTime: `${ctx.now().toISOString().slice(0, 19)}Z`,
  });
  ctx.api
    .client<Pod>("pods")
    .updateStatus({ ...pod, status: { ...pod.status, phase: "Pending", conditions } });
}
