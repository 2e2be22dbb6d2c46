// Fixed names, numbers and addresses of Antrea's datapath (spec §1.1, §1.3) that other modules and scenarios rely on.

export const BRIDGE = "br-int";
export const TUNNEL_PORT = "antrea-tun0";
export const GATEWAY_PORT = "antrea-gw0";
/** Requested ofports (Antrea since #6202); Pod ports get whatever OVS assigns (1, 2, ...). */
export const TUNNEL_OFPORT = 32768;
export const GATEWAY_OFPORT = 32769;

/** Destination MAC of all tunnelled traffic and the ARP answer for every remote gateway. */
export const GLOBAL_VIRTUAL_MAC = "aa:bb:cc:dd:ee:ff";
/** Source of hairpin Service connections through the gateway. */
export const VIRTUAL_SERVICE_IP = "169.254.0.253";

export const CT_ZONE = 65520;
export const SNAT_CT_ZONE = 65521;

export const PRIORITY = {
  miss: 0,
  low: 190,
  normal: 200,
  high: 210,
  topAntreaPolicy: 64990,
} as const;

/** Cookie categories (pkg/agent/openflow/cookie/allocator.go). */
export const COOKIE_CATEGORY = {
  Default: 0,
  PodConnectivity: 1,
  NetworkPolicy: 2,
  Service: 3,
  Egress: 4,
  Multicast: 5,
  Multicluster: 6,
  Traceflow: 7,
} as const;
export type CookieCategory = keyof typeof COOKIE_CATEGORY;

/** The category bits of a cookie. */
export const COOKIE_CATEGORY_MASK = 0xffn << 40n;

/** Antrea's cookie layout: round (16 bits) | category (8) | reserved (8) | object id (32). */
export function cookie(category: CookieCategory, objectId = 0, round = 1): bigint {
  if (!Number.isInteger(objectId) || objectId < 0 || objectId > 0xffffffff) {
    throw new RangeError(`cookie object id out of range: ${objectId}`);
  }
  return (BigInt(round) << 48n) | (BigInt(COOKIE_CATEGORY[category]) << 40n) | BigInt(objectId);
}
