// The package's TypeScript programs that a lab runs as daemons (API server, kubelet, agent, controller, the
// external host's netexec), started with this Node and tsx.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** argv that runs `entry` (a path relative to the package root) with tsx. */
export function tsxArgv(entry: string, ...args: string[]): string[] {
  return [process.execPath, "--import", "tsx", join(PACKAGE_ROOT, entry), ...args];
}
