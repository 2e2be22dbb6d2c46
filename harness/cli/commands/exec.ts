import type { Command } from "commander";
import type { ExecTarget } from "../../../lab/provider.ts";
import { providerOfLab } from "../../../lab/providers.ts";
import { DEFAULT_LAB, ExitError } from "../exit.ts";

export function parseTarget(text: string): ExecTarget {
  const parts = text.split("/");
  if (parts[0] === "node" && parts.length === 2 && parts[1]) return { kind: "node", name: parts[1] };
  if (parts[0] === "ext" && parts.length === 2 && parts[1]) return { kind: "external", name: parts[1] };
  if (parts[0] === "pod" && parts.length === 3 && parts[1] && parts[2]) {
    return { kind: "pod", namespace: parts[1], name: parts[2] };
  }
  throw new ExitError(`bad target "${text}": use node/NODE, ext/NAME or pod/NAMESPACE/NAME`, 2);
}

export function registerExec(program: Command): void {
  program
    .command("exec")
    .description(
      "run a command on a node, external host or Pod and exit with its exit code\n" +
        "(inside a node, OVS tools such as ovs-vsctl and ovs-ofctl find that node's Open vSwitch)",
    )
    .argument("<target>", "node/NODE | ext/NAME | pod/NAMESPACE/NAME")
    .argument("<command...>", "the command, after --")
    .option("--name <lab>", "lab name", DEFAULT_LAB)
    .passThroughOptions()
    .usage("[--name LAB] TARGET -- COMMAND [ARGS...]")
    .action(async (targetText: string, command: string[], opts: { name: string }) => {
      const target = parseTarget(targetText);
      const argv = command[0] === "--" ? command.slice(1) : command;
      if (!argv.length) throw new ExitError("no command given after --", 2);
      const res = await (await providerOfLab(opts.name)).exec(opts.name, target, argv, { stdio: "inherit" });
      process.exitCode = res.code;
    });
}
