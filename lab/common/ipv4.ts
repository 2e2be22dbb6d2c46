// IPv4 arithmetic on unsigned 32-bit integers: enough for subnets, host addresses and overlap checks.

export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
}

export function parseIp(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
}

export function formatIp(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

function mask(prefix: number): number {
  return prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
}

/** Parses `a.b.c.d/n`; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
  const [ip, len, extra] = text.split("/");
  if (extra !== undefined || ip === undefined || len === undefined || !/^\d{1,2}$/.test(len))
    return undefined;
  const base = parseIp(ip);
  const prefix = Number(len);
  if (base === undefined || prefix > 32) return undefined;
  if ((base & ~mask(prefix)) >>> 0 !== 0) return undefined;
  return { base, prefix };
}

export function mustParseCidr(text: string): Cidr {
  const c = parseCidr(text);
  if (!c) throw new Error(`not an IPv4 CIDR: ${text}`);
  return c;
}

export function formatCidr(c: Cidr): string {
  return `${formatIp(c.base)}/${c.prefix}`;
}

export function size(c: Cidr): number {
  return 2 ** (32 - c.prefix);
}

export function contains(c: Cidr, ip: number): boolean {
  return (ip & mask(c.prefix)) >>> 0 === c.base;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const p = Math.min(a.prefix, b.prefix);
  return (a.base & mask(p)) >>> 0 === (b.base & mask(p)) >>> 0;
}

/** The n-th address of the subnet (0 = network address). */
export function nth(c: Cidr, n: number): number {
  if (n < 0 || n >= size(c)) throw new Error(`address #${n} is outside ${formatCidr(c)}`);
  return (c.base + n) >>> 0;
}

/** The i-th subnet of length `prefix` inside `c`. */
export function subnet(c: Cidr, prefix: number, i: number): Cidr {
  if (prefix < c.prefix) throw new Error(`/${prefix} does not fit in ${formatCidr(c)}`);
  const count = 2 ** (prefix - c.prefix);
  if (i < 0 || i >= count) throw new Error(`${formatCidr(c)} has only ${count} /${prefix} subnets`);
  return { base: (c.base + i * 2 ** (32 - prefix)) >>> 0, prefix };
}
