// Pod (core/v1): kubectl's printer columns, defaulting and validation of the spec fields the lab uses.
import { type FieldError, fieldErr } from "../errors.ts";
import { arr, isObject, type JsonObject, type KubeObject, num, obj, str } from "../object.ts";
import { ageColumn, column, since } from "./columns.ts";
import { podSchema } from "./patch-schemas.ts";
import { ALL_VERBS, type ResourceDef } from "./types.ts";
import { validateLabels, validateName, validatePortNumber, validateProtocol } from "./validation.ts";

interface PodView {
  ready: string;
  status: string;
  restarts: number | string;
}

/** The READY / STATUS / RESTARTS cells, following kubectl's printPod. */
export function podView(pod: KubeObject, now: Date): PodView {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const statuses = arr(status.containerStatuses).filter(isObject);
  let reason = str(status.reason) ?? str(status.phase) ?? "Pending";
  let restarts = 0;
  let lastRestart: number | undefined;
  let ready = 0;
  let initializing = false;
  const initSpecs = arr(spec.initContainers);
  arr(status.initContainerStatuses)
    .filter(isObject)
    .forEach((cs, i) => {
      restarts += num(cs.restartCount) ?? 0;
      const state = obj(cs.state);
      const term = isObject(state.terminated) ? state.terminated : undefined;
      const wait = isObject(state.waiting) ? state.waiting : undefined;
      if (initializing || (term && num(term.exitCode) === 0)) return;
      initializing = true;
      if (term) reason = `Init:${str(term.reason) ?? `ExitCode:${num(term.exitCode) ?? 0}`}`;
      else if (wait?.reason && wait.reason !== "PodInitializing") reason = `Init:${str(wait.reason)}`;
      else reason = `Init:${i}/${initSpecs.length}`;
    });
  if (!initializing) {
    let hasRunning = false;
    for (const cs of [...statuses].reverse()) {
      restarts += num(cs.restartCount) ?? 0;
      const state = obj(cs.state);
      const last = obj(obj(cs.lastState).terminated);
      const finished = str(last.finishedAt);
      if (finished) lastRestart = Math.max(lastRestart ?? 0, Date.parse(finished));
      const wait = isObject(state.waiting) ? state.waiting : undefined;
      const term = isObject(state.terminated) ? state.terminated : undefined;
      if (wait && str(wait.reason)) reason = str(wait.reason) ?? reason;
      else if (term && str(term.reason)) reason = str(term.reason) ?? reason;
      else if (term)
        reason = num(term.signal) ? `Signal:${num(term.signal)}` : `ExitCode:${num(term.exitCode) ?? 0}`;
      else if (cs.ready === true && isObject(state.running)) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === "Completed" && hasRunning) {
      const podReady = arr(status.conditions).some(
        (c) => isObject(c) && c.type === "Ready" && c.status === "True",
      );
      reason = podReady ? "Running" : "NotReady";
    }
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === "NodeLost" ? "Unknown" : "Terminating";
  const restartCell =
    lastRestart !== undefined && !Number.isNaN(lastRestart)
      ? `${restarts} (${since(new Date(lastRestart).toISOString(), now)} ago)`
      : restarts;
  return { ready: `${ready}/${arr(spec.containers).length}`, status: reason, restarts: restartCell };
}

function imagePullPolicy(image: string): string {
  const lastPart = image.split("/").pop() ?? image;
  const tag = lastPart.includes("@") ? "digest" : lastPart.split(":")[1];
  return tag === undefined || tag === "latest" ? "Always" : "IfNotPresent";
}

function defaultContainer(c: JsonObject): void {
  if (typeof c.image === "string" && c.imagePullPolicy === undefined)
    c.imagePullPolicy = imagePullPolicy(c.image);
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.resources ??= {};
  for (const p of arr(c.ports)) if (isObject(p)) p.protocol ??= "TCP";
}

/** PodSpec defaults (also used for Deployment and ReplicaSet templates). */
export function defaultPodSpec(spec: JsonObject): void {
  spec.restartPolicy ??= "Always";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= "ClusterFirst";
  spec.schedulerName ??= "default-scheduler";
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  if (spec.serviceAccountName === undefined && spec.serviceAccount !== undefined) {
    spec.serviceAccountName = spec.serviceAccount;
  }
  spec.serviceAccountName ??= "default";
  spec.serviceAccount ??= spec.serviceAccountName;
  for (const c of [...arr(spec.containers), ...arr(spec.initContainers)])
    if (isObject(c)) defaultContainer(c);
}

function validateContainers(
  field: string,
  list: unknown,
  required: boolean,
  names: Set<string>,
): FieldError[] {
  if (list === undefined || list === null || (Array.isArray(list) && list.length === 0)) {
    return required ? [fieldErr.required(field)] : [];
  }
  if (!Array.isArray(list)) return [fieldErr.invalid(field, list, "must be a list of containers")];
  const errs: FieldError[] = [];
  list.forEach((c, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(c)) {
      errs.push(fieldErr.invalid(at, c, "must be an object"));
      return;
    }
    errs.push(...validateName(`${at}.name`, c.name, "label"));
    if (typeof c.name === "string") {
      if (names.has(c.name)) errs.push(fieldErr.duplicate(`${at}.name`, c.name));
      names.add(c.name);
    }
    if (typeof c.image !== "string" || c.image.trim() === "") errs.push(fieldErr.required(`${at}.image`));
    arr(c.ports).forEach((p, j) => {
      const pAt = `${at}.ports[${j}]`;
      if (!isObject(p)) return;
      errs.push(...validatePortNumber(`${pAt}.containerPort`, p.containerPort));
      errs.push(...validateProtocol(`${pAt}.protocol`, p.protocol));
    });
    arr(c.env).forEach((e, j) => {
      if (!isObject(e) || typeof e.name !== "string" || e.name === "")
        errs.push(fieldErr.required(`${at}.env[${j}].name`));
    });
  });
  return errs;
}

