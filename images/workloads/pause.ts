// `agnhost pause`: prints "Paused" and waits for a signal. Exit codes are agnhost's own: 1 after SIGINT,
// 2 after SIGTERM (not 0: the real program exits from its signal goroutine with these codes).
import { parseFlags, UsageError } from "./flags.ts";

export async function pauseCommand(argv: readonly string[]): Promise<undefined> {
  const { args } = parseFlags(argv, {});
  if (args.length > 0) throw new UsageError(`accepts at most 0 arg(s), received ${args.length}`);
  // A timer keeps the event loop alive; the signal handlers end the process. Both are in place before
  // "Paused" is printed, so a signal sent after that line is always handled.
  const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
  process.once("SIGINT", () => exit(1));
  process.once("SIGTERM", () => exit(2));
  process.stdout.write("Paused\n");
  function exit(code: number) {
    clearInterval(keepAlive);
    process.exit(code);
  }
  return undefined;
}
