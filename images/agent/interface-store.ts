// The agent's record of the Pod interfaces on br-int, keyed by container id. OVSDB is where it survives: every
// Pod port carries Antrea's external_ids, so an agent that restarts rebuilds the store (and the Pods' flows)
// from OVS without any CNI call.
import { z } from "zod";
import type { OvsTools } from "../common/ovs.ts";

export interface PodInterface {
  readonly containerId: string;
  readonly podName: string;
  readonly podNamespace: string;
  /** Interface name inside the Pod (CNI_IFNAME). */
  readonly ifName: string;
  /** Host end of the veth, also the OVS port name. */
  readonly hostIfName: string;
  readonly hostMac: string;
  /** IPv4 address without prefix length. */
  readonly ip: string;
  readonly mac: string;
  readonly ofport: number;
}

/** Antrea's Port external_ids (pkg/agent/interfacestore), plus if-dev for the Pod-side name. */
export function portExternalIds(i: PodInterface): Record<string, string> {
  return {
    "container-id": i.containerId,
    "pod-name": i.podName,
    "pod-namespace": i.podNamespace,
    "ip-address": i.ip,
    "attached-mac": i.mac,
    "if-dev": i.ifName,
    "antrea-type": "container",
  };
}

export class InterfaceStore {
  private readonly byContainer = new Map<string, PodInterface>();

  get(containerId: string): PodInterface | undefined {
    return this.byContainer.get(containerId);
  }

  set(i: PodInterface): void {
    this.byContainer.set(i.containerId, i);
  }

  delete(containerId: string): void {
    this.byContainer.delete(containerId);
  }

  list(): PodInterface[] {
    return [...this.byContainer.values()];
  }

  hostIfNames(): string[] {
    return this.list().map((i) => i.hostIfName);
  }
}

// `ovs-vsctl --format=json` tables: values are atoms or ["map", [[k, v], ...]] / ["set", [...]].
const vsctlTable = z.object({ headings: z.array(z.string()), data: z.array(z.array(z.unknown())) });

function rows(json: string): Record<string, unknown>[] {
  const t = vsctlTable.parse(JSON.parse(json));
  return t.data.map((row) => Object.fromEntries(t.headings.map((h, i) => [h, row[i]])));
}

function ovsMap(value: unknown): Record<string, string> {
  const parsed = z.tuple([z.literal("map"), z.array(z.tuple([z.string(), z.string()]))]).safeParse(value);
  return parsed.success ? Object.fromEntries(parsed.data[1]) : {};
}

/** A port's external_ids, or undefined when there is no such port. */
export async function portExternalIdsOf(
  ovs: OvsTools,
  port: string,
): Promise<Record<string, string> | undefined> {
  const res = await ovs.vsctl(["--format=json", "--columns=external_ids", "find", "Port", `name=${port}`], {
    noWait: true,
  });
  const [row] = rows(res.stdout);
  return row ? ovsMap(row.external_ids) : undefined;
}

/** The Pod interfaces recorded in OVSDB, with the ofports and MACs OVS has for them now. */
export async function loadPodInterfaces(ovs: OvsTools): Promise<PodInterface[]> {
  const ports = rows(
    (
      await ovs.vsctl(
        [
          "--format=json",
          "--columns=name,external_ids",
          "find",
          "Port",
          "external_ids:antrea-type=container",
        ],
        {
          noWait: true,
        },
      )
    ).stdout,
  );
  if (!ports.length) return [];
  const ifaces = new Map(
    rows(
      (
        await ovs.vsctl(["--format=json", "--columns=name,ofport,mac_in_use", "list", "Interface"], {
          noWait: true,
        })
      ).stdout,
    ).map((r) => [String(r.name), r]),
  );
  const result: PodInterface[] = [];
  for (const port of ports) {
    const name = String(port.name);
    const ids = ovsMap(port.external_ids);
    const iface = ifaces.get(name);
    const ofport = typeof iface?.ofport === "number" ? iface.ofport : -1;
    const containerId = ids["container-id"];
    const ip = ids["ip-address"];
    const mac = ids["attached-mac"];
    if (!containerId || !ip || !mac) continue;
    result.push({
      containerId,
      podName: ids["pod-name"] ?? "",
      podNamespace: ids["pod-namespace"] ?? "",
      ifName: ids["if-dev"] ?? "eth0",
      hostIfName: name,
      hostMac: typeof iface?.mac_in_use === "string" ? iface.mac_in_use : "",
      ip,
      mac,
      ofport,
    });
  }
  return result;
}
