// Process entry of a lab node's kubelet: `node --import tsx lab/kubelet/main.ts --config FILE`.
// SIGTERM/SIGINT stop the kubelet but leave its Pods running (a kubelet restart adopts them).
import { parseArgs } from "node:util";
import { loadKubeletConfig } from "./config.ts";
import { startKubelet } from "./kubelet.ts";
import { errorMessage, stdoutLogger } from "./log.ts";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: "string" } }, strict: true });
  if (!values.config) throw new Error("usage: kubelet --config FILE");
  const config = await loadKubeletConfig(values.config);
  const kubelet = await startKubelet(config, { log: stdoutLogger() });
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${new Date().toISOString()} I received ${signal}, stopping\n`);
    kubelet.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`${new Date().toISOString()} E stopping: ${errorMessage(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`${new Date().toISOString()} E kubelet: ${errorMessage(err)}\n`);
  process.exit(2);
});
