// `antctl get podinterface`: the Pod interfaces the agent attached to br-int. OVSDB is the agent's durable
// interface store (the OVS Port external_ids it writes, images/agent/interface-store.ts), so it is read here with
// the Port UUIDs that the agent's in-memory store does not need.

import { loadPodInterfaces } from "../agent/interface-store.ts";
import type { OvsTools } from "../common/ovs.ts";
import { ovsdbRows, ovsUuid } from "./ovsdb.ts";
import type { TableSpec } from "./table.ts";

/** Antrea's PodInterfaceResponse (its JSON field names, empty fields omitted). */
export interface PodInterfaceResponse {
  name?: string;
  podNamespace?: string;
  interfaceName?: string;
  ips?: string[];
  mac?: string;
  portUUID?: string;
  ofPort?: number;
  containerID?: string;
}

export async function listPodInterfaces(ovs: OvsTools): Promise<PodInterfaceResponse[]> {
  const ifaces = await loadPodInterfaces(ovs);
  if (!ifaces.length) return [];
  const uuids = new Map(
    (await ovsdbRows(ovs, ["_uuid", "name"], ["find", "Port", "external_ids:antrea-type=container"])).map(
      (r) => [r.name, ovsUuid(r._uuid)],
    ),
  );
  return ifaces.map((i) =>
    omitEmpty({
      name: i.podName,
      podNamespace: i.podNamespace,
      interfaceName: i.hostIfName,
      ips: [i.ip],
      mac: i.mac,
      portUUID: uuids.get(i.hostIfName),
      ofPort: i.ofport,
      containerID: i.containerId,
    }),
  );
}

export function podInterfaceTable(items: readonly PodInterfaceResponse[]): TableSpec {
  return {
    header: ["NAMESPACE", "NAME", "INTERFACE-NAME", "IP", "MAC", "PORT-UUID", "OF-PORT", "CONTAINER-ID"],
    rows: items.map((r) => [
      r.podNamespace ?? "",
      r.name ?? "",
      r.interfaceName ?? "",
      (r.ips ?? []).join(", "),
      r.mac ?? "",
      r.portUUID ?? "",
      String(r.ofPort ?? 0),
      containerIdCell(r.containerID ?? ""),
    ]),
    sortRows: true,
  };
}

/** Antrea shows 11 characters of a container ID longer than 12. */
function containerIdCell(id: string): string {
  return id.length > 12 ? id.slice(0, 11) : id;
}

/** Go's `omitempty`: drops undefined, "", 0 and empty lists. */
function omitEmpty<T extends object>(o: T): T {
  return Object.fromEntries(
    Object.entries(o).filter(
      ([, v]) => v !== undefined && v !== "" && v !== 0 && !(Array.isArray(v) && v.length === 0),
    ),
  ) as T;
}
