// agnhost-compatible test program (registry.k8s.io/e2e-test-images/agnhost) for Pods of the embedded lab,
// plus the nginx personality. Run: `tsx images/workloads/agnhost.ts SUBCOMMAND [flags]`.
import { connectCommand } from "./connect.ts";
import { UsageError } from "./flags.ts";
import { FatalError, logf } from "./log.ts";
import { netexecCommand } from "./netexec.ts";
import { nginxCommand } from "./nginx.ts";
import { pauseCommand } from "./pause.ts";
import { serveHostnameCommand } from "./serve-hostname.ts";

/** Resolves to an exit code when the subcommand is done, or undefined while it keeps serving. */
type Subcommand = (argv: readonly string[]) => Promise<number | undefined>;

const SUBCOMMANDS: Record<string, Subcommand> = {
  connect: connectCommand,
  netexec: netexecCommand,
  nginx: nginxCommand,
  pause: pauseCommand,
  "serve-hostname": serveHostnameCommand,
};

const USAGE = `Usage:
  agnhost [command]

Available Commands:
  connect         Attempts a TCP or UDP connection and returns useful errors
  netexec         Creates HTTP and UDP servers with various endpoints
  nginx           Serves a "Welcome to nginx!" page naming the Pod on every path (ovslab personality)
  pause           Pauses the execution
  serve-hostname  Serves the hostname
`;

async function main(argv: readonly string[]): Promise<number | undefined> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "-h" || name === "--help") {
    process.stdout.write(USAGE);
    return 0;
  }
  const command = SUBCOMMANDS[name];
  if (!command) throw new UsageError(`unknown command "${name}" for "agnhost"`);
  if (rest.includes("-h") || rest.includes("--help")) {
    process.stdout.write(`Usage:\n  agnhost ${name} [flags]\n`);
    return 0;
  }
  return command(rest);
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exit(code);
  },
  (err: unknown) => {
    if (err instanceof UsageError) process.stderr.write(`Error: ${err.message}\n`);
    else logf(err instanceof FatalError ? err.message : String(err instanceof Error ? err.stack : err));
    process.exit(1);
  },
);
