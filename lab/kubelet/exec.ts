// `kubectl exec` for the embedded lab: runs a command inside a Pod's sandbox, found through the kubelet's
// state files, with the container's environment (`ovslab exec pod/NS/NAME -- CMD`).
import { type RunResult, run, runAttached } from "../../images/common/exec.ts";
import { resolveExecCommand } from "../../images/workloads/images.ts";
import { listPodStates, type PodState } from "./pod-state.ts";

export interface ExecOptions {
  /** Container whose environment the command gets; default: the first one started. */
  container?: string;
  /** The node's netns, where hostNetwork Pods run; unset = the caller's own. */
  nodeNetns?: string;
  input?: string;
  timeoutMs?: number;
}

/** Where a Pod runs: its sandbox netns (unset for hostNetwork Pods) and the container's environment. */
export async function podExecTarget(
  stateDir: string,
  namespace: string,
  name: string,
  opts: Pick<ExecOptions, "container" | "nodeNetns"> = {},
): Promise<{ netns?: string; env: Record<string, string>; state: PodState }> {
  const { states } = await listPodStates(stateDir);
  const matching = states
    .filter((s) => s.namespace === namespace && s.name === name && !s.finalPhase)
    .sort((a, b) => b.startTime.localeCompare(a.startTime));
  const state = matching[0];
  if (!state)
    throw new Error(`pod ${namespace}/${name} is not running on this node (no state in ${stateDir})`);
  const containers = Object.entries(state.containers);
  const entry = opts.container ? containers.find(([n]) => n === opts.container) : containers[0];
  if (!entry) {
    throw new Error(
      opts.container
        ? `pod ${namespace}/${name} has no started container ${opts.container} (has: ${containers.map(([n]) => n).join(", ") || "none"})`
        : `pod ${namespace}/${name} has no started container yet`,
    );
  }
  const netns = state.sandbox ?? opts.nodeNetns;
  return { ...(netns ? { netns } : {}), env: entry[1].env, state };
}

/** Runs `argv` in the Pod and returns its output and exit code (never throws on a non-zero exit). */
export async function execInPod(
  stateDir: string,
  namespace: string,
  name: string,
  argv: readonly string[],
  opts: ExecOptions = {},
): Promise<RunResult> {
  const target = await podExecTarget(stateDir, namespace, name, opts);
  return run(resolveExecCommand(argv), {
    netns: target.netns,
    env: target.env,
    input: opts.input,
    timeoutMs: opts.timeoutMs,
    allowFailure: true,
  });
}

/** Runs `argv` in the Pod with the caller's terminal attached; resolves with the exit code. */
export async function execInPodAttached(
  stateDir: string,
  namespace: string,
  name: string,
  argv: readonly string[],
  opts: Pick<ExecOptions, "container" | "nodeNetns"> = {},
): Promise<number> {
  const target = await podExecTarget(stateDir, namespace, name, opts);
  return runAttached(resolveExecCommand(argv), { netns: target.netns, env: target.env });
}
