import { hostname } from "node:os";

// Pods in the embedded lab share the host's UTS namespace, so os.hostname() is the machine's name. The
// kubelet passes the Pod name in the environment instead, so a Pod answers with its own name as it would
// in a container (where HOSTNAME is the Pod name).
export function podHostname(env: NodeJS.ProcessEnv = process.env): string {
  return env.OVSLAB_POD_NAME || env.HOSTNAME || hostname();
}
