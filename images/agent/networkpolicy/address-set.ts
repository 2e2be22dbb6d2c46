// Peer addresses as OpenFlow matches: an ipBlock with `except` becomes the CIDRs that are left after cutting the
// exceptions out (10.0.0.0/8 except 10.1.0.0/16 -> 8 CIDRs), so each address stays a plain clause flow and a Pod
// of an address group inside an excepted range is still allowed through its own flow.
import type { IPBlock } from "../../api/controlplane.ts";
import { type Cidr, formatIp, parseCidr } from "../ipv4.ts";

const ANY: Cidr = { network: 0, prefixLength: 0 };

function size(c: Cidr): number {
  return 2 ** (32 - c.prefixLength);
}

function contains(outer: Cidr, inner: Cidr): boolean {
  return (
    outer.prefixLength <= inner.prefixLength &&
    inner.network >= outer.network &&
    inner.network + size(inner) <= outer.network + size(outer)
  );
}

function overlaps(a: Cidr, b: Cidr): boolean {
  return contains(a, b) || contains(b, a);
}

/** `block` minus every CIDR of `except`, as the fewest CIDRs (halving around each exception). */
export function subtractCidrs(block: Cidr, except: readonly Cidr[]): Cidr[] {
  let rest = [block];
  for (const e of except) {
    rest = rest.flatMap(function cut(c: Cidr): Cidr[] {
      if (!overlaps(c, e)) return [c];
      if (contains(e, c)) return [];
      const half = c.prefixLength + 1;
      return [
        ...cut({ network: c.network, prefixLength: half }),
        ...cut({ network: c.network + size(c) / 2, prefixLength: half }),
      ];
    });
  }
  return rest;
}

/** The IPv4 CIDRs of ipBlocks after their exceptions; IPv6 blocks are left out (the lab is IPv4 only). */
export function ipBlockCidrs(blocks: readonly IPBlock[]): Cidr[] {
  const v4 = (n: { ip: string; prefixLength: number }) => !n.ip.includes(":");
  return blocks
    .filter((b) => v4(b.cidr))
    .flatMap((b) =>
      subtractCidrs(
        parseCidr(`${b.cidr.ip}/${b.cidr.prefixLength}`),
        (b.except ?? []).filter(v4).map((e) => parseCidr(`${e.ip}/${e.prefixLength}`)),
      ),
    );
}

export function isAny(c: Cidr): boolean {
  return c.prefixLength === ANY.prefixLength;
}

/** A host as `10.1.2.3`, a network as `10.1.0.0/16`: how ovs-ofctl prints nw_src / nw_dst. */
export function formatAddress(c: Cidr): string {
  return c.prefixLength === 32 ? formatIp(c.network) : `${formatIp(c.network)}/${c.prefixLength}`;
}

/** A single host address as a CIDR. */
export function hostCidr(ip: string): Cidr {
  return parseCidr(`${ip}/32`);
}
