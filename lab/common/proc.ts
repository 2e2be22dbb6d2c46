// Reading /proc: whether a pid is alive, and its start time, which tells the original process from a later one
// that reused the pid. Lab and kubelet stop processes only after checking both.
import { readFile } from "node:fs/promises";

/** State letter and start time (field 22, clock ticks since boot) from /proc/PID/stat. */
async function procStat(pid: number): Promise<{ state: string; startTime: string } | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, "utf8");
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", startTime: fields[19] ?? "" };
  } catch {
    return undefined;
  }
}

export async function startTime(pid: number): Promise<string | undefined> {
  return (await procStat(pid))?.startTime;
}

/** True while the process exists and is not a zombie. */
export async function isAlive(pid: number): Promise<boolean> {
  const stat = await procStat(pid);
  return stat !== undefined && stat.state !== "Z";
}

/** True while the process with this pid is still the one that started at `started`. */
export async function isSameProcess(pid: number, started: string): Promise<boolean> {
  const stat = await procStat(pid);
  return stat !== undefined && stat.state !== "Z" && stat.startTime === started;
}
