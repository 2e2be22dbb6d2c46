// Processes of a lab are stopped by pid, never by name, and only after checking that the pid still belongs
// to the lab: its command line names the lab's state directory (every daemon the lab starts is given paths
// inside it), or it runs inside one of the lab's network namespaces.
import { readFile, stat } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "../../images/common/exec.ts";
import { isAlive, startTime } from "../common/proc.ts";

export async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, "utf8")).trim(), 10);
    return Number.isInteger(pid) && pid > 1 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function cmdline(pid: number): Promise<string | undefined> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, "utf8")).replaceAll("\0", " ");
  } catch {
    return undefined;
  }
}

/** Inode of a process's network namespace, to compare with a named namespace's. */
async function netnsInode(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).ino;
  } catch {
    return undefined;
  }
}

/** Pids of processes running inside the named network namespace (`ip netns pids`). */
export async function pidsInNetns(netns: string): Promise<number[]> {
  const res = await run(["ip", "netns", "pids", netns], { allowFailure: true });
  if (res.code !== 0) return [];
  return res.stdout
    .split(/\s+/)
    .filter(Boolean)
    .map(Number)
    .filter((p) => p !== process.pid);
}

/** True when `pid` still is the process the lab started (or runs inside one of the lab's namespaces). */
export async function belongsToLab(
  pid: number,
  lab: { stateDir: string; netns: readonly string[] },
  recordedStartTime?: string,
): Promise<boolean> {
  if (recordedStartTime !== undefined && (await startTime(pid)) !== recordedStartTime) return false;
  const cmd = await cmdline(pid);
  if (cmd === undefined) return false;
  if (cmd.includes(`${lab.stateDir}/`)) return true;
  const own = await netnsInode(`/proc/${pid}/ns/net`);
  for (const ns of lab.netns) {
    if (own !== undefined && own === (await netnsInode(`/run/netns/${ns}`))) return true;
  }
  return false;
}

/** SIGTERM, wait up to `graceMs`, then SIGKILL whatever is left; resolves when all are gone. */
export async function terminate(pids: readonly number[], graceMs = 1000): Promise<void> {
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  };
  for (const pid of pids) signal(pid, "SIGTERM");
  const deadline = Date.now() + graceMs;
  let left = [...pids];
  while (left.length && Date.now() < deadline) {
    await sleep(10);
    left = (await Promise.all(left.map(async (p) => ((await isAlive(p)) ? p : 0)))).filter(Boolean);
  }
  for (const pid of left) signal(pid, "SIGKILL");
  const killDeadline = Date.now() + 2000; // a process in uninterruptible sleep may take a moment
  while (left.length && Date.now() < killDeadline) {
    await sleep(10);
    left = (await Promise.all(left.map(async (p) => ((await isAlive(p)) ? p : 0)))).filter(Boolean);
  }
}
