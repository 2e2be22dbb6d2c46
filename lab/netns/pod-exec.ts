// `exec pod/NS/NAME`: asks the API which node runs the Pod, then runs the command in that Pod's sandbox through
// the node kubelet's state (the embedded lab's `kubectl exec`).
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { execInPod, execInPodAttached } from "../kubelet/exec.ts";
import type { ExecOptions, ExecResult, ExecTarget } from "../provider.ts";
import { clusterPaths, nodePaths } from "./cluster.ts";
import type { LabLayout } from "./layout.ts";

export async function execInLabPod(
  layout: LabLayout,
  target: Extract<ExecTarget, { kind: "pod" }>,
  argv: readonly string[],
  opts: ExecOptions,
): Promise<ExecResult> {
  if (!argv.length) throw new Error("no command given");
  const kc = new KubeConfig();
  kc.loadFromFile(clusterPaths(layout).kubeconfig);
  const pod = await kc
    .makeApiClient(CoreV1Api)
    .readNamespacedPod({ name: target.name, namespace: target.namespace })
    .catch((err: unknown) => {
      const code = (err as { code?: number }).code;
      throw new Error(
        code === 404
          ? `pod ${target.namespace}/${target.name} not found in lab ${layout.lab}`
          : `cannot read pod ${target.namespace}/${target.name}: ${(err as Error).message}`,
      );
    });
  const nodeName = pod.spec?.nodeName;
  const host = layout.nodes.find((n) => n.name === nodeName);
  if (!host) throw new Error(`pod ${target.namespace}/${target.name} is not scheduled to a node yet`);
  const stateDir = nodePaths(host).kubeletStateDir;
  const podOpts = { nodeNetns: host.netns, ...(target.container ? { container: target.container } : {}) };
  if (opts.stdio === "inherit") {
    const code = await execInPodAttached(stateDir, target.namespace, target.name, argv, podOpts);
    return { code, stdout: "", stderr: "", timedOut: false };
  }
  return execInPod(stateDir, target.namespace, target.name, argv, {
    ...podOpts,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}
