// The agent process: `node --import tsx images/agent/main.ts --config FILE`. Logs one line per significant event on
// stdout; SIGTERM or SIGINT stop it with exit code 0, leaving OVS bridges and flows in place (as Antrea does).
import { parseArgs } from "node:util";
import { startAgent } from "./agent.ts";
import { loadAgentConfig } from "./config.ts";
import { errorMessage, stdoutLogger } from "./log.ts";

const log = stdoutLogger();

async function main(): Promise<void> {
  let configPath: string | undefined;
  try {
    configPath = parseArgs({ options: { config: { type: "string" } }, strict: true }).values.config;
  } catch (err) {
    throw new UsageError(errorMessage(err));
  }
  if (!configPath) throw new UsageError("missing --config FILE");
  const config = await loadAgentConfig(configPath);
  const abort = new AbortController();
  let stopping: Promise<void> | undefined;
  const agentStarted = startAgent(config, { log, signal: abort.signal });
  const onSignal = (sig: NodeJS.Signals) => {
    log.info(`received ${sig}, stopping`);
    abort.abort();
    stopping ??= agentStarted.then(
      (agent) => agent.stop(),
      () => undefined,
    );
    void stopping.then(() => process.exit(0));
  };
  process.on("SIGTERM", onSignal);
  process.on("SIGINT", onSignal);
  await agentStarted;
}

class UsageError extends Error {}

main().catch((err: unknown) => {
  if (err instanceof Error && err.name === "AbortError") return;
  log.error(errorMessage(err));
  if (err instanceof UsageError) console.error("usage: main.ts --config FILE");
  process.exit(err instanceof UsageError ? 2 : 1);
});
