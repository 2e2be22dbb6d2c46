import type { Command } from "commander";
import { providerOfLab } from "../../../lab/providers.ts";
import { DEFAULT_LAB, ExitError } from "../exit.ts";

export function registerKubeconfig(program: Command): void {
  program
    .command("kubeconfig")
    .description("print the path of the lab's kubeconfig (use: export KUBECONFIG=$(ovslab kubeconfig))")
    .option("--name <lab>", "lab name", DEFAULT_LAB)
    .action(async (opts: { name: string }) => {
      const status = await (await providerOfLab(opts.name)).status(opts.name);
      if (!status) throw new ExitError(`no lab named "${opts.name}" is running (see 'ovslab status')`, 1);
      if (!status.kubeconfig) throw new ExitError(`lab ${opts.name} has no Kubernetes API (yet)`, 1);
      process.stdout.write(`${status.kubeconfig}\n`);
    });
}
