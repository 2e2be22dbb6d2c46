// Kubernetes access for scenario steps: one kubeconfig, typed clients, a generic object client per default
// namespace, readable API errors, and the kubectl command lines that failure messages offer for reproducing.
import { ApiException, CoreV1Api, KubeConfig, KubernetesObjectApi } from "@kubernetes/client-node";
import { formatArgv, run } from "../../images/common/exec.ts";

export class Kube {
  readonly kc: KubeConfig;
  readonly core: CoreV1Api;
  private readonly objectApis = new Map<string, KubernetesObjectApi>();

  constructor(readonly kubeconfig: string) {
    this.kc = new KubeConfig();
    this.kc.loadFromFile(kubeconfig);
    this.core = this.kc.makeApiClient(CoreV1Api);
  }

  /** A generic client whose default namespace (for objects that name none) is `namespace`. */
  objects(namespace: string): KubernetesObjectApi {
    let api = this.objectApis.get(namespace);
    if (!api) {
      const kc = new KubeConfig();
      kc.loadFromFile(this.kubeconfig);
      const current = kc.getContextObject(kc.getCurrentContext());
      if (!current) throw new Error(`${this.kubeconfig} has no current context`);
      const name = `${current.name}-${namespace}`;
      kc.addContext({ ...current, name, namespace });
      kc.setCurrentContext(name);
      api = KubernetesObjectApi.makeApiClient(kc);
      this.objectApis.set(namespace, api);
    }
    return api;
  }

  /**
   * Server-side apply of a plain JSON object through kubectl. Not through client-node: its typed serializer
   * renames fields it knows (a NetworkPolicy rule's `from` becomes `_from`) and so silently drops them.
   */
  async apply(
    obj: object,
    namespace: string,
    fieldManager: string,
  ): Promise<{ metadata?: { namespace?: string; name?: string } }> {
    const argv = ["kubectl", "--kubeconfig", this.kubeconfig, "apply", "--server-side", "--force-conflicts"];
    argv.push(`--field-manager=${fieldManager}`, "-n", namespace, "-o", "json", "-f", "-");
    const res = await run(argv, { input: JSON.stringify(obj), allowFailure: true, timeoutMs: 60_000 });
    if (res.code !== 0) throw new Error(res.stderr.trim() || `kubectl apply exited with ${res.code}`);
    return JSON.parse(res.stdout) as { metadata?: { namespace?: string; name?: string } };
  }

  /** `kubectl --kubeconfig K ARGS...`, quoted for a shell. */
  kubectl(args: readonly string[]): string {
    return formatArgv(["kubectl", "--kubeconfig", this.kubeconfig, ...args]);
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiException && err.code === 404;
}

/** The API server's own message (from its Status body) rather than client-node's generic text. */
export { describeApiError as apiErrorMessage } from "../../images/common/api-error.ts";
