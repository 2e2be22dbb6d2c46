// IPv4 addresses and CIDRs as the agent needs them: parse, containment, the gateway (first) address.

export interface Cidr {
  /** Network address as a 32-bit number. */
  readonly network: number;
  readonly prefixLength: number;
}

export function parseIp(ip: string): number {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

export function parseCidr(cidr: string): Cidr {
  const [ip, len] = cidr.split("/");
  const prefixLength = Number(len);
  if (ip === undefined || !/^\d{1,2}$/.test(len ?? "") || prefixLength > 32) {
    throw new Error(`not an IPv4 CIDR: ${cidr}`);
  }
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return { network: (parseIp(ip) & mask) >>> 0, prefixLength };
}

export function cidrContains(cidr: Cidr, ip: string): boolean {
  const mask = cidr.prefixLength === 0 ? 0 : (0xffffffff << (32 - cidr.prefixLength)) >>> 0;
  return (parseIp(ip) & mask) >>> 0 === cidr.network;
}

/** The first host address of a CIDR: where Antrea puts antrea-gw0. */
export function gatewayIP(cidr: string): string {
  return formatIp(parseCidr(cidr).network + 1);
}

/** `10.244.1.0/24` in canonical form (host bits cleared). */
export function formatCidr(c: Cidr): string {
  return `${formatIp(c.network)}/${c.prefixLength}`;
}
