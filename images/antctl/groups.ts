// `antctl get addressgroup|appliedtogroup`: the groups of this Node in antctl's response shapes
// (pkg/antctl/transform/{addressgroup,appliedtogroup}): members as {pod|node, ip, ports}, IPs joined by ", ".
import type { AddressGroup, AppliedToGroup, GroupMember, NamedPort } from "../api/controlplane.ts";
import { summarize, type TableSpec } from "./table.ts";

export interface MemberResponse {
  pod?: { name: string; namespace: string };
  node?: { name: string };
  ip?: string;
  ports?: NamedPort[];
}

export interface AddressGroupResponse {
  name: string;
  pods?: MemberResponse[];
  nodes?: MemberResponse[];
}

export interface AppliedToGroupResponse {
  name: string;
  pods?: MemberResponse[];
}

function member(m: GroupMember): MemberResponse {
  const ip = (m.ips ?? []).join(", ");
  return {
    ...(m.pod ? { pod: m.pod } : {}),
    ...(m.node ? { node: m.node } : {}),
    ...(ip ? { ip } : {}),
    ...(m.ports?.length ? { ports: m.ports } : {}),
  };
}

function nonEmpty<K extends string>(key: K, list: MemberResponse[]): Partial<Record<K, MemberResponse[]>> {
  return (list.length ? { [key]: list } : {}) as Partial<Record<K, MemberResponse[]>>;
}

export function addressGroupResponse(g: AddressGroup): AddressGroupResponse {
  const nodes = g.groupMembers.filter((m) => m.node).map(member);
  const pods = g.groupMembers.filter((m) => !m.node).map(member);
  return { name: g.metadata.name, ...nonEmpty("pods", pods), ...nonEmpty("nodes", nodes) };
}

export function appliedToGroupResponse(g: AppliedToGroup): AppliedToGroupResponse {
  return { name: g.metadata.name, ...nonEmpty("pods", g.groupMembers.map(member)) };
}

export function addressGroupTable(groups: readonly AddressGroupResponse[]): TableSpec {
  const ips = (members: MemberResponse[] | undefined) => summarize((members ?? []).map((m) => m.ip ?? ""));
  return {
    header: ["NAME", "POD-IPS", "NODE-IPS"],
    rows: groups.map((g) => [g.name, ips(g.pods), ips(g.nodes)]),
    sortRows: true,
  };
}

export function appliedToGroupTable(groups: readonly AppliedToGroupResponse[]): TableSpec {
  return {
    header: ["NAME", "PODS"],
    rows: groups.map((g) => [
      g.name,
      summarize((g.pods ?? []).flatMap((m) => (m.pod ? [`${m.pod.namespace}/${m.pod.name}`] : []))),
    ]),
    sortRows: true,
  };
}
