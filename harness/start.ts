// `npm start`: the main job. Brings up the default lab, shows its status and the underlay ping matrix between all
// of its hosts, and takes it down again, whatever happens in between. Exit 1 when a pair cannot reach another.
import { NetnsProvider } from "../lab/netns/provider.ts";
import { loadTopology } from "../lab/topology/load.ts";
import { printPingMatrix } from "./cli/commands/ping.ts";
import { printStatus } from "./cli/commands/status.ts";
import { DEFAULT_TOPOLOGY } from "./cli/paths.ts";

const provider = new NetnsProvider();
const { spec } = await loadTopology(DEFAULT_TOPOLOGY);
const lab = spec.name;
if (await provider.status(lab).catch(() => true)) {
  console.error(`lab ${lab} already exists; take it down first with: npx ovslab down --name ${lab}`);
  process.exit(1);
}

const abort = new AbortController();
let interrupted = false;
const onSignal = () => {
  interrupted = true;
  abort.abort();
};
process.on("SIGINT", onSignal).on("SIGTERM", onSignal);

let failed = 0;
try {
  const t0 = performance.now();
  console.error(`Creating lab ${lab} from ${DEFAULT_TOPOLOGY}`);
  const status = await provider.up(spec, {
    signal: abort.signal,
    progress: (e) => console.error(`  ✓ ${e.step} (${e.ms} ms)`),
  });
  console.error(`Lab ${lab} is up (${((performance.now() - t0) / 1000).toFixed(2)} s)\n`);
  printStatus([status]);
  if (!interrupted) failed = await printPingMatrix(provider, status);
} catch (err) {
  if (!interrupted) {
    console.error(`error: ${(err as Error).message}`);
    failed = -1;
  }
} finally {
  const t0 = performance.now();
  const report = await provider.down(lab);
  console.error(`\nLab ${lab} removed (${report.removed} objects, ${Math.round(performance.now() - t0)} ms)`);
}
process.exitCode = interrupted ? 130 : failed === 0 ? 0 : 1;
