import type { Command } from "commander";
import { providerOfLab } from "../../../lab/providers.ts";
import { DEFAULT_LAB, ExitError } from "../exit.ts";

export function registerAntctl(program: Command): void {
  program
    .command("antctl")
    .description(
      "run antctl on a node, in agent mode (flows, Pod interfaces, agent info, policies of that node);\n" +
        "e.g. ovslab antctl --node worker -- get ovsflows -T IngressRule",
    )
    .argument("<args...>", "antctl arguments, after --")
    .option("--name <lab>", "lab name", DEFAULT_LAB)
    .option("--node <node>", "node whose agent answers (default: the control-plane node)")
    .passThroughOptions()
    .usage("[--name LAB] [--node NODE] -- ARGS...")
    .action(async (args: string[], opts: { name: string; node?: string }) => {
      const provider = await providerOfLab(opts.name);
      const status = await provider.status(opts.name);
      if (!status) throw new ExitError(`no lab named "${opts.name}" is running (see 'ovslab status')`, 1);
      const node = opts.node ?? status.hosts.find((h) => h.role === "control-plane")?.name;
      if (!node) throw new ExitError(`lab ${opts.name} has no control-plane node; use --node`, 2);
      const argv = args[0] === "--" ? args.slice(1) : args;
      const res = await provider.exec(opts.name, { kind: "node", name: node }, ["antctl", ...argv], {
        stdio: "inherit",
      });
      process.exitCode = res.code;
    });
}
