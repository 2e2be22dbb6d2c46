// Picks the lab's underlay subnet: a free 172.18.N.0/24 for "auto", or checks a fixed one against the host's
// routes and the other labs. Runs under a machine-wide lock so that concurrent `up`s never pick the same subnet.
import { mkdir, open, readFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { formatCidr, mustParseCidr, overlaps } from "../common/ipv4.ts";
import { isAlive } from "../common/proc.ts";
import type { TopologyFile } from "../topology/schema.ts";
import { hostRoutes } from "./kernel.ts";
import { listStateDirs, stateRoot } from "./ledger.ts";

const AUTO_BASE = mustParseCidr("172.18.0.0/16");

export interface LabSubnet {
  lab: string;
  underlay: string;
}

export async function subnetsOfOtherLabs(self: string): Promise<LabSubnet[]> {
  const out: LabSubnet[] = [];
  for (const lab of await listStateDirs()) {
    if (lab === self) continue;
    try {
      const data = JSON.parse(await readFile(join(stateRoot(), lab, "topology-data.json"), "utf8")) as {
        topology?: { network?: { underlay?: string } };
      };
      const underlay = data.topology?.network?.underlay;
      if (underlay) out.push({ lab, underlay });
    } catch {
      /* a lab still being claimed has no topology-data.json yet; the lock orders us after it */
    }
  }
  return out;
}

/** Returns the underlay CIDR for this lab, or throws an Error that names the clash. */
export async function chooseUnderlay(spec: TopologyFile, lab: string): Promise<string> {
  const others = await subnetsOfOtherLabs(lab);
  const routes = await hostRoutes();
  const reserved = [mustParseCidr(spec.network.pods), mustParseCidr(spec.network.services)];
  const clash = (cidr: string): string | undefined => {
    const c = mustParseCidr(cidr);
    const lab = others.find((o) => overlaps(mustParseCidr(o.underlay), c));
    if (lab) return `lab "${lab.lab}" uses ${lab.underlay}`;
    const route = routes.find((r) => overlaps(mustParseCidr(r.dst), c));
    if (route) return `the host has a route to ${route.dst}${route.dev ? ` on ${route.dev}` : ""}`;
    return undefined;
  };
  if (spec.network.underlay !== "auto") {
    const why = clash(spec.network.underlay);
    if (why) {
      throw new Error(
        `network.underlay ${spec.network.underlay} cannot be used: ${why}; pick another or use "auto"`,
      );
    }
    return spec.network.underlay;
  }
  for (let i = 0; i < 256; i++) {
    const candidate = formatCidr({ base: (AUTO_BASE.base + i * 256) >>> 0, prefix: 24 });
    const c = mustParseCidr(candidate);
    if (reserved.some((r) => overlaps(r, c))) continue;
    if (!clash(candidate)) return candidate;
  }
  throw new Error("no free /24 left in 172.18.0.0/16 for the underlay; set network.underlay explicitly");
}

/** Runs `fn` holding an exclusive lock file; a lock left by a dead process is taken over. */
export async function withMachineLock<T>(fn: () => Promise<T>): Promise<T> {
  await mkdir(stateRoot(), { recursive: true });
  const path = join(stateRoot(), ".lock");
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(path, "wx");
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
      const holder = Number.parseInt(await readFile(path, "utf8").catch(() => ""), 10);
      if (!Number.isInteger(holder) || !(await isAlive(holder))) {
        if (attempt > 0 || !Number.isInteger(holder)) await rm(path, { force: true });
        else await sleep(20); // the holder may be between open and write
        continue;
      }
      if (attempt > 500) throw new Error(`timed out waiting for the lock ${path} held by pid ${holder}`);
      await sleep(20);
    }
  }
  try {
    return await fn();
  } finally {
    await rm(path, { force: true });
  }
}
