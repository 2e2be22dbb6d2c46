// Runs operations one at a time per key. The CNI spec forbids parallel operations on one container, yet a runtime
// may race (a Pod deleted while it is being set up), so the server queues ADD/CHECK/DEL per container id.

export type KeyedQueue = <T>(key: string, fn: () => Promise<T>) => Promise<T>;

export function keyedQueue(): KeyedQueue {
  const tails = new Map<string, Promise<unknown>>();
  return async <T>(key: string, fn: () => Promise<T>): Promise<T> => {
    const current = (tails.get(key) ?? Promise.resolve()).then(fn);
    const settled = current.then(
      () => undefined,
      () => undefined,
    );
    tails.set(key, settled);
    try {
      return await current;
    } finally {
      if (tails.get(key) === settled) tails.delete(key);
    }
  };
}
