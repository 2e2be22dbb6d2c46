// Removes an embedded lab exactly: the processes and objects in its ledger, plus any namespace or root link that
// carries its name prefix (for a lab whose state directory was lost). Idempotent: a second run finds nothing.

import { existsSync } from "node:fs";
import { run } from "../../images/common/exec.ts";
import { ipBatch, linkNames, listNetns } from "./kernel.ts";
import { labNetnsPrefix } from "./layout.ts";
import { Ledger, labStateDir, removeStateDir } from "./ledger.ts";
import { belongsToLab, pidsInNetns, readPidFile, terminate } from "./processes.ts";

export interface TeardownReport {
  existed: boolean;
  removed: number;
}

/** Namespaces of lab `lab`: `ol-<lab>` and `ol-<lab>-*` (lab names have no '-', so the prefix is exact). */
export function isLabNetns(lab: string, name: string): boolean {
  const prefix = labNetnsPrefix(lab);
  return name === prefix || name.startsWith(`${prefix}-`);
}

export async function teardown(lab: string): Promise<TeardownReport> {
  const stateDir = labStateDir(lab);
  const hadState = existsSync(stateDir);
  const entries = await new Ledger(stateDir).entries();

  const existing = new Set(await listNetns());
  const netns = new Set<string>();
  for (const e of entries) if (e.kind === "netns" && existing.has(e.name)) netns.add(e.name);
  for (const name of existing) if (isLabNetns(lab, name)) netns.add(name);

  // 1. processes: those in the ledger (checked to still be ours), and anything running in a lab namespace
  const owner = { stateDir, netns: [...netns] };
  const pids = new Set<number>();
  for (const e of entries) {
    if (e.kind !== "process") continue;
    const pid = e.pid ?? (e.pidFile ? await readPidFile(e.pidFile) : undefined);
    if (pid !== undefined && (await belongsToLab(pid, owner, e.pid === pid ? e.startTime : undefined))) {
      pids.add(pid);
    }
  }
  for (const ns of netns) for (const pid of await pidsInNetns(ns)) pids.add(pid);
  await terminate([...pids]);
  // A kubelet that was still stopping may have restarted a container meanwhile: sweep the namespaces again
  // until they are empty (a namespace's processes would outlive `ip netns delete`).
  for (let round = 0; round < 5; round++) {
    const late: number[] = [];
    for (const ns of netns) late.push(...(await pidsInNetns(ns)));
    if (!late.length) break;
    for (const pid of late) pids.add(pid);
    await terminate(late);
  }

  // 2. namespaces (their links, bridges and OVS taps go with them)
  await ipBatch(
    [...netns].map((n) => `netns delete ${n}`),
    { force: true },
  );

  // 3. root-namespace links (normally already gone with their veth peer)
  const rootLinks = new Set(await linkNames());
  const links = new Set<string>();
  for (const e of entries) if (e.kind === "link" && rootLinks.has(e.name)) links.add(e.name);
  if (rootLinks.has(labNetnsPrefix(lab))) links.add(labNetnsPrefix(lab));
  for (const l of links) await run(["ip", "link", "delete", l], { allowFailure: true });

  await removeStateDir(lab);
  const removed = pids.size + netns.size + links.size;
  return { existed: hadState || removed > 0, removed };
}
