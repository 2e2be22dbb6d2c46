// The controller's log: one line per significant event on stdout, with an ISO timestamp and a klog-style level
// letter; lines below the configured level are dropped.
export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const LETTER: Record<LogLevel, string> = { debug: "D", info: "I", warn: "W", error: "E" };

export function stdoutLogger(level: LogLevel = "info"): Logger {
  const line = (at: LogLevel) => (message: string) => {
    if (RANK[at] >= RANK[level])
      process.stdout.write(`${new Date().toISOString()} ${LETTER[at]} ${message}\n`);
  };
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
