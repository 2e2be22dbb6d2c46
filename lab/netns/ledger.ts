// The per-lab state directory and its ledger: an append-only list of every kernel object and process the lab
// creates. An entry is written *before* the object is created, so a lab whose CLI was killed at any moment can
// still be removed exactly (`down` tolerates entries whose object never came to be).
import { appendFile, mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";

export const LedgerEntry = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("netns"), name: z.string() }),
  /** A link in the root namespace (links inside lab namespaces die with them). */
  z.object({ kind: z.literal("link"), name: z.string() }),
  /** A process; `pid` is recorded once known. Identity is re-checked before signalling (see processes.ts). */
  z.object({
    kind: z.literal("process"),
    name: z.string(),
    host: z.string(),
    pidFile: z.string().optional(),
    pid: z.number().int().optional(),
    startTime: z.string().optional(),
  }),
]);
export type LedgerEntry = z.infer<typeof LedgerEntry>;
export type ProcessEntry = Extract<LedgerEntry, { kind: "process" }>;

/** The last record of each (host, process name): a process is recorded again once its pid is known or it restarts. */
export function latestProcesses(entries: readonly LedgerEntry[]): ProcessEntry[] {
  const latest = new Map<string, ProcessEntry>();
  for (const e of entries) if (e.kind === "process") latest.set(`${e.host}/${e.name}`, e);
  return [...latest.values()];
}

export function stateRoot(): string {
  return process.env.OVSLAB_HOME ?? "/run/ovslab";
}

export function labStateDir(lab: string): string {
  return join(stateRoot(), lab);
}

export class Ledger {
  readonly file: string;
  constructor(readonly dir: string) {
    this.file = join(dir, "ledger.jsonl");
  }

  async record(entry: LedgerEntry): Promise<void> {
    await appendFile(this.file, `${JSON.stringify(entry)}\n`);
  }

  async recordAll(entries: readonly LedgerEntry[]): Promise<void> {
    if (entries.length) await appendFile(this.file, entries.map((e) => `${JSON.stringify(e)}\n`).join(""));
  }

  /** Entries in creation order. A torn last line (killed mid-write) is ignored. */
  async entries(): Promise<LedgerEntry[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch {
      return [];
    }
    const out: LedgerEntry[] = [];
    for (const line of text.split("\n")) {
      if (!line.trim()) continue;
      try {
        const parsed = LedgerEntry.safeParse(JSON.parse(line));
        if (parsed.success) out.push(parsed.data);
      } catch {
        /* torn line */
      }
    }
    return out;
  }
}

/** Creates the state directory; fails if the lab already exists (mkdir is the atomic claim). */
export async function claimStateDir(lab: string): Promise<string> {
  await mkdir(stateRoot(), { recursive: true });
  const dir = labStateDir(lab);
  try {
    await mkdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") {
      throw new Error(`lab "${lab}" already exists (state in ${dir}); run 'ovslab down --name ${lab}' first`);
    }
    throw err;
  }
  await writeFile(join(dir, "ledger.jsonl"), "");
  return dir;
}

export async function removeStateDir(lab: string): Promise<void> {
  await rm(labStateDir(lab), { recursive: true, force: true });
}

/** Labs that have a state directory (running, half-built, or crashed). */
export async function listStateDirs(): Promise<string[]> {
  try {
    const names = await readdir(stateRoot(), { withFileTypes: true });
    return names.filter((d) => d.isDirectory() && !d.name.startsWith(".")).map((d) => d.name);
  } catch {
    return [];
  }
}
