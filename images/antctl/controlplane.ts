// The controlplane.antrea.io objects an agent holds: the NetworkPolicies, AddressGroups and AppliedToGroups whose
// span includes its Node (Antrea's controller sends each agent exactly those). Read from the API and checked
// against images/api's schemas.
import type { z } from "zod";
import {
  type AddressGroup,
  type AppliedToGroup,
  addressGroupSchema,
  appliedToGroupSchema,
  CONTROLPLANE_GROUP,
  CONTROLPLANE_RESOURCES,
  CONTROLPLANE_VERSION,
  type ControlplaneNetworkPolicy,
  controlplaneNetworkPolicySchema,
} from "../api/controlplane.ts";
import type { Kube } from "./kube.ts";

async function listOnNode<T extends { span: string[] }>(
  kube: Kube,
  plural: string,
  schema: z.ZodType<T>,
): Promise<T[]> {
  const { custom } = await kube.clients();
  const [node, list] = await Promise.all([
    kube.localNode(),
    custom.listClusterCustomObject({ group: CONTROLPLANE_GROUP, version: CONTROLPLANE_VERSION, plural }),
  ]);
  const items = (list as { items?: unknown[] }).items ?? [];
  return items.map((i) => schema.parse(i)).filter((o) => o.span.includes(node));
}

export function policiesOnNode(kube: Kube): Promise<ControlplaneNetworkPolicy[]> {
  return listOnNode(kube, CONTROLPLANE_RESOURCES.networkPolicy, controlplaneNetworkPolicySchema);
}

export function addressGroupsOnNode(kube: Kube): Promise<AddressGroup[]> {
  return listOnNode(kube, CONTROLPLANE_RESOURCES.addressGroup, addressGroupSchema);
}

export function appliedToGroupsOnNode(kube: Kube): Promise<AppliedToGroup[]> {
  return listOnNode(kube, CONTROLPLANE_RESOURCES.appliedToGroup, appliedToGroupSchema);
}
