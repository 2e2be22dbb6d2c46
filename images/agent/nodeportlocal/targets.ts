// Which Pod ports need node ports (Antrea's npl_controller.go): those of local Pods selected by a Service annotated
// nodeportlocal.antrea.io/enabled: "true" of type ClusterIP or LoadBalancer with a selector, one per Service
// target port and protocol (TCP and UDP; named target ports resolved against the Pod's container ports).
import type { V1Pod, V1Service, V1ServicePort } from "@kubernetes/client-node";
import { NPL_ENABLED_ANNOTATION, type NplProtocol } from "./annotation.ts";

export interface NplTarget {
  podPort: number;
  protocol: NplProtocol;
}

/** Whether the Service asks for NodePortLocal. */
export function wantsNodePortLocal(svc: V1Service): boolean {
  const type = svc.spec?.type ?? "ClusterIP";
  return (
    svc.metadata?.annotations?.[NPL_ENABLED_ANNOTATION] === "true" &&
    (type === "ClusterIP" || type === "LoadBalancer") &&
    Object.keys(svc.spec?.selector ?? {}).length > 0
  );
}

/** The Pod's IPv4 address when NodePortLocal can serve it: running on `nodeName`, not host network, not finished. */
export function nplPodIP(pod: V1Pod, nodeName: string): string | undefined {
  if (pod.spec?.nodeName !== nodeName || pod.spec.hostNetwork) return undefined;
  if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return undefined;
  const ips = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)];
  return ips.find((ip) => ip?.includes("."));
}

/** The Pod's ports that need node ports, from the Services that select it; unique and sorted. */
export function podTargets(pod: V1Pod, services: readonly V1Service[]): NplTarget[] {
  const found = new Map<string, NplTarget>();
  for (const svc of services) {
    if (!wantsNodePortLocal(svc) || !selects(svc, pod)) continue;
    for (const sp of svc.spec?.ports ?? []) {
      const protocol = nplProtocol(sp.protocol);
      const podPort = protocol && targetPort(pod, sp, protocol);
      if (protocol && podPort) found.set(`${podPort}/${protocol}`, { podPort, protocol });
    }
  }
  return [...found.values()].sort((a, b) => a.podPort - b.podPort || a.protocol.localeCompare(b.protocol));
}

function selects(svc: V1Service, pod: V1Pod): boolean {
  if (svc.metadata?.namespace !== pod.metadata?.namespace) return false;
  const labels = pod.metadata?.labels ?? {};
  return Object.entries(svc.spec?.selector ?? {}).every(([k, v]) => labels[k] === v);
}

function nplProtocol(p: string | undefined): NplProtocol | undefined {
  const protocol = (p ?? "TCP").toLowerCase();
  return protocol === "tcp" || protocol === "udp" ? protocol : undefined;
}

/** targetPort as a number, or the container port of that name and protocol; unset means the Service port. */
function targetPort(pod: V1Pod, sp: V1ServicePort, protocol: NplProtocol): number | undefined {
  const tp = sp.targetPort;
  if (tp === undefined || tp === 0 || tp === "") return sp.port;
  if (typeof tp === "number") return tp;
  for (const c of pod.spec?.containers ?? []) {
    const cp = c.ports?.find((p) => p.name === tp && (p.protocol ?? "TCP").toLowerCase() === protocol);
    if (cp) return cp.containerPort;
  }
  return undefined;
}
