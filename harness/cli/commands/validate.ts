import { readdir, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { formatProblem, InvalidInputError } from "../../../lab/common/source-file.ts";
import { loadTopology } from "../../../lab/topology/load.ts";
import { ExitError } from "../exit.ts";

/** Expands directories into the YAML files below them. */
export async function yamlFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const info = await stat(p).catch(() => undefined);
    if (info?.isDirectory()) {
      const entries = await readdir(p, { withFileTypes: true, recursive: true });
      for (const e of entries) {
        if (e.isFile() && /\.ya?ml$/.test(e.name)) out.push(join(e.parentPath, e.name));
      }
    } else out.push(p);
  }
  return out.sort();
}

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description("check topology files (and directories of them); mistakes are reported as file:line:column")
    .argument("<paths...>", "files or directories")
    .action(async (paths: string[]) => {
      const files = await yamlFiles(paths);
      if (!files.length) throw new ExitError(`no YAML files found in ${paths.join(", ")}`, 2);
      let bad = 0;
      for (const file of files) {
        try {
          await loadTopology(file);
          process.stdout.write(`ok  ${file}\n`);
        } catch (err) {
          if (!(err instanceof InvalidInputError)) throw err;
          bad++;
          for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
        }
      }
      if (bad) throw new ExitError(`${bad} of ${files.length} file(s) invalid`, 2);
    });
}
