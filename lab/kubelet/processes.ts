// Container processes. Each container runs under a small `sh` shim (the role containerd's shim plays):
// the kubelet starts the shim detached (own session, output to a log file), the shim starts the container
// in its own session and process group, writes its pid, waits for it and writes its exit code. So the
// container outlives a kubelet restart, and a later kubelet still learns how it ended.
// Processes are signalled only by pid, after checking their start time (/proc/PID/stat), never by name.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { netnsArgv, run } from "../../images/common/exec.ts";
import { isSameProcess, startTime } from "../common/proc.ts";

/** A process as started: its pid plus its start time, which tells it apart from a later reuse of the pid. */
export interface ProcessIdentity {
  pid: number;
  /** Field 22 of /proc/PID/stat (clock ticks since boot). */
  startTime: string;
}

export interface ContainerProcessSpec {
  argv: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Network namespace to run in (`ip netns exec`); unset = the kubelet's own. */
  netns?: string;
  /** Working directory (a scratch dir: the program runs on the host's file system). */
  cwd: string;
  logFile: string;
  pidFile: string;
  exitFile: string;
}

export interface StartedProcess {
  shim: ProcessIdentity;
  container: ProcessIdentity;
}

// `setsid` execs in place (the background child is not a group leader), so $! is the container's pid,
// and the container leads its own process group: signalling the group reaches everything it started.
const SHIM = `pid_file=$1; exit_file=$2; shift 2
setsid "$@" &
echo $! > "$pid_file.tmp" && mv "$pid_file.tmp" "$pid_file"
wait $!
echo $? > "$exit_file.tmp" && mv "$exit_file.tmp" "$exit_file"`;

const PID_FILE_WAIT_MS = 5000;

export async function startContainerProcess(spec: ContainerProcessSpec): Promise<StartedProcess> {
  const [file, ...args] = netnsArgv(spec.netns, [
    "/bin/sh",
    "-c",
    SHIM,
    "ovslab-shim",
    spec.pidFile,
    spec.exitFile,
    ...spec.argv,
  ]);
  if (!file) throw new Error("empty command");
  const log = openSync(spec.logFile, "a");
  let exited: number | null | undefined;
  let shimPid: number | undefined;
  try {
    const child = spawn(file, args, {
      detached: true,
      stdio: ["ignore", log, log],
      env: spec.env,
      cwd: spec.cwd,
    });
    child.on("exit", (code) => {
      exited = code;
    });
    // A spawn error (no `ip`) surfaces as an 'error' event; the pid is then undefined.
    child.on("error", () => {
      exited = -1;
    });
    child.unref();
    shimPid = child.pid;
  } finally {
    closeSync(log);
  }
  if (shimPid === undefined) throw new Error(`cannot start ${file}`);
  const shimStart = await startTime(shimPid);
  const deadline = Date.now() + PID_FILE_WAIT_MS;
  for (;;) {
    const pid = await readNumber(spec.pidFile);
    if (pid !== undefined) {
      // The container may already have exited; its identity is then unknown but harmless ("" never matches).
      return {
        shim: { pid: shimPid, startTime: shimStart ?? "" },
        container: { pid, startTime: (await startTime(pid)) ?? "" },
      };
    }
    if (exited !== undefined) {
      throw new Error(
        `container shim exited with code ${exited} before starting: ${await logTail(spec.logFile)}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`container shim wrote no pid file within ${PID_FILE_WAIT_MS} ms`);
    await sleep(10);
  }
}

/** The container's exit code as its shim recorded it, if it has exited. */
export async function readExitCode(exitFile: string): Promise<number | undefined> {
  return readNumber(exitFile);
}

/** True while the identified process exists and is not a zombie. */
export async function isRunning(id: ProcessIdentity): Promise<boolean> {
  return isSameProcess(id.pid, id.startTime);
}

/** Signals the process group the identified process leads, if that process is still the one started. */
export async function signalGroup(id: ProcessIdentity, signal: NodeJS.Signals): Promise<boolean> {
  if (!(await isRunning(id))) return false;
  try {
    process.kill(-id.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGKILLs every process inside a network namespace the kubelet created for a sandbox (membership is
 * the identity check: nothing else runs there) and waits until they are gone.
 */
export async function killAllInNetns(netns: string): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const res = await run(["ip", "netns", "pids", netns], { allowFailure: true });
    const pids = res.code === 0 ? res.stdout.split(/\s+/).filter(Boolean).map(Number) : [];
    const others = pids.filter((p) => Number.isInteger(p) && p > 1 && p !== process.pid);
    if (others.length === 0) return;
    for (const pid of others) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await sleep(20);
  }
  throw new Error(`processes in network namespace ${netns} survive SIGKILL`);
}

async function readNumber(path: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(path, "utf8")).trim(), 10);
    return Number.isInteger(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The last lines of a container log, for error messages. */
async function logTail(path: string, lines = 3): Promise<string> {
  try {
    return (await readFile(path, "utf8")).trim().split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}
