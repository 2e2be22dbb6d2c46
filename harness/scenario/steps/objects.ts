// Objects named by kind and name or label selector, as wait and delete steps name them:
// `resource: pod/web-0`, `resource: deploy/x/web`, `resource: pod` + `selector: app=web`, `resource: acnp/deny`.
import type { KubernetesObject } from "@kubernetes/client-node";
import { z } from "zod";
import { apiErrorMessage, isNotFound, type Kube } from "../kube.ts";
import type { LabContext } from "../lab-context.ts";
import { parseResourceRef, RESOURCE_KIND_NAMES, type ResourceKind } from "../resource-kinds.ts";

export const ResourceShape = {
  resource: z
    .string()
    .optional()
    .describe(`KIND, KIND/NAME or KIND/NS/NAME; kinds: ${RESOURCE_KIND_NAMES.join(", ")}`),
  selector: z.string().min(1).optional().describe("label selector (with a bare KIND), e.g. app=web"),
  namespace: z
    .string()
    .min(1)
    .optional()
    .describe("namespace as written in the scenario (default: the first)"),
};

export interface ResourceFields {
  resource?: string | undefined;
  selector?: string | undefined;
  namespace?: string | undefined;
}

/** Schema-time checks: a parsable resource, with a name or a selector (exactly one). */
export function resourceIssues(r: ResourceFields, ctx: z.RefinementCtx, defaultKind?: string): void {
  const text = r.resource ?? defaultKind;
  if (text === undefined) {
    ctx.addIssue({
      code: "custom",
      path: [],
      message: "name a resource (KIND/NAME) or a KIND with a selector",
    });
    return;
  }
  const ref = parseResourceRef(text);
  if (typeof ref === "string") {
    ctx.addIssue({ code: "custom", path: ["resource"], message: ref });
    return;
  }
  if ((ref.name === undefined) === (r.selector === undefined)) {
    ctx.addIssue({
      code: "custom",
      path: r.selector === undefined ? ["resource"] : ["selector"],
      message: "give either KIND/NAME or a KIND with a selector",
    });
  }
  if (ref.namespace !== undefined && r.namespace !== undefined) {
    ctx.addIssue({
      code: "custom",
      path: ["namespace"],
      message: "the resource already names its namespace",
    });
  }
  if (!ref.type.namespaced && r.namespace !== undefined) {
    ctx.addIssue({ code: "custom", path: ["namespace"], message: `${ref.type.kind} is cluster-scoped` });
  }
}

export interface Resource {
  type: ResourceKind;
  /** Real namespace; undefined for cluster-scoped kinds. */
  namespace?: string;
  name?: string;
  selector?: string;
}

export function resolveResource(r: ResourceFields, ctx: LabContext, defaultKind?: string): Resource {
  const ref = parseResourceRef(r.resource ?? defaultKind ?? "");
  if (typeof ref === "string") throw new Error(ref);
  return {
    type: ref.type,
    ...(ref.type.namespaced ? { namespace: ctx.namespace(ref.namespace ?? r.namespace) } : {}),
    ...(ref.name !== undefined ? { name: ref.name } : {}),
    ...(r.selector !== undefined ? { selector: r.selector } : {}),
  };
}

/** "Pod x-k2j4a/web-0", "Pods app=web in x-k2j4a", "ClusterNetworkPolicy deny". */
export function describeResource(r: Resource): string {
  const where = r.namespace ? `${r.namespace}/` : "";
  if (r.name !== undefined) return `${r.type.kind} ${where}${r.name}`;
  return `${r.type.kind}s ${r.selector}${r.namespace ? ` in ${r.namespace}` : ""}`;
}

/** `kubectl get` arguments that show what the step looked at. */
export function kubectlGet(r: Resource, output = "yaml"): string[] {
  const kind = `${r.type.kind.toLowerCase()}${r.type.apiVersion.includes("/") ? `.${r.type.apiVersion.split("/")[0]}` : ""}`;
  return [
    "get",
    kind,
    ...(r.name !== undefined ? [r.name] : ["-l", r.selector ?? ""]),
    ...(r.namespace ? ["-n", r.namespace] : []),
    "-o",
    output,
  ];
}

/** The objects named: [] when a named object does not exist. */
export async function fetchObjects(kube: Kube, r: Resource): Promise<KubernetesObject[]> {
  const api = kube.objects(r.namespace ?? "default");
  try {
    if (r.name !== undefined) {
      const header = {
        apiVersion: r.type.apiVersion,
        kind: r.type.kind,
        metadata: { name: r.name, ...(r.namespace ? { namespace: r.namespace } : {}) },
      };
      return [await api.read(header)];
    }
    const list = await api.list(
      r.type.apiVersion,
      r.type.kind,
      r.namespace,
      undefined,
      undefined,
      undefined,
      undefined,
      r.selector,
    );
    // List items carry no apiVersion and kind; later calls (delete) need them.
    return list.items.map((o) => ({ ...o, apiVersion: r.type.apiVersion, kind: r.type.kind }));
  } catch (err) {
    if (r.name !== undefined && isNotFound(err)) return [];
    throw new Error(`cannot get ${describeResource(r)}: ${apiErrorMessage(err)}`);
  }
}
