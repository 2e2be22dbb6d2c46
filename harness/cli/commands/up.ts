import type { Command } from "commander";
import type { StackName } from "../../../lab/provider.ts";
import { providerFor } from "../../../lab/providers.ts";
import { loadTopology } from "../../../lab/topology/load.ts";
import { ExitError } from "../exit.ts";
import { topologyPath } from "../paths.ts";
import { printStatus } from "./status.ts";

export function registerUp(program: Command): void {
  program
    .command("up")
    .description("bring up a lab; returns when every node is running (the lab stays up until 'ovslab down')")
    .option(
      "-t, --topology <file>",
      "topology file, or the name of a bundled one in lab/topologies/",
      "default",
    )
    .option("--name <lab>", "lab name (default: the topology's name)")
    .option("--provider <name>", "netns (embedded, default) or kind; overrides the topology's provider")
    .option(
      "--stack <name>",
      "networking stack: reference (this project's Antrea-compatible agent and CNI; netns default), " +
        "antrea (real Antrea; kind default) or none (no CNI: nodes stay NotReady)",
    )
    .action(async (opts: { topology: string; name?: string; provider?: string; stack?: string }) => {
      if (opts.stack !== undefined && !["reference", "antrea", "none"].includes(opts.stack)) {
        throw new ExitError(`unknown stack "${opts.stack}" (use reference, antrea or none)`, 2);
      }
      const stack = opts.stack as StackName | undefined;
      const file = topologyPath(opts.topology);
      const { spec } = await loadTopology(file);
      const providerName = opts.provider ?? spec.provider;
      if (providerName !== "netns" && providerName !== "kind") {
        throw new ExitError(`unknown provider "${providerName}" (use netns or kind)`, 2);
      }
      const provider = providerFor(providerName);
      const lab = opts.name ?? spec.name;
      const abort = new AbortController();
      const onSignal = (sig: NodeJS.Signals) => {
        if (abort.signal.aborted) return;
        process.stderr.write(`\n${sig}: rolling back lab ${lab}...\n`);
        abort.abort(new ExitError(`interrupted by ${sig}; lab ${lab} was rolled back`, 130));
      };
      process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
      const t0 = performance.now();
      process.stderr.write(`Creating lab ${lab} from ${file} (provider ${provider.name})\n`);
      try {
        const status = await provider.up(
          { ...spec, provider: providerName },
          {
            ...(opts.name ? { name: opts.name } : {}),
            signal: abort.signal,
            ...(stack ? { stack } : {}),
            progress: (e) => process.stderr.write(`  ✓ ${e.step} (${e.ms} ms)\n`),
          },
        );
        process.stderr.write(`Lab ${lab} is up (${((performance.now() - t0) / 1000).toFixed(2)} s)\n\n`);
        printStatus([status]);
      } catch (err) {
        throw abort.signal.aborted ? abort.signal.reason : err;
      } finally {
        process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
      }
    });
}
