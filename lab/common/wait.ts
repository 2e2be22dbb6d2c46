// Readiness as strategies (the way testcontainers does it): a strategy says what it waits for and, on each poll,
// either "ready" or why not yet. `waitUntil` polls it with a deadline and reports the last reason on timeout.
import { setTimeout as sleep } from "node:timers/promises";

export interface WaitStrategy {
  /** What is awaited, for messages: "API server https://172.18.0.2:6443/readyz". */
  readonly what: string;
  /** `true` when ready; otherwise a short reason. Throwing aborts the wait (e.g. the process died). */
  check(): Promise<true | string>;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
  signal?: AbortSignal;
}

export class WaitTimeoutError extends Error {
  constructor(what: string, timeoutMs: number, lastReason: string) {
    super(`timed out after ${(timeoutMs / 1000).toFixed(0)} s waiting for ${what}: ${lastReason}`);
    this.name = "WaitTimeoutError";
  }
}

export async function waitUntil(strategy: WaitStrategy, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let reason = "not checked yet";
  for (;;) {
    opts.signal?.throwIfAborted();
    const result = await strategy.check();
    if (result === true) return;
    reason = result;
    if (Date.now() >= deadline) throw new WaitTimeoutError(strategy.what, opts.timeoutMs, reason);
    await sleep(opts.intervalMs ?? 100);
  }
}

/** Ready when every strategy is; checks them in order and reports the first that is not. */
export function allOf(what: string, strategies: readonly WaitStrategy[]): WaitStrategy {
  return {
    what,
    async check() {
      for (const s of strategies) {
        const r = await s.check();
        if (r !== true) return `${s.what}: ${r}`;
      }
      return true;
    },
  };
}
