// Antrea's ring hash (pkg/agent/consistenthash): every Node gets `replicas` points on a ring of crc32 values,
// hash(strconv.Itoa(i) + name); a key (an Egress IP) belongs to the first point at or after crc32(key), going
// round. Every agent builds the same ring from the same Nodes, so every agent picks the same owner with no leader.
import { crc32 } from "node:zlib";

/** Virtual replicas per Node (Antrea's defaultVirtualNodeReplicas). */
export const VIRTUAL_REPLICAS = 50;

interface Point {
  hash: number;
  node: string;
}

export class ConsistentHash {
  private readonly points: Point[];

  /** Nodes are added in name order: when two points collide, the later one wins, as in Antrea's btree. */
  constructor(nodes: Iterable<string>, replicas = VIRTUAL_REPLICAS) {
    const byHash = new Map<number, string>();
    for (const node of [...new Set(nodes)].sort()) {
      for (let i = 0; i < replicas; i++) byHash.set(crc32(`${i}${node}`), node);
    }
    this.points = [...byHash].map(([hash, node]) => ({ hash, node })).sort((a, b) => a.hash - b.hash);
  }

  get empty(): boolean {
    return this.points.length === 0;
  }

  /** The owner of `key`: the first Node clockwise from crc32(key) that passes `accept`, or undefined. */
  get(key: string, accept: (node: string) => boolean = () => true): string | undefined {
    if (this.empty) return undefined;
    const hash = crc32(key);
    let start = this.points.findIndex((p) => p.hash >= hash);
    if (start === -1) start = 0;
    const rejected = new Set<string>();
    for (let i = 0; i < this.points.length; i++) {
      const { node } = this.points[(start + i) % this.points.length]!;
      if (rejected.has(node)) continue;
      if (accept(node)) return node;
      rejected.add(node);
    }
    return undefined;
  }
}
