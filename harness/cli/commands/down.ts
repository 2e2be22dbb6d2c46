import type { Command } from "commander";
import { NetnsProvider } from "../../../lab/netns/provider.ts";
import type { Provider } from "../../../lab/provider.ts";
import { DEFAULT_LAB, ExitError } from "../exit.ts";

export function registerDown(program: Command): void {
  program
    .command("down")
    .description("remove a lab: every namespace, link and process it created (idempotent)")
    .option("--name <lab>", "lab name", DEFAULT_LAB)
    .option("--all", "remove every lab on this machine")
    .action(async (opts: { name: string; all?: boolean }) => {
      const provider: Provider = new NetnsProvider();
      const labs = opts.all ? await provider.list() : [opts.name];
      if (opts.all && labs.length === 0) process.stdout.write("no labs on this machine\n");
      let failures = 0;
      for (const lab of labs) {
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
