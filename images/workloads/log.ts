// agnhost logs through Go's standard `log` package: "2006/01/02 15:04:05 message" on stderr.

export function logf(message: string): void {
  process.stderr.write(`${goLogTimestamp(new Date())} ${message}\n`);
}

/** A failure that ends the program the way Go's log.Fatal does: one log line, exit code 1. */
export class FatalError extends Error {
  override name = "FatalError";
}

function goLogTimestamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}/${p(d.getMonth() + 1)}/${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
