// A list+watch of one kind of object (client-node informer) that calls `onChange` on every add, update and delete,
// and restarts itself with back-off when the watch fails (API server restarts, network blips).
import {
  type KubeConfig,
  type KubernetesObject,
  type ListPromise,
  makeInformer,
} from "@kubernetes/client-node";
import { errorMessage, type Logger } from "./log.ts";

export interface WatchedList<T> {
  list(): readonly T[];
  stop(): Promise<void>;
}

export async function watchList<T extends KubernetesObject>(opts: {
  kc: KubeConfig;
  /** API path, e.g. /api/v1/nodes. */
  path: string;
  list: ListPromise<T>;
  onChange: () => void;
  log: Logger;
}): Promise<WatchedList<T>> {
  const informer = makeInformer<T>(opts.kc, opts.path, opts.list);
  let stopped = false;
  let failures = 0;
  let retry: NodeJS.Timeout | undefined;
  informer.on("add", opts.onChange);
  informer.on("update", opts.onChange);
  informer.on("delete", opts.onChange);
  informer.on("connect", () => {
    failures = 0;
  });
  informer.on("error", (err: unknown) => {
    if (stopped) return;
    failures++;
    const delay = Math.min(500 * 2 ** (failures - 1), 10_000);
    opts.log.warn(`watch ${opts.path} failed (${errorMessage(err)}); retrying in ${delay} ms`);
    clearTimeout(retry);
    retry = setTimeout(() => {
      informer.start().catch((e: unknown) => opts.log.warn(`watch ${opts.path}: ${errorMessage(e)}`));
    }, delay);
  });
  await informer.start();
  return {
    list: () => informer.list(),
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await informer.stop();
    },
  };
}
