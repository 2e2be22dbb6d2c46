import type { Command } from "commander";
import { labsOnMachine, providerOfLab } from "../../../lab/providers.ts";
import { DEFAULT_LAB, ExitError } from "../exit.ts";

export function registerDown(program: Command): void {
  program
    .command("down")
    .description("remove a lab: every namespace, link and process it created (idempotent)")
    .option("--name <lab>", "lab name", DEFAULT_LAB)
    .option("--all", "remove every lab on this machine")
    .action(async (opts: { name: string; all?: boolean }) => {
      const labs = opts.all
        ? await labsOnMachine()
        : [{ name: opts.name, provider: await providerOfLab(opts.name) }];
      if (opts.all && labs.length === 0) process.stdout.write("no labs on this machine\n");
      let failures = 0;
      for (const { name: lab, provider } of labs) {
        const t0 = performance.now();
        try {
          const report = await provider.down(lab);
          const ms = Math.round(performance.now() - t0);
          process.stdout.write(
            report.existed
              ? `lab ${lab} removed (${report.removed} namespaces, links and processes; ${ms} ms)\n`
              : `lab ${lab} does not exist; nothing to remove\n`,
          );
        } catch (err) {
          failures++;
          process.stderr.write(`error: lab ${lab}: ${(err as Error).message}\n`);
        }
      }
      if (failures) throw new ExitError(`${failures} lab(s) could not be removed`, 1);
    });
}
