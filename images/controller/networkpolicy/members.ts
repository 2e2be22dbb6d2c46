// How a Pod or Node appears in a group. AppliedToGroups hold the Pods scheduled to a Node (their Node is the
// group's span); AddressGroups hold the Pods that have an IP, and Nodes (by their addresses) for nodeSelector
// peers. hostNetwork Pods and Pods that have terminated are never members, as in Antrea.
import type { V1Node, V1Pod } from "@kubernetes/client-node";
import type { GroupMember, NamedPort, Protocol } from "../../api/controlplane.ts";

export type GroupKind = "addressGroup" | "appliedToGroup";

export interface Member {
  member: GroupMember;
  /** Node of a member Pod; AppliedToGroup spans are the union of these. */
  nodeName?: string;
}

export function podKey(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ""}/${name ?? ""}`;
}

function podIPs(pod: V1Pod): string[] {
  const ips = (pod.status?.podIPs ?? []).map((p) => p.ip).filter((ip): ip is string => !!ip);
  if (ips.length === 0 && pod.status?.podIP) ips.push(pod.status.podIP);
  return ips;
}

function namedPorts(pod: V1Pod): NamedPort[] {
  const ports: NamedPort[] = [];
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name)
        ports.push({ name: p.name, port: p.containerPort, protocol: (p.protocol ?? "TCP") as Protocol });
    }
  }
  return ports;
}

/** The Pod's entry in a group of `kind`, or undefined when it cannot be a member. */
export function podMember(pod: V1Pod, kind: GroupKind): Member | undefined {
  const phase = pod.status?.phase;
  if (pod.spec?.hostNetwork || phase === "Succeeded" || phase === "Failed") return undefined;
  const nodeName = pod.spec?.nodeName || undefined;
  const ips = podIPs(pod);
  if (kind === "appliedToGroup" ? !nodeName : ips.length === 0) return undefined;
  const member: GroupMember = {
    pod: { name: pod.metadata?.name ?? "", namespace: pod.metadata?.namespace ?? "" },
  };
  if (ips.length > 0) member.ips = ips;
  const ports = namedPorts(pod);
  if (ports.length > 0) member.ports = ports;
  return { member, nodeName };
}

/** A Node selected by a nodeSelector peer, by its internal and external addresses. */
export function nodeMember(node: V1Node): Member | undefined {
  const ips = (node.status?.addresses ?? [])
    .filter((a) => a.type === "InternalIP" || a.type === "ExternalIP")
    .map((a) => a.address);
  if (ips.length === 0) return undefined;
  return { member: { node: { name: node.metadata?.name ?? "" }, ips } };
}
