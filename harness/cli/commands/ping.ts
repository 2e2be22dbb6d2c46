import type { Command } from "commander";
import { underlayPingMatrix } from "../../../lab/connectivity.ts";
import type { LabStatus, Provider } from "../../../lab/provider.ts";
import { providerOfLab } from "../../../lab/providers.ts";
import { DEFAULT_LAB, ExitError } from "../exit.ts";
import { renderTable } from "../table.ts";

/** Prints the underlay ping matrix ('.' reached, 'X' not) and returns the number of failed pairs. */
export async function printPingMatrix(provider: Provider, status: LabStatus): Promise<number> {
  const results = await underlayPingMatrix(provider, status);
  const names = status.hosts.map((h) => h.name);
  const rows = names.map((from) => [
    from,
    ...names.map((to) => {
      if (from === to) return "-";
      return results.find((r) => r.from === from && r.to === to)?.ok ? "." : "X";
    }),
  ]);
  process.stdout.write(`Underlay ping matrix of lab ${status.name} (row pings column; . reached, X not)\n`);
  process.stdout.write(`${renderTable(["FROM\\TO", ...names], rows)}\n`);
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(`${results.length - failed.length}/${results.length} pairs reached\n`);
  return failed.length;
}

export function registerPing(program: Command): void {
  program
    .command("ping")
    .description("ping between every pair of hosts of a lab over the underlay and print the matrix")
    .option("--name <lab>", "lab name", DEFAULT_LAB)
    .action(async (opts: { name: string }) => {
      const provider = await providerOfLab(opts.name);
      const status = await provider.status(opts.name);
      if (!status) throw new ExitError(`no lab named "${opts.name}"`, 1);
      const failed = await printPingMatrix(provider, status);
      if (failed) throw new ExitError(`${failed} pair(s) could not reach each other`, 1);
    });
}
