// Node port allocation (Antrea's portcache): one node port per (Pod, Pod IP, Pod port, protocol), unique per
// protocol within the configured range. Free ports are searched from a cursor that moves past each allocation, so
// a port just given up is not handed out again at once. A port counts as free only when `reserve` can open it.
import type { NplProtocol } from "./annotation.ts";
import type { PortRange } from "./config.ts";

export interface PodPort {
  /** namespace/name of the Pod. */
  pod: string;
  podIP: string;
  podPort: number;
  protocol: NplProtocol;
}

export interface PortMapping extends PodPort {
  nodePort: number;
}

/** Opens the node port (a listening socket); false when something else holds it. */
export type Reserve = (nodePort: number, protocol: NplProtocol) => Promise<boolean>;

export function mappingKey(p: PodPort): string {
  return `${p.pod}|${p.podIP}:${p.podPort}/${p.protocol}`;
}

export class PortTable {
  private readonly byKey = new Map<string, PortMapping>();
  private readonly used = new Set<string>();
  private cursor: number;

  constructor(readonly range: PortRange) {
    this.cursor = range.start;
  }

  get(p: PodPort): PortMapping | undefined {
    return this.byKey.get(mappingKey(p));
  }

  mappings(): PortMapping[] {
    return [...this.byKey.values()];
  }

  inRange(nodePort: number): boolean {
    return nodePort >= this.range.start && nodePort <= this.range.end;
  }

  /**
   * Gives `p` a node port: `preferred` when it is in range and free (the port an earlier run wrote into the Pod's
   * annotation), else the next free one. Undefined when every port of the range is taken.
   */
  async add(p: PodPort, preferred: number | undefined, reserve: Reserve): Promise<PortMapping | undefined> {
    const existing = this.get(p);
    if (existing) return existing;
    if (
      preferred !== undefined &&
      this.inRange(preferred) &&
      (await this.take(preferred, p.protocol, reserve))
    ) {
      return this.record(p, preferred);
    }
    const size = this.range.end - this.range.start + 1;
    for (let i = 0; i < size; i++) {
      const port = this.range.start + ((this.cursor - this.range.start + i) % size);
      if (await this.take(port, p.protocol, reserve)) {
        this.cursor = port === this.range.end ? this.range.start : port + 1;
        return this.record(p, port);
      }
    }
    return undefined;
  }

  remove(m: PortMapping): void {
    this.byKey.delete(mappingKey(m));
    this.used.delete(`${m.nodePort}/${m.protocol}`);
  }

  private async take(port: number, protocol: NplProtocol, reserve: Reserve): Promise<boolean> {
    return !this.used.has(`${port}/${protocol}`) && (await reserve(port, protocol));
  }

  private record(p: PodPort, nodePort: number): PortMapping {
    const m = { ...p, nodePort };
    this.byKey.set(mappingKey(p), m);
    this.used.add(`${nodePort}/${p.protocol}`);
    return m;
  }
}
