// Level-triggered reconciliation: `trigger()` asks for a sync; syncs never overlap, and triggers that arrive
// while one runs fold into a single next run. A failed sync is retried after a second.
import { errorMessage, type Logger } from "./log.ts";

const RETRY_MS = 1000;

export class SyncLoop {
  private running?: Promise<void>;
  private dirty = false;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly what: string,
    private readonly sync: () => Promise<void>,
    private readonly log: Logger,
  ) {}

  trigger(): void {
    if (this.stopped) return;
    this.dirty = true;
    this.running ??= this.loop();
  }

  /** Resolves once no sync is running or pending. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    await this.idle();
  }

  private async loop(): Promise<void> {
    while (this.dirty && !this.stopped) {
      this.dirty = false;
      try {
        await this.sync();
      } catch (err) {
        this.log.warn(`${this.what} failed, retrying in ${RETRY_MS} ms: ${errorMessage(err)}`);
        clearTimeout(this.retry);
        this.retry = setTimeout(() => this.trigger(), RETRY_MS);
      }
    }
    this.running = undefined;
  }
}
