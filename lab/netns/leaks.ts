// The leak checker: after a lab is torn down, nothing of it may remain — no namespace, root link, process,
// OVS daemon, iptables rule or state directory. Every test that builds a lab calls this afterwards.
import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import { run } from "../../images/common/exec.ts";
import { isAlive } from "../common/proc.ts";
import { linkNames, listNetns } from "./kernel.ts";
import { labNetnsPrefix } from "./layout.ts";
import { labStateDir } from "./ledger.ts";
import { cmdline } from "./processes.ts";
import { isLabNetns } from "./teardown.ts";

export interface Leftovers {
  netns: string[];
  links: string[];
  processes: { pid: number; cmd: string }[];
  iptablesRules: string[];
  stateDir?: string;
}

export async function findLeftovers(lab: string): Promise<Leftovers> {
  const prefix = labNetnsPrefix(lab);
  const stateDir = labStateDir(lab);
  const netns = (await listNetns()).filter((n) => isLabNetns(lab, n));
  const links = (await linkNames()).filter((l) => l === prefix || l.startsWith(`${prefix}-`));

  const processes: Leftovers["processes"] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cmd = await cmdline(pid);
    if (cmd?.includes(`${stateDir}/`) && (await isAlive(pid))) processes.push({ pid, cmd: cmd.trim() });
  }

  // Root-namespace rules that mention the lab's interfaces (the lab adds rules only inside its namespaces).
  const saved = await run(["iptables-save"], { allowFailure: true });
  const iptablesRules = saved.stdout
    .split("\n")
    .filter((l) => l.startsWith("-A ") && new RegExp(`\\b${prefix}(\\b|-)`).test(l));

  return {
    netns,
    links,
    processes,
    iptablesRules,
    ...(existsSync(stateDir) ? { stateDir } : {}),
  };
}

/** A readable list of what is left, or "" when the lab is gone without a trace. */
export function describeLeftovers(l: Leftovers): string {
  const parts: string[] = [];
  if (l.netns.length) parts.push(`network namespaces: ${l.netns.join(", ")}`);
  if (l.links.length) parts.push(`root-namespace links: ${l.links.join(", ")}`);
  if (l.processes.length) parts.push(`processes: ${l.processes.map((p) => `${p.pid} ${p.cmd}`).join("; ")}`);
  if (l.iptablesRules.length) parts.push(`iptables rules: ${l.iptablesRules.join("; ")}`);
  if (l.stateDir) parts.push(`state directory: ${l.stateDir}`);
  return parts.join("\n");
}

/** Throws an Error listing the leftovers of `lab`, if any. */
export async function assertNoLeftovers(lab: string): Promise<void> {
  const text = describeLeftovers(await findLeftovers(lab));
  if (text) throw new Error(`lab ${lab} left things behind:\n${text}`);
}
