// The `ovslab` command line (DESIGN.md §7). Exit codes: 0 success, 1 failure, 2 invalid input, 130 interrupted.
import { Command, CommanderError } from "commander";
import { InvalidInputError } from "../../lab/common/source-file.ts";
import { registerAntctl } from "./commands/antctl.ts";
import { registerDown } from "./commands/down.ts";
import { registerExec } from "./commands/exec.ts";
import { registerKubeconfig } from "./commands/kubeconfig.ts";
import { registerPing } from "./commands/ping.ts";
import { registerRun } from "./commands/run.ts";
import { registerSchema } from "./commands/schema.ts";
import { registerStatus } from "./commands/status.ts";
import { registerUp } from "./commands/up.ts";
import { registerValidate } from "./commands/validate.ts";
import { ExitError } from "./exit.ts";

const program = new Command("ovslab")
  .description(
    "End-to-end test lab for Kubernetes networking on Open vSwitch.\n" +
      "Brings up labs whose nodes each run a real Open vSwitch (embedded: network namespaces; or kind).",
  )
  .enablePositionalOptions()
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride();

registerUp(program);
registerDown(program);
registerStatus(program);
registerKubeconfig(program);
registerExec(program);
registerAntctl(program);
registerPing(program);
registerRun(program);
registerValidate(program);
registerSchema(program);

program.addHelpText(
  "after",
  `
Exit codes: 0 success, 1 failure, 2 invalid input (topology or scenario files, arguments), 130 interrupted.
Labs live until 'ovslab down'; state is kept in $OVSLAB_HOME (default /run/ovslab/<lab>).`,
);

try {
  await program.parseAsync(process.argv);
} catch (err) {
  process.exitCode = exitCodeOf(err);
  if (!(err instanceof CommanderError)) process.stderr.write(`error: ${(err as Error).message}\n`);
}

function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    // help and version exit 0; usage errors are invalid input
    return err.exitCode === 0 ? 0 : 2;
  }
  if (err instanceof InvalidInputError) return 2;
  if (err instanceof ExitError) return err.exitCode;
  return 1;
}
