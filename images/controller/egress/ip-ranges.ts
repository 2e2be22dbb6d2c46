// The addresses of an ExternalIPPool, as Antrea's ipallocator counts them (pkg/ipam/ipallocator): a `cidr` range
// starts at its second address and leaves out the IPv4 broadcast address (a /30 offers 2 IPs); a `start`-`end`
// range offers every address from start to end. A range offers at most 65536 addresses. IPv4 only.

/** One range of the pool: `base` is its first usable address, `size` the number of addresses it offers. */
export interface IPRange {
  /** As written: `10.0.0.0/30` or `10.0.0.10-10.0.0.20`. */
  text: string;
  base: number;
  size: number;
  /** Addresses inside the range that are never handed out (the broadcast address). */
  reserved: readonly number[];
}

const MAX_RANGE_SIZE = 65536;

export function parseIPv4(ip: string): number | undefined {
  const parts = ip.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

export function formatIPv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** Parses one `spec.ipRanges[]` entry; undefined when it is not a valid IPv4 range. */
export function parseIPRange(r: {
  cidr?: string | undefined;
  start?: string | undefined;
  end?: string | undefined;
}): IPRange | undefined {
  if (r.cidr !== undefined) {
    const [ip, len] = r.cidr.split("/");
    const network = ip === undefined ? undefined : parseIPv4(ip);
    const prefix = Number(len);
    if (network === undefined || !/^\d{1,2}$/.test(len ?? "") || prefix > 32) return undefined;
    const total = 2 ** (32 - prefix);
    const first = network - (network % total);
    const broadcast = first + total - 1;
    return {
      text: r.cidr,
      base: first + 1,
      size: Math.min(total - 1, MAX_RANGE_SIZE),
      reserved: total > 1 ? [broadcast] : [],
    };
  }
  const start = r.start === undefined ? undefined : parseIPv4(r.start);
  const end = r.end === undefined ? undefined : parseIPv4(r.end);
  if (start === undefined || end === undefined || end < start) return undefined;
  return {
    text: `${r.start}-${r.end}`,
    base: start,
    size: Math.min(end - start + 1, MAX_RANGE_SIZE),
    reserved: [],
  };
}

export function rangeHas(r: IPRange, ip: number): boolean {
  return ip >= r.base && ip < r.base + r.size;
}

/** Addresses the range hands out: its size minus the reserved ones (counted even when the cap left them out). */
export function rangeTotal(r: IPRange): number {
  return r.size - r.reserved.length;
}

/** The lowest address of the range that is not reserved and not in `used`. */
export function firstFree(r: IPRange, used: ReadonlySet<number>): number | undefined {
  for (let ip = r.base; ip < r.base + r.size; ip++) {
    if (!used.has(ip) && !r.reserved.includes(ip)) return ip;
  }
  return undefined;
}
