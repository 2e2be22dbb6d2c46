// Process entry: `node --import tsx images/antctl/main.ts ARGS` inside a node (`ovslab exec node/NODE -- ...`),
// where OVS_RUNDIR points at the node's Open vSwitch. The API is found as kubectl finds it (--kubeconfig,
// KUBECONFIG, ~/.kube/config, in-cluster); NODE_NAME names the Node when set.
import { runAntctl } from "./antctl.ts";

const env = process.env;
const result = await runAntctl(process.argv.slice(2), {
  // Where OVS keeps its sockets when nothing else is said.
  ovsRundir: env.OVS_RUNDIR || "/var/run/openvswitch",
  ...(env.NODE_NAME ? { nodeName: env.NODE_NAME } : {}),
});
process.stdout.write(result.stdout);
process.stderr.write(result.stderr);
process.exitCode = result.code;
