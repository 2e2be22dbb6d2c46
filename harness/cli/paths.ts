// Where the CLI finds its bundled files, independent of the working directory.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const TOPOLOGIES_DIR = join(PACKAGE_ROOT, "lab", "topologies");
export const DEFAULT_TOPOLOGY = join(TOPOLOGIES_DIR, "default.yaml");

/** `-t default` names a bundled topology; anything else is a path. */
export function topologyPath(arg: string | undefined): string {
  if (!arg) return DEFAULT_TOPOLOGY;
  if (!arg.includes("/") && !arg.endsWith(".yaml") && !arg.endsWith(".yml")) {
    const bundled = join(TOPOLOGIES_DIR, `${arg}.yaml`);
    if (existsSync(bundled)) return bundled;
  }
  return resolve(arg);
}
