// What a kind lab keeps in its state directory ($OVSLAB_HOME/<lab>, shared with the embedded lab's layout):
// topology-data.json says which provider owns the lab and maps topology names to kind's node containers, so that
// `down`, `status`, `exec` and `fault` work from any later process.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { labStateDir } from "../netns/ledger.ts";
import type { ResolvedTopology } from "../topology/resolve.ts";

const HostMapping = z.object({ name: z.string(), container: z.string() });

export const KindLabData = z.object({
  provider: z.literal("kind"),
  createdAt: z.string(),
  cluster: z.string(),
  nodes: z.array(HostMapping.extend({ role: z.enum(["control-plane", "worker"]) })),
  external: z.array(HostMapping),
  /** The kind network's IPv4 gateway, known once the cluster exists (a node's link-up restores its default route). */
  gateway: z.string().optional(),
  /** Addresses are docker's and Pod CIDRs are the cluster's once `up` has finished (`complete`). */
  topology: z.custom<ResolvedTopology>((v) => typeof v === "object" && v !== null && "nodes" in v),
  complete: z.boolean(),
});
export type KindLabData = z.infer<typeof KindLabData>;

export interface KindLabPaths {
  dir: string;
  data: string;
  kubeconfig: string;
  kindConfig: string;
  antreaManifest: string;
}

export function kindLabPaths(lab: string): KindLabPaths {
  const dir = labStateDir(lab);
  return {
    dir,
    data: join(dir, "topology-data.json"),
    kubeconfig: join(dir, "kubeconfig"),
    kindConfig: join(dir, "kind-config.yaml"),
    antreaManifest: join(dir, "antrea.yml"),
  };
}

export async function writeLabData(lab: string, data: KindLabData): Promise<void> {
  await writeFile(kindLabPaths(lab).data, `${JSON.stringify(data, null, 2)}\n`);
}

/** Undefined when the lab has no state or belongs to another provider; throws when the file is damaged. */
export async function readLabData(lab: string): Promise<KindLabData | undefined> {
  const file = kindLabPaths(lab).data;
  if (!existsSync(file)) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new Error(`cannot read ${file}: ${(err as Error).message}; run 'ovslab down --name ${lab}'`);
  }
  if ((json as { provider?: unknown }).provider !== "kind") return undefined;
  const parsed = KindLabData.safeParse(json);
  if (!parsed.success) {
    throw new Error(`${file} is not a kind lab's state: ${parsed.error.issues[0]?.message}`);
  }
  return parsed.data;
}
