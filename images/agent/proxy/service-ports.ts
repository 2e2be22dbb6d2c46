// AntreaProxy's view of the cluster: every (ClusterIP, port, protocol) of every Service, with the ready Endpoints
// of the matching port in the Service's EndpointSlices. Pure: the proxier turns the result into groups and flows.
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import type { ServiceEndpoint, ServiceProtocol } from "../flows/service.ts";
import { type Cidr, cidrContains } from "../ipv4.ts";

export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";

export interface ServicePortState {
  /** `namespace/name:port/protocol`: what owns the group and flows. */
  readonly key: string;
  readonly clusterIP: string;
  readonly port: number;
  readonly protocol: ServiceProtocol;
  readonly endpoints: readonly ServiceEndpoint[];
}

const PROTOCOLS: readonly string[] = ["TCP", "UDP", "SCTP"];

export function servicePorts(
  services: readonly V1Service[],
  slices: readonly V1EndpointSlice[],
  localPodCIDR: Cidr,
): ServicePortState[] {
  const slicesOf = new Map<string, V1EndpointSlice[]>();
  for (const s of slices) {
    const svc = s.metadata?.labels?.[SERVICE_NAME_LABEL];
    if (!svc || s.addressType !== "IPv4") continue;
    const key = `${s.metadata?.namespace}/${svc}`;
    slicesOf.set(key, [...(slicesOf.get(key) ?? []), s]);
  }
  const result: ServicePortState[] = [];
  for (const svc of services) {
    const ns = svc.metadata?.namespace;
    const name = svc.metadata?.name;
    const clusterIP = svc.spec?.clusterIP;
    if (!ns || !name || !clusterIP || clusterIP === "None" || !clusterIP.includes(".")) continue;
    if (svc.spec?.type === "ExternalName") continue;
    for (const sp of svc.spec?.ports ?? []) {
      const protocol = sp.protocol ?? "TCP";
      if (!PROTOCOLS.includes(protocol)) continue;
      const endpoints = new Map<string, ServiceEndpoint>();
      for (const slice of slicesOf.get(`${ns}/${name}`) ?? []) {
        const port = slice.ports?.find(
          (p) => (p.name ?? "") === (sp.name ?? "") && (p.protocol ?? "TCP") === protocol,
        );
        if (port?.port === undefined) continue;
        for (const ep of slice.endpoints) {
          if (ep.conditions?.ready === false) continue;
          for (const ip of ep.addresses) {
            endpoints.set(`${ip}:${port.port}`, {
              ip,
              port: port.port,
              local: cidrContains(localPodCIDR, ip),
            });
          }
        }
      }
      result.push({
        key: `${ns}/${name}:${sp.port}/${protocol}`,
        clusterIP,
        port: sp.port,
        protocol: protocol as ServiceProtocol,
        endpoints: [...endpoints.values()].sort((a, b) => (a.ip + a.port < b.ip + b.port ? -1 : 1)),
      });
    }
  }
  return result;
}
