// Provider lookup: by name for `up`, and by the lab's own record (topology-data.json) for every later command, so
// that `down`, `status` and `exec` act on a lab with the provider that built it.
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { KindProvider } from "./kind/provider.ts";
import { labStateDir } from "./netns/ledger.ts";
import { NetnsProvider } from "./netns/provider.ts";
import type { Provider, ProviderName } from "./provider.ts";

export function providerFor(name: ProviderName): Provider {
  switch (name) {
    case "netns":
      return new NetnsProvider();
    case "kind":
      return new KindProvider();
  }
}

/** The provider recorded for `lab`; the embedded one when there is no record (it also sweeps orphaned namespaces). */
export async function providerOfLab(lab: string): Promise<Provider> {
  try {
    const data = JSON.parse(await readFile(join(labStateDir(lab), "topology-data.json"), "utf8")) as {
      provider?: unknown;
    };
    if (data.provider === "kind") return providerFor("kind");
  } catch {
    /* no record */
  }
  return providerFor("netns");
}

/** Every lab on this machine with the provider that owns it. */
export async function labsOnMachine(): Promise<{ name: string; provider: Provider }[]> {
  const names = new Set<string>();
  for (const p of [providerFor("netns"), providerFor("kind")]) {
    for (const name of await p.list().catch(() => [] as string[])) names.add(name);
  }
  return Promise.all([...names].sort().map(async (name) => ({ name, provider: await providerOfLab(name) })));
}
