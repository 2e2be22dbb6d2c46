// The ADD result: built in the current (1.x) shape from the IPAM allocation and the interfaces PodNetwork created,
// then converted to the cniVersion the caller asked for, as Antrea does with libcni's converters.
import type { PodInterfaceResult } from "../pod-network.ts";
import type { IpamAllocation, Route } from "./host-local.ts";
import { type CniVersion, versionAtLeast } from "./versions.ts";

export interface CurrentResult {
  interfaces: { name: string; mac: string; sandbox?: string }[];
  /** `interface` is the index in `interfaces` of the Pod's interface. */
  ips: { address: string; gateway: string; interface: number }[];
  routes: Route[];
  dns: Record<string, unknown>;
}

/** Host veth first, then the Pod's interface (with its sandbox); a default route via the gateway. */
export function podResult(
  alloc: IpamAllocation,
  iface: PodInterfaceResult,
  pod: { ifName: string; netnsPath: string },
): CurrentResult {
  const defaultDst = isIPv6(alloc.address) ? "::/0" : "0.0.0.0/0";
  const routes = alloc.routes.some((r) => r.dst === defaultDst)
    ? alloc.routes
    : [...alloc.routes, { dst: defaultDst, gw: alloc.gateway }];
  return {
    interfaces: [
      { name: iface.hostIfName, mac: iface.hostMac },
      { name: pod.ifName, mac: iface.podMac, sandbox: pod.netnsPath },
    ],
    ips: [{ address: alloc.address, gateway: alloc.gateway, interface: 1 }],
    routes,
    dns: alloc.dns,
  };
}

/**
 * The result in the shape of spec version `version`: 1.x as is; 0.3.x/0.4.0 add `version` ("4"/"6") to each IP;
 * 0.1.0/0.2.0 have no interfaces, only `ip4`/`ip6` objects holding address, gateway and routes.
 */
export function resultForVersion(r: CurrentResult, version: CniVersion): Record<string, unknown> {
  if (versionAtLeast(version, "1.0.0")) return { cniVersion: version, ...r };
  if (versionAtLeast(version, "0.3.0")) {
    return {
      cniVersion: version,
      ...r,
      ips: r.ips.map((ip) => ({ version: isIPv6(ip.address) ? "6" : "4", ...ip })),
    };
  }
  const legacy: Record<string, unknown> = { cniVersion: version };
  for (const family of ["4", "6"] as const) {
    const ip = r.ips.find((i) => isIPv6(i.address) === (family === "6"));
    if (!ip) continue;
    const routes = r.routes.filter((route) => isIPv6(route.dst) === (family === "6"));
    legacy[`ip${family}`] = { ip: ip.address, gateway: ip.gateway, ...(routes.length ? { routes } : {}) };
  }
  legacy.dns = r.dns;
  return legacy;
}

function isIPv6(addressOrCidr: string): boolean {
  return addressOrCidr.includes(":");
}
