// wait: polls the API (200 ms, backing off to 1 s) until objects are ready, have a condition, have a field value,
// are gone, or (Antrea-native policies) are realized on every node, within the step's timeout. Never a fixed sleep.
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { z } from "zod";
import { formatMs } from "../duration.ts";
import { parseResourceRef } from "../resource-kinds.ts";
import { evaluateJsonPath, jsonPathText, type PathSegment, parseJsonPath } from "./json-path.ts";
import {
  describeResource,
  fetchObjects,
  kubectlGet,
  ResourceShape,
  resolveResource,
  resourceIssues,
} from "./objects.ts";
import { defineStep, STEP_COMMON, StepFailure } from "./step-kind.ts";

const WAIT_FOR = ["ready", "condition", "field", "deleted", "policyRealized"] as const;

const Wait = z
  .strictObject({
    ...STEP_COMMON,
    for: z.enum(WAIT_FOR).describe("ready | condition | field | deleted | policyRealized"),
    ...ResourceShape,
    condition: z.string().min(1).optional().describe("condition type (for: condition), e.g. Available"),
    status: z
      .enum(["True", "False", "Unknown"])
      .default("True")
      .describe("condition status (for: condition)"),
    field: z.string().min(1).optional().describe('JSONPath (for: field), e.g. "{.status.phase}"'),
    value: z.string().optional().describe("expected value of field, compared as text"),
    count: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe("with a selector: at least this many objects (default 1)"),
  })
  .superRefine((w, ctx) => {
    resourceIssues(w, ctx, w.selector !== undefined ? "pod" : undefined);
    const need = (key: "condition" | "field" | "value", when: (typeof WAIT_FOR)[number]) => {
      if ((w[key] !== undefined) !== (w.for === when)) {
        ctx.addIssue({
          code: "custom",
          path: [w[key] === undefined ? "for" : key],
          message: w[key] === undefined ? `for: ${when} needs ${key}` : `${key} goes with for: ${when}`,
        });
      }
    };
    need("condition", "condition");
    need("field", "field");
    need("value", "field");
    if (w.field !== undefined) {
      const path = parseJsonPath(w.field);
      if (typeof path === "string") ctx.addIssue({ code: "custom", path: ["field"], message: path });
    }
    if (w.count !== undefined && (w.selector === undefined || w.for === "deleted")) {
      ctx.addIssue({
        code: "custom",
        path: ["count"],
        message: "count goes with a selector (and not with deleted)",
      });
    }
    const ref = parseResourceRef(w.resource ?? "pod");
    if (w.for === "policyRealized" && typeof ref !== "string" && !ref.type.realizationStatus) {
      ctx.addIssue({
        code: "custom",
        path: ["resource"],
        message:
          `${ref.type.kind} reports no realization; policyRealized is for Antrea-native policies (acnp, anp). ` +
          "For a Kubernetes NetworkPolicy, probe with the expected outcome: probes retry until it holds",
      });
    }
  });

type WaitBody = z.output<typeof Wait>;
type Verdict = true | string;

interface Status {
  phase?: string;
  conditions?: { type?: string; status?: string; reason?: string; message?: string }[];
  observedGeneration?: number;
  availableReplicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  currentNodesRealized?: number;
  desiredNodesRealized?: number;
}

function statusOf(obj: KubernetesObject): Status {
  return ((obj as { status?: Status }).status ?? {}) as Status;
}

function conditionVerdict(obj: KubernetesObject, type: string, want: string): Verdict {
  const c = statusOf(obj).conditions?.find((x) => x.type === type);
  if (c?.status === want) return true;
  return c
    ? `${type}=${c.status}${c.reason ? ` (${c.reason}${c.message ? `: ${c.message}` : ""})` : ""}`
    : `no ${type} condition`;
}

function realizedVerdict(obj: KubernetesObject): Verdict {
  const s = statusOf(obj);
  const generation = obj.metadata?.generation;
  if (s.phase !== "Realized") return `phase ${s.phase ?? "(none)"}`;
  if (generation !== undefined && s.observedGeneration !== generation) {
    return `observedGeneration ${s.observedGeneration} of generation ${generation}`;
  }
  if (s.currentNodesRealized !== s.desiredNodesRealized) {
    return `realized on ${s.currentNodesRealized} of ${s.desiredNodesRealized} nodes`;
  }
  return true;
}

