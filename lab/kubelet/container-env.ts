// A container's environment and command line as Kubernetes defines them: a base environment, the
// image's, then `env` in order with $(VAR) references expanded and downward-API fieldRefs resolved.
import type { V1Container, V1Pod } from "@kubernetes/client-node";

export interface EnvContext {
  pod: V1Pod;
  nodeName: string;
  hostIP: string;
  podIPs: readonly string[];
}

const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The environment, or an error like the kubelet's CreateContainerConfigError. */
export function containerEnv(
  container: V1Container,
  ctx: EnvContext,
  imageEnv: Readonly<Record<string, string>> = {},
): { env: Record<string, string> } | { error: string } {
  const name = ctx.pod.metadata?.name ?? "";
  // The Pod's hostname is its name (HOSTNAME in a container); Pods share the host's UTS namespace here,
  // so the workloads read OVSLAB_POD_NAME instead of gethostname().
  const env: Record<string, string> = {
    PATH: process.env.PATH || DEFAULT_PATH,
    HOME: "/root",
    HOSTNAME: name,
    OVSLAB_POD_NAME: name,
    OVSLAB_POD_NAMESPACE: ctx.pod.metadata?.namespace ?? "default",
    ...imageEnv,
  };
  if (container.envFrom?.length) return { error: "envFrom is not supported by the embedded kubelet" };
  for (const e of container.env ?? []) {
    if (e.valueFrom) {
      const ref = e.valueFrom.fieldRef;
      if (!ref) {
        return { error: `env ${e.name}: only valueFrom.fieldRef is supported by the embedded kubelet` };
      }
      const value = fieldValue(ref.fieldPath, ctx);
      if (value === undefined) return { error: `env ${e.name}: unsupported fieldPath ${ref.fieldPath}` };
      env[e.name] = value;
    } else {
      env[e.name] = expandVars(e.value ?? "", env);
    }
  }
  return { env };
}

/** Kubernetes' $(VAR) expansion: defined variables are replaced, `$$` escapes, anything else stays. */
export function expandVars(text: string, env: Readonly<Record<string, string>>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (name === undefined) return "$";
    return Object.hasOwn(env, name) ? (env[name] ?? "") : match;
  });
}

function fieldValue(path: string, ctx: EnvContext): string | undefined {
  const meta = ctx.pod.metadata ?? {};
  const keyed = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (keyed) return (keyed[1] === "labels" ? meta.labels : meta.annotations)?.[keyed[2] ?? ""] ?? "";
  const values: Record<string, string | undefined> = {
    "metadata.name": meta.name,
    "metadata.namespace": meta.namespace ?? "default",
    "metadata.uid": meta.uid,
    "spec.nodeName": ctx.nodeName,
    "spec.serviceAccountName": ctx.pod.spec?.serviceAccountName,
    "status.hostIP": ctx.hostIP,
    "status.hostIPs": ctx.hostIP,
    "status.podIP": ctx.podIPs[0] ?? "",
    "status.podIPs": ctx.podIPs.join(","),
  };
  return Object.hasOwn(values, path) ? (values[path] ?? "") : undefined;
}
