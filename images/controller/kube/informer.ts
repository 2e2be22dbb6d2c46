// A list+watch of one resource (client-node's ListWatch) with a local cache, per-object change callbacks, a
// "synced" signal once the first list arrived, and restarts with back-off when the watch fails.
import {
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  ListWatch,
  Watch,
} from "@kubernetes/client-node";
import { errorMessage, type Logger } from "../log.ts";
import { describeApiError } from "./custom-objects.ts";

export type ChangeType = "add" | "update" | "delete";

export interface Informer<T> {
  /** Lists, then watches; resolves once the first list and watch request are done (or failed and retry). */
  start(): Promise<void>;
  list(): readonly T[];
  get(name: string, namespace?: string): T | undefined;
  /** True once the first list has been received. */
  synced(): boolean;
  stop(): Promise<void>;
}

export function createInformer<T extends KubernetesObject>(opts: {
  kc: KubeConfig;
  /** API path of the collection, e.g. /api/v1/pods. */
  path: string;
  list: ListPromise<T>;
  onChange: (type: ChangeType, obj: T) => void;
  /** Called once, after the first successful list. */
  onSynced: () => void;
  log: Logger;
}): Informer<T> {
  let synced = false;
  const list: ListPromise<T> = async () => {
    const result = await opts.list();
    if (!synced) {
      synced = true;
      queueMicrotask(opts.onSynced);
    }
    return result;
  };
  const informer = new ListWatch<T>(opts.path, new Watch(opts.kc), list, false);
  let stopped = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  informer.on("add", (o) => opts.onChange("add", o));
  informer.on("update", (o) => opts.onChange("update", o));
  informer.on("delete", (o) => opts.onChange("delete", o));
  const restart = () => {
    informer.start().catch((e: unknown) => opts.log.warn(`watch ${opts.path}: ${errorMessage(e)}`));
  };
  informer.on("error", (err: unknown) => {
    if (stopped) return;
    failures++;
    const delay = Math.min(500 * 2 ** (failures - 1), 10_000);
    opts.log.warn(`watch ${opts.path} failed (${describeApiError(err)}); retrying in ${delay} ms`);
    clearTimeout(retry);
    retry = setTimeout(restart, delay);
  });
  informer.on("connect", () => {
    if (synced) failures = 0;
  });
  return {
    start: () => informer.start(),
    list: () => informer.list(),
    get: (name, namespace) => informer.get(name, namespace),
    synced: () => synced,
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await informer.stop();
    },
  };
}