function readyVerdict(obj: KubernetesObject): Verdict {
  const s = statusOf(obj);
  const spec = (obj as { spec?: { replicas?: number } }).spec;
  switch (obj.kind) {
    case "Pod": {
      const ready = conditionVerdict(obj, "Ready", "True");
      return ready === true ? true : `phase ${s.phase ?? "(none)"}, ${ready}`;
    }
    case "Node":
      return conditionVerdict(obj, "Ready", "True");
    case "Deployment": {
      const want = spec?.replicas ?? 1;
      if ((s.observedGeneration ?? 0) < (obj.metadata?.generation ?? 0))
        return "the new generation is not observed yet";
      if ((s.updatedReplicas ?? 0) < want) return `${s.updatedReplicas ?? 0} of ${want} replicas updated`;
      if ((s.availableReplicas ?? 0) < want)
        return `${s.availableReplicas ?? 0} of ${want} replicas available`;
      return true;
    }
    case "ReplicaSet": {
      const want = spec?.replicas ?? 1;
      return (s.readyReplicas ?? 0) >= want ? true : `${s.readyReplicas ?? 0} of ${want} replicas ready`;
    }
    case "ClusterNetworkPolicy":
    case "NetworkPolicy":
      return obj.apiVersion?.startsWith("crd.antrea.io/") ? realizedVerdict(obj) : true;
    default:
      return true; // other kinds are ready once they exist
  }
}

function objectVerdict(w: WaitBody, path: PathSegment[] | undefined, obj: KubernetesObject): Verdict {
  switch (w.for) {
    case "ready":
      return readyVerdict(obj);
    case "condition":
      return conditionVerdict(obj, w.condition ?? "", w.status);
    case "policyRealized":
      return realizedVerdict(obj);
    case "field": {
      const seen = path ? evaluateJsonPath(obj, path) : undefined;
      if (seen === undefined) return `${w.field} is not set`;
      return jsonPathText(seen) === w.value ? true : `${w.field} is ${JSON.stringify(jsonPathText(seen))}`;
    }
    case "deleted":
      return "still exists";
  }
}

function verdict(
  w: WaitBody,
  path: PathSegment[] | undefined,
  objects: readonly KubernetesObject[],
): Verdict {
  if (w.for === "deleted") {
    return objects.length === 0 ? true : `${objects.map((o) => o.metadata?.name).join(", ")} still exist(s)`;
  }
  const need = w.count ?? 1;
  if (objects.length < need)
    return objects.length ? `${objects.length} of at least ${need} objects exist` : "not found";
  const pending = objects.flatMap((o) => {
    const v = objectVerdict(w, path, o);
    return v === true ? [] : [`${o.metadata?.name}: ${v}`];
  });
  return pending.length ? pending.join("; ") : true;
}

function expectation(w: WaitBody): string {
  switch (w.for) {
    case "ready":
      return "ready";
    case "condition":
      return `condition ${w.condition}=${w.status}`;
    case "field":
      return `${w.field} = ${JSON.stringify(w.value)}`;
    case "deleted":
      return "gone";
    case "policyRealized":
      return "status.phase Realized on every node, for the current generation";
  }
}

export const waitStep = defineStep({
  kind: "wait",
  description:
    "Waits (polling, bounded by the step timeout) for objects to be ready, have a condition or field, be gone, or be realized",
  schema: Wait,
  defaultTimeoutMs: 60_000,
  title: (w) =>
    `wait ${w.for} ${w.resource ?? "pod"}${w.selector ? ` -l ${w.selector}` : ""}${
      w.for === "condition"
        ? ` ${w.condition}=${w.status}`
        : w.for === "field"
          ? ` ${w.field}=${w.value}`
          : ""
    }`,
  async run(w, ctx, limits) {
    const kube = await ctx.kube();
    const resource = resolveResource(w, ctx, w.selector !== undefined ? "pod" : undefined);
    const path = w.field !== undefined ? (parseJsonPath(w.field) as PathSegment[]) : undefined;
    const started = Date.now();
    let interval = 200;
    let objects: KubernetesObject[] = [];
    let last: Verdict = "not checked";
    for (;;) {
      limits.signal.throwIfAborted();
      objects = await fetchObjects(kube, resource);
      last = verdict(w, path, objects);
      if (last === true || Date.now() + interval > limits.deadline) break;
      await sleep(interval);
      interval = Math.min(1000, interval * 1.5);
    }
    await ctx.artifacts.attach(
      "objects.yaml",
      objects.map((o) => stringify(o)).join("---\n") || "# none\n",
      "text/yaml",
    );
    if (last === true) return;
    throw new StepFailure({
      summary: `timed out after ${formatMs(Date.now() - started)} waiting for ${describeResource(resource)} to be ${expectation(w)}`,
      expected: expectation(w),
      seen: last,
      reproduce: [kube.kubectl(kubectlGet(resource))],
    });
  },
});
