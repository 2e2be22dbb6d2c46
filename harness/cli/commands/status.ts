import type { Command } from "commander";
import type { LabStatus } from "../../../lab/provider.ts";
import { labsOnMachine, providerOfLab } from "../../../lab/providers.ts";
import { ExitError } from "../exit.ts";
import { renderTable } from "../table.ts";

export function printStatus(labs: readonly LabStatus[]): void {
  for (const lab of labs) {
    const net = lab.topology.network;
    process.stdout.write(
      `LAB ${lab.name}  provider=${lab.provider}  underlay=${net.underlay}  pods=${net.pods}  ` +
        `services=${net.services}  tunnel=${net.tunnel}  podMTU=${net.podMTU}\n`,
    );
    const rows = lab.hosts.map((h) => [h.name, h.role, h.address, h.podCIDR ?? "-", h.state, h.detail ?? ""]);
    process.stdout.write(
      `${renderTable(["NAME", "ROLE", "ADDRESS", "POD-CIDR", "STATE", "DETAIL"], rows)}\n`,
    );
    if (lab.stateDir) process.stdout.write(`state: ${lab.stateDir}\n`);
    if (lab.kubeconfig) process.stdout.write(`kubeconfig: ${lab.kubeconfig}\n`);
    process.stdout.write("\n");
  }
}

export function registerStatus(program: Command): void {
  program
    .command("status")
    .description("show labs: every node and external host with role, address, Pod CIDR and state")
    .option("--name <lab>", "only this lab (default: every lab on this machine)")
    .option("-o, --output <format>", "table or json", "table")
    .action(async (opts: { name?: string; output: string }) => {
      if (opts.output !== "table" && opts.output !== "json") {
        throw new ExitError(`unknown output format "${opts.output}" (use table or json)`, 2);
      }
      const names = opts.name ? [opts.name] : (await labsOnMachine()).map((l) => l.name);
      const labs: LabStatus[] = [];
      for (const name of names) {
        const status = await (await providerOfLab(name)).status(name);
        if (status) labs.push(status);
        else if (opts.name) throw new ExitError(`no lab named "${opts.name}"`, 1);
      }
      if (opts.output === "json") {
        process.stdout.write(`${JSON.stringify(opts.name ? labs[0] : labs, null, 2)}\n`);
      } else if (!labs.length) {
        process.stdout.write("no labs on this machine (start one with 'ovslab up')\n");
      } else {
        printStatus(labs);
      }
    });
}
