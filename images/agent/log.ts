// The agent's log: one line per significant event on stdout, with an ISO timestamp and level, as klog prints.
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export function stdoutLogger(prefix = ""): Logger {
  const line = (level: string, message: string) =>
    process.stdout.write(`${new Date().toISOString()} ${level} ${prefix}${message}\n`);
  return {
    info: (m) => line("I", m),
    warn: (m) => line("W", m),
    error: (m) => line("E", m),
  };
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
