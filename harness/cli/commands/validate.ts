import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { formatProblem, InvalidInputError } from "../../../lab/common/source-file.ts";
import { loadTopology } from "../../../lab/topology/load.ts";
import { loadScenarioFile } from "../../scenario/loader.ts";
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

type FileKind = "scenario" | "topology" | "other";

/** Scenarios declare `kind: Scenario`; topologies have a top-level `topology:`; anything else (manifests) is skipped. */
async function fileKind(file: string): Promise<FileKind> {
  const text = await readFile(file, "utf8").catch(() => "");
  if (/^kind:\s*["']?Scenario["']?\s*(#.*)?$/m.test(text)) return "scenario";
  if (/^topology:/m.test(text)) return "topology";
  return "other";
}

export function registerValidate(program: Command): void {
  program
    .command("validate")
    .description(
      "check scenario and topology files (and directories of them) without running anything;\n" +
        "mistakes are reported as file:line:column, exit 2. In directories, other YAML (manifests) is skipped.",
    )
    .argument("<paths...>", "files or directories")
    .action(async (paths: string[]) => {
      const files = await yamlFiles(paths);
      if (!files.length) throw new ExitError(`no YAML files found in ${paths.join(", ")}`, 2);
      const named = new Set(paths);
      let bad = 0;
      let checked = 0;
      for (const file of files) {
        const kind = await fileKind(file);
        // A file named on the command line is checked as a topology when it is not a scenario.
        if (kind === "other" && !named.has(file)) continue;
        checked++;
        try {
          if (kind === "scenario") await loadScenarioFile(file);
          else await loadTopology(file);
          process.stdout.write(`ok  ${file} (${kind === "scenario" ? "scenario" : "topology"})\n`);
        } catch (err) {
          if (!(err instanceof InvalidInputError)) throw err;
          bad++;
          for (const p of err.problems) process.stderr.write(`${formatProblem(p)}\n`);
        }
      }
      if (!checked) throw new ExitError(`no scenario or topology files found in ${paths.join(", ")}`, 2);
      if (bad) throw new ExitError(`${bad} of ${checked} file(s) invalid`, 2);
    });
}
