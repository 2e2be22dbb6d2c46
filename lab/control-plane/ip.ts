// IP and CIDR parsing for validation and ClusterIP allocation.
import { isIP } from "node:net";

export function isIPAddress(s: unknown): s is string {
  return typeof s === "string" && isIP(s) !== 0;
}

/** Accepts what Go's net.ParseCIDR accepts: an IPv4 or IPv6 address, `/`, a prefix length in range. */
export function isCIDR(s: unknown): s is string {
  if (typeof s !== "string") return false;
  const slash = s.indexOf("/");
  if (slash < 0) return false;
  const family = isIP(s.slice(0, slash));
  const prefix = s.slice(slash + 1);
  if (family === 0 || !/^\d{1,3}$/.test(prefix)) return false;
  return Number(prefix) <= (family === 4 ? 32 : 128);
}

export function ipv4ToInt(ip: string): number {
  return ip.split(".").reduce((acc, part) => acc * 256 + Number(part), 0);
}

export function intToIPv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

export interface IPv4Range {
  /** Network address as an integer. */
  base: number;
  size: number;
}

/** Parses an IPv4 CIDR into its network range; throws on anything else. */
export function parseIPv4CIDR(cidr: string): IPv4Range {
  const [addr = "", prefixText = ""] = cidr.split("/");
  if (isIP(addr) !== 4 || !/^\d{1,2}$/.test(prefixText) || Number(prefixText) > 32) {
    throw new Error(`invalid IPv4 CIDR ${JSON.stringify(cidr)}`);
  }
  const size = 2 ** (32 - Number(prefixText));
  const base = Math.floor(ipv4ToInt(addr) / size) * size;
  return { base, size };
}

export function rangeContains(r: IPv4Range, ip: string): boolean {
  if (isIP(ip) !== 4) return false;
  const n = ipv4ToInt(ip);
  return n >= r.base && n < r.base + r.size;
}
