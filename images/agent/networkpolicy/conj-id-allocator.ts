// conj_ids of policy rules (Antrea's pkg/agent/controller/networkpolicy/allocator.go): one agent-wide sequence
// shared by all six policy tables, 1 reserved for the DNS-intercept conjunction so the first rule gets 2. A
// released ID is reused first-in first-out, but only after a delay: connections committed with it still carry it
// in ct_label, and a new rule must not inherit their counters.
export const FIRST_CONJ_ID = 2;
export const REUSE_DELAY_MS = 5000;

export class ConjIdAllocator {
  private last = FIRST_CONJ_ID - 1;
  private readonly byKey = new Map<string, number>();
  private readonly released: { id: number; at: number }[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    private readonly reuseDelayMs = REUSE_DELAY_MS,
  ) {}

  /** The ID of `key`, allocated on first use. */
  get(key: string): number {
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const head = this.released[0];
    let id: number;
    if (head && this.now() - head.at >= this.reuseDelayMs) {
      this.released.shift();
      id = head.id;
    } else {
      if (this.last >= 0xffffffff) throw new Error("conj_id space exhausted");
      id = ++this.last;
    }
    this.byKey.set(key, id);
    return id;
  }

  /** Releases the IDs of every key not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const [key, id] of this.byKey) {
      if (keep.has(key)) continue;
      this.byKey.delete(key);
      this.released.push({ id, at: this.now() });
    }
  }
}
