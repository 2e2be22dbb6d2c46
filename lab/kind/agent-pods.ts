// The antrea-agent Pod of a kind node: where OVS tools (container antrea-ovs) and antctl (antrea-agent) run, and
// what a "restart agent" fault deletes so that the DaemonSet replaces it.
import { waitUntil } from "../common/wait.ts";
import { AGENT_POD_LABELS, ANTREA_NAMESPACE } from "./antrea.ts";
import type { KubectlCli } from "./kubectl-cli.ts";

export async function agentPodOn(kubectl: KubectlCli, node: string): Promise<string> {
  const pods = (await kubectl.pods(ANTREA_NAMESPACE, { labels: AGENT_POD_LABELS, nodeName: node })).filter(
    (p) => !p.terminating,
  );
  const pod = pods[0];
  if (!pod) throw new Error(`node ${node} runs no antrea-agent Pod (is Antrea deployed?)`);
  return pod.name;
}

/** Deletes the node's agent Pod and waits until a new one is Ready, as Antrea's e2e RestartAntreaAgentPods. */
export async function replaceAgentPod(kubectl: KubectlCli, node: string, timeoutMs: number): Promise<void> {
  const old = await agentPodOn(kubectl, node);
  await kubectl.deletePod(ANTREA_NAMESPACE, old);
  await waitUntil(
    {
      what: `a new antrea-agent Pod on node ${node}`,
      async check() {
        const pods = await kubectl.pods(ANTREA_NAMESPACE, { labels: AGENT_POD_LABELS, nodeName: node });
        const fresh = pods.find((p) => p.name !== old && !p.terminating);
        if (!fresh) return `${old} not replaced yet`;
        return fresh.ready || `${fresh.name} not Ready yet`;
      },
    },
    { timeoutMs, intervalMs: 1000 },
  );
}
