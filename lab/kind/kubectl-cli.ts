// The kubectl commands the provider needs, always against the lab's own kubeconfig (never the user's context).
import { z } from "zod";
import type { RunResult } from "../../images/common/exec.ts";
import { Tool, type ToolRunOptions } from "./cli.ts";
import { parseJsonOutput } from "./json-output.ts";

export const KUBECTL_INSTALL_HINT =
  "install kubectl (https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/, or: apt-get install kubectl " +
  "from the Kubernetes apt repository)";

const Condition = z.object({ type: z.string(), status: z.string() });

const NodeList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string() }),
      spec: z.object({ podCIDR: z.string().optional() }).optional(),
      status: z
        .object({
          addresses: z.array(z.object({ type: z.string(), address: z.string() })).optional(),
          conditions: z.array(Condition).optional(),
        })
        .optional(),
    }),
  ),
});

const PodList = z.object({
  items: z.array(
    z.object({
      metadata: z.object({ name: z.string(), deletionTimestamp: z.string().optional() }),
      status: z.object({ conditions: z.array(Condition).optional() }).optional(),
    }),
  ),
});

export interface NodeInfo {
  name: string;
  internalIP?: string;
  podCIDR?: string;
  ready: boolean;
}

export interface PodInfo {
  name: string;
  ready: boolean;
  terminating: boolean;
}

export interface PodExecOptions {
  container?: string;
  input?: string;
  timeoutMs?: number;
}

export class KubectlCli {
  readonly tool: Tool;

  constructor(
    readonly kubeconfig: string,
    env: NodeJS.ProcessEnv,
  ) {
    this.tool = new Tool("kubectl", KUBECTL_INSTALL_HINT, env);
  }

  private run(args: readonly string[], opts: ToolRunOptions = {}): Promise<RunResult> {
    return this.tool.run(["--kubeconfig", this.kubeconfig, ...args], opts);
  }

  async apply(file: string, signal?: AbortSignal): Promise<void> {
    await this.run(["apply", "-f", file], { timeoutMs: 5 * 60_000, ...(signal ? { signal } : {}) });
  }

  /** `kubectl rollout status`, e.g. resource "deploy/antrea-controller" or "ds/antrea-agent". */
  async rolloutStatus(
    namespace: string,
    resource: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<void> {
    await this.run(["-n", namespace, "rollout", "status", resource, `--timeout=${seconds(timeoutMs)}`], {
      timeoutMs: timeoutMs + 30_000,
      ...(signal ? { signal } : {}),
    });
  }

  async waitNodesReady(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    await this.run(["wait", "--for=condition=Ready", "nodes", "--all", `--timeout=${seconds(timeoutMs)}`], {
      timeoutMs: timeoutMs + 30_000,
      ...(signal ? { signal } : {}),
    });
  }

  async nodes(): Promise<NodeInfo[]> {
    const out = await this.run(["get", "nodes", "-o", "json"], { timeoutMs: 30_000 });
    return parseJsonOutput(NodeList, out.stdout, "kubectl get nodes").items.map((n) => ({
      name: n.metadata.name,
      ready: isTrue(n.status?.conditions, "Ready"),
      ...optional("internalIP", n.status?.addresses?.find((a) => a.type === "InternalIP")?.address),
      ...optional("podCIDR", n.spec?.podCIDR),
    }));
  }

  async pods(namespace: string, selector: { labels: string; nodeName?: string }): Promise<PodInfo[]> {
    const out = await this.run(
      [
        "-n",
        namespace,
        "get",
        "pods",
        "-l",
        selector.labels,
        ...(selector.nodeName ? ["--field-selector", `spec.nodeName=${selector.nodeName}`] : []),
        "-o",
        "json",
      ],
      { timeoutMs: 30_000 },
    );
    return parseJsonOutput(PodList, out.stdout, "kubectl get pods").items.map((p) => ({
      name: p.metadata.name,
      ready: isTrue(p.status?.conditions, "Ready"),
      terminating: p.metadata.deletionTimestamp !== undefined,
    }));
  }

  async deletePod(namespace: string, name: string): Promise<void> {
    await this.run(["-n", namespace, "delete", "pod", name, "--wait=true"], { timeoutMs: 2 * 60_000 });
  }

  /** True when the API server answers /readyz with "ok". */
  async apiReady(): Promise<boolean> {
    const res = await this.run(["get", "--raw", "/readyz"], { allowFailure: true, timeoutMs: 10_000 });
    return res.code === 0 && res.stdout.trim() === "ok";
  }

  /** Runs a command in a Pod's container and returns its result whatever the exit code. */
  exec(
    namespace: string,
    pod: string,
    argv: readonly string[],
    opts: PodExecOptions = {},
  ): Promise<RunResult> {
    return this.run(execArgs(namespace, pod, argv, opts.container, opts.input !== undefined), {
      allowFailure: true,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  /** `kubectl exec -i[t]` with the caller's terminal; resolves with the exit code. */
  execAttached(namespace: string, pod: string, argv: readonly string[], container?: string): Promise<number> {
    const tty = process.stdin.isTTY ? ["--tty"] : [];
    const [first, ...rest] = execArgs(namespace, pod, argv, container, true);
    return this.tool.attached(["--kubeconfig", this.kubeconfig, first!, ...tty, ...rest]);
  }
}

function execArgs(
  namespace: string,
  pod: string,
  argv: readonly string[],
  container: string | undefined,
  stdin: boolean,
): string[] {
  if (!argv.length) throw new Error("no command given");
  return [
    "exec",
    ...(stdin ? ["--stdin"] : []),
    "-n",
    namespace,
    pod,
    ...(container ? ["-c", container] : []),
    "--",
    ...argv,
  ];
}

function seconds(ms: number): string {
  return `${Math.ceil(ms / 1000)}s`;
}

function isTrue(conditions: readonly { type: string; status: string }[] | undefined, type: string): boolean {
  return conditions?.some((c) => c.type === type && c.status === "True") ?? false;
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value ? ({ [key]: value } as Record<K, string>) : {};
}
