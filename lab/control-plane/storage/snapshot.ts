// Optional persistence: the whole store as one JSON file, rewritten (atomically) shortly after changes.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import type { KubeObject } from "../object.ts";
import type { Store, StoreSnapshot } from "./store.ts";

const objectSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string().optional(), namespace: z.string().optional() }),
});

const snapshotSchema = z.object({
  resourceVersion: z.number().int().nonnegative(),
  resources: z.record(z.string(), z.array(objectSchema)),
});

/** Reads a snapshot file; undefined when it does not exist. Throws with the path on malformed content. */
export function readSnapshot(path: string): StoreSnapshot | undefined {
  if (!existsSync(path)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`snapshot ${path}: ${(err as Error).message}`);
  }
  const r = snapshotSchema.safeParse(parsed);
  if (!r.success) throw new Error(`snapshot ${path}: ${z.prettifyError(r.error)}`);
  return {
    resourceVersion: r.data.resourceVersion,
    resources: r.data.resources as Record<string, KubeObject[]>,
  };
}

export function writeSnapshot(path: string, snap: StoreSnapshot): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, JSON.stringify(snap));
  renameSync(tmp, path);
}

/** Keeps `path` in step with the store: writes at most every `delayMs`, and once more on `flush()`. */
export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: Store,
    private readonly path: string,
    private readonly onError: (err: Error) => void,
    private readonly delayMs = 200,
  ) {
    this.unsubscribe = store.subscribe(() => this.schedule());
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      try {
        writeSnapshot(this.path, this.store.snapshot());
      } catch (err) {
        this.onError(err as Error);
      }
    }, this.delayMs);
  }

  /** Stops watching the store and writes the final state. */
  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    writeSnapshot(this.path, this.store.snapshot());
  }
}
