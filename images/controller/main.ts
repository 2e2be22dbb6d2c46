// Process entry of the reference antrea-controller: `node --import tsx images/controller/main.ts --config FILE`.
// SIGTERM/SIGINT stop it cleanly (exit 0), also while it is starting; a bad command line or configuration exits 2.
import { parseArgs } from "node:util";
import { loadControllerConfig } from "./config.ts";
import { type Controller, startController } from "./controller.ts";
import { errorMessage } from "./log.ts";

async function main(): Promise<void> {
  let starting: Promise<Controller> | undefined;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${new Date().toISOString()} I received ${signal}, stopping\n`);
    Promise.resolve(starting)
      .then((controller) => controller?.stop())
      .then(
        () => process.exit(0),
        (err: unknown) => {
          process.stderr.write(`${new Date().toISOString()} E stopping: ${errorMessage(err)}\n`);
          process.exit(1);
        },
      );
  };
  // Installed first: a signal during startup must not kill the process half-way.
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));

  const { values } = parseArgs({ options: { config: { type: "string" } }, strict: true });
  if (!values.config) throw new Error("usage: antrea-controller --config FILE");
  starting = loadControllerConfig(values.config).then((config) => startController(config));
  await starting;
}

main().catch((err: unknown) => {
  process.stderr.write(`${new Date().toISOString()} E antrea-controller: ${errorMessage(err)}\n`);
  process.exit(2);
});