/** PodSpec validation, with `prefix` = `spec` for Pods or `spec.template.spec` for workloads. */
export function validatePodSpec(prefix: string, spec: unknown): FieldError[] {
  if (!isObject(spec)) return [fieldErr.required(`${prefix}.containers`)];
  const names = new Set<string>();
  const errs = [
    ...validateContainers(`${prefix}.containers`, spec.containers, true, names),
    ...validateContainers(`${prefix}.initContainers`, spec.initContainers, false, names),
  ];
  const rp = spec.restartPolicy;
  if (rp !== undefined && !["Always", "OnFailure", "Never"].includes(String(rp))) {
    errs.push(fieldErr.notSupported(`${prefix}.restartPolicy`, rp, ["Always", "OnFailure", "Never"]));
  }
  if (spec.nodeSelector !== undefined)
    errs.push(...validateLabels(`${prefix}.nodeSelector`, spec.nodeSelector));
  return errs;
}

export const pod: ResourceDef = {
  group: "",
  version: "v1",
  kind: "Pod",
  plural: "pods",
  singular: "pod",
  shortNames: ["po"],
  namespaced: true,
  categories: ["all"],
  verbs: ALL_VERBS,
  statusSubresource: true,
  columns: [
    column("Ready", (o, now) => podView(o, now).ready, {
      description: "The aggregate readiness state of this pod for accepting traffic.",
    }),
    column("Status", (o, now) => podView(o, now).status, {
      description: "The aggregate status of the containers in this pod.",
    }),
    column("Restarts", (o, now) => podView(o, now).restarts, {
      description:
        "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
    }),
    ageColumn,
    column("IP", (o) => str(obj(o.status).podIP) || "<none>", {
      priority: 1,
      description: "IP address of the pod.",
    }),
    column("Node", (o) => str(obj(o.spec).nodeName) || "<none>", {
      priority: 1,
      description: "Name of the node the pod is assigned to.",
    }),
    column("Nominated Node", (o) => str(obj(o.status).nominatedNodeName) || "<none>", { priority: 1 }),
    column(
      "Readiness Gates",
      (o) => {
        const gates = arr(obj(o.spec).readinessGates).filter(isObject);
        if (gates.length === 0) return "<none>";
        const conds = arr(obj(o.status).conditions).filter(isObject);
        const met = gates.filter((g) => conds.some((c) => c.type === g.conditionType && c.status === "True"));
        return `${met.length}/${gates.length}`;
      },
      { priority: 1 },
    ),
  ],
  fieldSelectors: [
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.nominatedNodeName",
  ],
  patchSchema: podSchema,
  mutate: (o, ctx) => {
    const spec = obj(o.spec);
    if (isObject(o.spec)) defaultPodSpec(spec);
    if (ctx.operation === "CREATE") {
      const status = obj(o.status);
      status.phase ??= "Pending";
      o.status = status;
    }
    return undefined;
  },
  validate: (o, ctx) => {
    const errs = validatePodSpec("spec", o.spec);
    const before = ctx.old ? str(obj(ctx.old.spec).nodeName) : undefined;
    const after = str(obj(o.spec).nodeName);
    if (before && after !== before) {
      errs.push(
        fieldErr.forbidden(
          "spec.nodeName",
          "pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
        ),
      );
    }
    return errs;
  },
  // A Pod bound to a node stays (Terminating) until its kubelet confirms with a second delete of grace 0.
  gracePeriodSeconds: (o) => {
    const phase = str(obj(o.status).phase);
    if (!str(obj(o.spec).nodeName) || phase === "Succeeded" || phase === "Failed") return 0;
    return num(obj(o.spec).terminationGracePeriodSeconds) ?? 30;
  },
};
