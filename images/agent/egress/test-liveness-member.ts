// Test support for liveness.test.ts: one liveness member as a process of its own, so that the test can stop and
// continue it with real signals. Usage: test-liveness-member.ts NAME IP PORT PEERS_JSON. Prints "pid N" once,
// then "alive a,b,c" whenever its view changes and "resumed" after a pause.
import { NodeLiveness, type Peer } from "./liveness.ts";

const [name, ip, port, peersJson] = process.argv.slice(2);
if (!name || !ip || !port || !peersJson) throw new Error("usage: NAME IP PORT PEERS_JSON");
const log = { info: () => {}, warn: () => {}, error: (m: string) => process.stderr.write(`${m}\n`) };
let last = "";
const report = () => {
  const alive = [...liveness.aliveNodes()].sort().join(",");
  if (alive !== last) process.stdout.write(`alive ${alive}\n`);
  last = alive;
};
const liveness = await NodeLiveness.start({
  self: { name, ip },
  port: Number(port),
  onChange: () => report(),
  onResume: () => process.stdout.write("resumed\n"),
  log,
});
liveness.setPeers(JSON.parse(peersJson) as Peer[]);
process.stdout.write(`pid ${process.pid}\n`);
report();
process.on("SIGTERM", () => void liveness.stop().then(() => process.exit(0)));
