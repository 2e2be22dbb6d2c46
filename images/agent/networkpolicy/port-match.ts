// Policy ports as OpenFlow matches: `tcp,tp_dst=80`, a port range as the fewest value/mask pairs
// (8080-8095 -> `tp_dst=0x1f90/0xfff0`), a protocol without a port as `tcp`.
import type { Protocol } from "../../api/controlplane.ts";

/** A resolved port (named ports already looked up): protocol, and a port or an inclusive range, or all ports. */
export interface PortSpec {
  readonly protocol: Protocol;
  readonly port?: number;
  readonly endPort?: number;
}

/** [start, end] as aligned blocks `{ value, mask }` (16-bit). */
export function portRangeMasks(start: number, end: number): { value: number; mask: number }[] {
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end > 0xffff || start > end) {
    throw new RangeError(`invalid port range ${start}-${end}`);
  }
  const blocks: { value: number; mask: number }[] = [];
  let from = start;
  while (from <= end) {
    // The largest power-of-two block that starts at `from` and ends at or before `end`.
    let width = 1;
    while (from % (width * 2) === 0 && from + width * 2 - 1 <= end) width *= 2;
    blocks.push({ value: from, mask: 0xffff & ~(width - 1) });
    from += width;
  }
  return blocks;
}

const hex = (n: number) => `0x${n.toString(16)}`;

/** One match per flow needed: `["tcp", "tp_dst=80"]`, `["udp", "tp_dst=0x1f90/0xfff0"]`, `["sctp"]`. */
export function portMatches(p: PortSpec): string[][] {
  const proto = p.protocol.toLowerCase();
  if (p.port === undefined) return [[proto]];
  if (p.endPort === undefined || p.endPort === p.port) return [[proto, `tp_dst=${p.port}`]];
  return portRangeMasks(p.port, p.endPort).map(({ value, mask }) =>
    mask === 0xffff ? [proto, `tp_dst=${value}`] : [proto, `tp_dst=${hex(value)}/${hex(mask)}`],
  );
}

/** A stable text for a set of ports, to group members that resolve named ports alike. */
export function portSetKey(ports: readonly PortSpec[]): string {
  return [...new Set(ports.map((p) => `${p.protocol}:${p.port ?? "*"}-${p.endPort ?? ""}`))].sort().join(",");
}
