// The one place that starts external programs. Everything else (OVS tools, ip, iptables, CNI plugins)
// goes through `run` so that errors carry the command line, exit code and stderr in one message.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { constants } from "node:os";

export interface RunOptions {
  /** Text written to the child's stdin (then closed). */
  input?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Kill the child with SIGKILL after this many milliseconds. */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller inspects `code`. */
  allowFailure?: boolean;
  /** Run inside this network namespace (`ip netns exec NAME ...`). */
  netns?: string;
  signal?: AbortSignal;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
  /** True when the child was killed because `timeoutMs` passed. */
  timedOut: boolean;
}

export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: RunResult,
  ) {
    const why = result.timedOut ? "timed out" : `exited with code ${result.code}`;
    const detail = (result.stderr.trim() || result.stdout.trim()).split("\n").slice(-5).join("\n");
    super(`${formatArgv(argv)} ${why}${detail ? `: ${detail}` : ""}`);
    this.name = "CommandError";
  }
}

/** Quotes an argv for display so that it can be pasted into a shell. */
export function formatArgv(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(" ");
}

export function netnsArgv(netns: string | undefined, argv: readonly string[]): string[] {
  return netns ? ["ip", "netns", "exec", netns, ...argv] : [...argv];
}

export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const full = netnsArgv(opts.netns, argv);
  const [file, ...args] = full;
  if (!file) throw new Error("run: empty command");
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ["pipe", "pipe", "pipe"],
      signal: opts.signal,
    });
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    const timer =
      opts.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, opts.timeoutMs);
    child.on("error", (err: NodeJS.ErrnoException) => {
      if (timer) clearTimeout(timer);
      if (err.code === "ENOENT") reject(new Error(`${file}: command not found (is it installed?)`));
      else reject(err);
    });
    child.on("close", (code, sig) => {
      if (timer) clearTimeout(timer);
      const result: RunResult = {
        code: code ?? (sig ? 128 + constants.signals[sig] : 1),
        stdout,
        stderr,
        timedOut,
      };
      if ((result.code !== 0 || timedOut) && !opts.allowFailure) reject(new CommandError(full, result));
      else resolve(result);
    });
    child.stdin.on("error", () => {
      /* the child may exit before reading its input */
    });
    child.stdin.end(opts.input ?? "");
  });
}

/** Runs and returns trimmed stdout; throws CommandError on failure. */
export async function output(argv: readonly string[], opts: RunOptions = {}): Promise<string> {
  return (await run(argv, opts)).stdout.trim();
}

/**
 * Runs with the caller's terminal attached (interactive shells, `ovslab exec -- bash`) and resolves with the exit
 * code; a child killed by a signal gives 128 + signal number, as shells report it.
 */
export function runAttached(
  argv: readonly string[],
  opts: Pick<RunOptions, "env" | "netns"> = {},
): Promise<number> {
  const [file, ...args] = netnsArgv(opts.netns, argv);
  if (!file) throw new Error("runAttached: empty command");
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env: opts.env ?? process.env, stdio: "inherit" });
    child.on("error", reject);
    child.on("close", (code, sig) => resolve(code ?? (sig ? 128 + constants.signals[sig] : 1)));
  });
}

export interface DaemonOptions {
  /** Network namespace to run in. Entered with `nsenter --net` (not `ip netns exec`, whose private mount
   * namespace would hide namespaces the daemon creates later, e.g. a kubelet's Pod sandboxes). */
  netns?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** stdout and stderr are appended here. */
  logFile: string;
}

/**
 * Starts a long-running program in its own session, detached from the caller (it outlives the CLI that started
 * it), and returns its pid. nsenter execs the program, so the pid is the daemon's own.
 */
export function spawnDaemon(argv: readonly string[], opts: DaemonOptions): Promise<number> {
  const full = opts.netns ? ["nsenter", `--net=/run/netns/${opts.netns}`, "--", ...argv] : [...argv];
  const [file, ...args] = full;
  if (!file) throw new Error("spawnDaemon: empty command");
  const log = openSync(opts.logFile, "a");
  return new Promise((resolve, reject) => {
    try {
      const child = spawn(file, args, {
        detached: true,
        stdio: ["ignore", log, log],
        env: opts.env ?? process.env,
        cwd: opts.cwd,
      });
      child.once("error", (err) => reject(new Error(`cannot start ${formatArgv(full)}: ${err.message}`)));
      child.once("spawn", () => {
        child.unref();
        if (child.pid === undefined) reject(new Error(`cannot start ${formatArgv(full)}`));
        else resolve(child.pid);
      });
    } finally {
      closeSync(log);
    }
  });
}
