// The runtime's persistent record of each attachment's final ADD result, needed for CHECK and DEL
// (spec section 3). Same layout and format as libcni's cache: <cacheDir>/results/<net>-<cid>-<ifname>,
// a "cniCacheV1" JSON document, so tools that read libcni's cache can read this one too.
import { mkdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeFileAtomic } from "../../common/json-file.ts";
import { type CniResult, cniResultSchema } from "./results.ts";

export interface AttachmentKey {
  readonly network: string;
  readonly containerId: string;
  readonly ifName: string;
}

export interface CachedAttachment extends AttachmentKey {
  /** The network configuration list the attachment was added with (JSON text). */
  readonly config: string;
  readonly netns: string;
  readonly args: readonly (readonly [string, string])[];
  readonly capabilityArgs: Readonly<Record<string, unknown>>;
  readonly result: CniResult;
}

const KIND = "cniCacheV1";

// libcni's cachedInfo; Go marshals the config []byte as base64.
const cacheFileSchema = z.object({
  kind: z.literal(KIND),
  containerId: z.string(),
  config: z.base64(),
  ifName: z.string(),
  networkName: z.string(),
  netns: z.string().optional(),
  cniArgs: z.array(z.tuple([z.string(), z.string()])).optional(),
  capabilityArgs: z.record(z.string(), z.unknown()).optional(),
  result: cniResultSchema,
});

export function cacheFilePath(cacheDir: string, key: AttachmentKey): string {
  return join(cacheDir, "results", `${key.network}-${key.containerId}-${key.ifName}`);
}

export async function writeCachedAttachment(cacheDir: string, entry: CachedAttachment): Promise<void> {
  const path = cacheFilePath(cacheDir, entry);
  const doc: z.input<typeof cacheFileSchema> = {
    kind: KIND,
    containerId: entry.containerId,
    config: Buffer.from(entry.config).toString("base64"),
    ifName: entry.ifName,
    networkName: entry.network,
    ...(entry.netns ? { netns: entry.netns } : {}),
    ...(entry.args.length ? { cniArgs: entry.args.map(([k, v]) => [k, v] as [string, string]) } : {}),
    ...(Object.keys(entry.capabilityArgs).length ? { capabilityArgs: { ...entry.capabilityArgs } } : {}),
    result: entry.result,
  };
  await mkdir(join(cacheDir, "results"), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, JSON.stringify(doc), 0o600);
}

/** The cached attachment, or undefined when there is none. Throws if the file is unreadable. */
export async function readCachedAttachment(
  cacheDir: string,
  key: AttachmentKey,
): Promise<CachedAttachment | undefined> {
  const parsed = await readJsonFile(cacheFilePath(cacheDir, key), cacheFileSchema, "CNI result cache file");
  if (!parsed) return undefined;
  return {
    network: parsed.networkName,
    containerId: parsed.containerId,
    ifName: parsed.ifName,
    config: Buffer.from(parsed.config, "base64").toString("utf8"),
    netns: parsed.netns ?? "",
    args: parsed.cniArgs ?? [],
    capabilityArgs: parsed.capabilityArgs ?? {},
    result: parsed.result,
  };
}

export async function removeCachedAttachment(cacheDir: string, key: AttachmentKey): Promise<void> {
  await rm(cacheFilePath(cacheDir, key), { force: true });
}
