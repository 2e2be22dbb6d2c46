// The dataplane tags of running Traceflows (Antrea's runningTraceflows map): each Running Traceflow holds one
// DSCP value from TRACEFLOW_TAGS, the lowest free one when it starts, until it ends or is deleted.
import { TRACEFLOW_TAGS } from "../../api/traceflow.ts";

export class DataplaneTags {
  private readonly byTag = new Map<number, string>();

  /** The tag `name` holds, if any. */
  tagOf(name: string): number | undefined {
    for (const [tag, holder] of this.byTag) if (holder === name) return tag;
    return undefined;
  }

  /** Gives `name` the lowest free tag (or the one it already holds); undefined when all are taken. */
  allocate(name: string): number | undefined {
    const held = this.tagOf(name);
    if (held !== undefined) return held;
    const free = TRACEFLOW_TAGS.find((t) => !this.byTag.has(t));
    if (free !== undefined) this.byTag.set(free, name);
    return free;
  }

  /**
   * Records that `name` holds `tag` (a Running Traceflow seen at startup or written by someone else); an error
   * text when the tag is not a Traceflow tag or another Traceflow holds it.
   */
  occupy(name: string, tag: number): string | undefined {
    if (!TRACEFLOW_TAGS.includes(tag)) return `dataplane tag ${tag} is out of range`;
    const holder = this.byTag.get(tag);
    if (holder === name) return undefined;
    if (holder !== undefined) return `dataplane tag ${tag} is already taken by Traceflow ${holder}`;
    this.release(name);
    this.byTag.set(tag, name);
    return undefined;
  }

  /** Frees the tag `name` holds; returns it (undefined when it held none). */
  release(name: string): number | undefined {
    const tag = this.tagOf(name);
    if (tag !== undefined) this.byTag.delete(tag);
    return tag;
  }

  /** Names holding a tag. */
  names(): string[] {
    return [...this.byTag.values()];
  }
}
