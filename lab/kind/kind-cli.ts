// The kind commands the provider needs. Cluster names are lab names; kubeconfigs go to the lab's state directory
// (`--kubeconfig`), so that creating a lab never edits the user's ~/.kube/config.
import { Tool } from "./cli.ts";

/** The kind release the project is tested with (also pinned in .github/workflows/kind.yml). */
export const KIND_VERSION = "v0.27.0";

export const KIND_INSTALL_HINT =
  `install kind ${KIND_VERSION}: curl -fsSLo kind https://kind.sigs.k8s.io/dl/${KIND_VERSION}/kind-linux-amd64 && ` +
  "sudo install -m 0755 kind /usr/local/bin/kind (or: go install sigs.k8s.io/kind@" +
  `${KIND_VERSION})`;

/** kind's own deadline is per step; this bounds the whole `create cluster` (Antrea's CI allows 20 minutes). */
const CREATE_TIMEOUT_MS = 20 * 60_000;

export class KindCli {
  readonly tool: Tool;

  constructor(env: NodeJS.ProcessEnv) {
    this.tool = new Tool("kind", KIND_INSTALL_HINT, env);
  }

  /**
   * No `--wait`: it waits for the control-plane node to be Ready, which never happens before a CNI is installed
   * (disableDefaultCNI), so it would only add its full duration. Readiness is awaited after Antrea is deployed.
   */
  async createCluster(
    name: string,
    opts: { config: string; kubeconfig: string; signal?: AbortSignal },
  ): Promise<void> {
    await this.tool.run(
      ["create", "cluster", "--name", name, "--config", opts.config, "--kubeconfig", opts.kubeconfig],
      { timeoutMs: CREATE_TIMEOUT_MS, ...(opts.signal ? { signal: opts.signal } : {}) },
    );
  }

  /**
   * Idempotent (kind succeeds when the cluster does not exist). `kubeconfig` is the file the cluster's context was
   * written to; without it kind cleans the default kubeconfig ($KUBECONFIG or ~/.kube/config).
   */
  async deleteCluster(name: string, kubeconfig?: string): Promise<void> {
    await this.tool.run([
      "delete",
      "cluster",
      "--name",
      name,
      ...(kubeconfig ? ["--kubeconfig", kubeconfig] : []),
    ]);
  }

  async getClusters(): Promise<string[]> {
    // kind prints "No kind clusters found." on stderr when there are none.
    const out = await this.tool.output(["get", "clusters"]);
    return out.split("\n").filter((l) => l.trim() !== "");
  }

  /** Copies local docker images into every node of the cluster (they are never pulled from a registry). */
  async loadDockerImages(name: string, images: readonly string[], signal?: AbortSignal): Promise<void> {
    await this.tool.run(["load", "docker-image", ...images, "--name", name], signal ? { signal } : {});
  }
}
