// The SNAT mark of each Egress IP this Node holds (Antrea: IDs 1..255 in pkt_mark[0..7]). An IP keeps its mark for
// as long as the Node holds it, so that flows and iptables rules do not churn when other IPs come and go.
import { MAX_EGRESS_IPS_PER_NODE } from "./scheduler.ts";

/** pkt_mark / iptables mark bits that carry the ID (Antrea's SNATIPMarkMask). */
export const SNAT_MARK_MASK = 0xff;

export class MarkAllocator {
  private readonly marks = new Map<string, number>();

  /** Marks for exactly `ips`: kept for IPs that had one, the lowest free ID for new ones. */
  sync(ips: Iterable<string>): ReadonlyMap<string, number> {
    const wanted = new Set(ips);
    for (const ip of [...this.marks.keys()]) if (!wanted.has(ip)) this.marks.delete(ip);
    const used = new Set(this.marks.values());
    let next = 1;
    for (const ip of [...wanted].sort()) {
      if (this.marks.has(ip)) continue;
      while (used.has(next)) next++;
      if (next > MAX_EGRESS_IPS_PER_NODE) throw new Error(`no SNAT mark left for Egress IP ${ip}`);
      this.marks.set(ip, next);
      used.add(next);
    }
    return this.marks;
  }
}
