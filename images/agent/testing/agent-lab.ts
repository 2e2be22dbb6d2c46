// What the agent lab tests share: a lab of their own (`ovslab up`, the reference stack: controller on the
// control-plane node, an agent per node running this working tree), Kubernetes objects applied through the API,
// agnhost probes inside Pods, flow dumps of a node's br-int and the wait for a policy's realization status.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type KubernetesObject,
  KubernetesObjectApi,
} from "@kubernetes/client-node";
import { assertNoLeftovers } from "../../../lab/netns/leaks.ts";
import { NetnsProvider } from "../../../lab/netns/provider.ts";
import { runCli, uniqueLabName } from "../../../lab/testing/lab-fixture.ts";
import {
  CONTROLPLANE_GROUP,
  CONTROLPLANE_RESOURCES,
  CONTROLPLANE_VERSION,
  type ControlplaneNetworkPolicy,
  controlplaneNetworkPolicySchema,
} from "../../api/controlplane.ts";
import { CRD_GROUP, CRD_VERSION } from "../../api/crd-policy.ts";
import { run } from "../../common/exec.ts";
import { OvsTools } from "../../common/ovs.ts";

/** A manifest: any Kubernetes object. */
export type Manifest = KubernetesObject & Record<string, unknown>;

export type Outcome = "connected" | "dropped" | "rejected" | `other: ${string}`;

export interface PodRef {
  namespace: string;
  name: string;
}

export interface RunningPod extends PodRef {
  ip: string;
  node: string;
}

const FIELD_MANAGER = "ovslab-np-test";
const POLL_MS = 250;

export class AgentLab {
  readonly objects: KubernetesObjectApi;
  readonly core: CoreV1Api;
  readonly custom: CustomObjectsApi;

  private constructor(
    readonly name: string,
    private readonly stateDir: string,
    private readonly kubeconfig: string,
    /** kubectl's discovery cache of this lab: the shared one is keyed by server address, which labs reuse. */
    private readonly kubectlCache: string,
    readonly kc: KubeConfig,
    private readonly provider: NetnsProvider,
  ) {
    this.objects = KubernetesObjectApi.makeApiClient(kc);
    this.core = kc.makeApiClient(CoreV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** `ovslab up` of a fresh lab; on failure whatever was built is taken down. */
  static async up(): Promise<AgentLab> {
    const name = uniqueLabName();
    const provider = new NetnsProvider();
    const up = await runCli(["up", "--name", name]);
    if (up.code !== 0) {
      await provider.down(name);
      throw new Error(`ovslab up failed (${up.code}): ${up.stderr}`);
    }
    const status = await provider.status(name);
    if (!status?.kubeconfig || !status.stateDir) throw new Error(`lab ${name} has no kubeconfig`);
    const kc = new KubeConfig();
    kc.loadFromFile(status.kubeconfig);
    const cache = mkdtempSync(join(tmpdir(), "ovslab-np-kubectl-"));
    const lab = new AgentLab(name, status.stateDir, status.kubeconfig, cache, kc, provider);
    await lab.agentsReady().catch(async (err: unknown) => {
      await lab.down();
      throw err;
    });
    return lab;
  }

  /**
   * Waits until every Node's agent is ready: an agent reports its AntreaAgentInfo only after its CNI is installed.
   * (`up` may return earlier; a Pod created before then would not be wired by the agent.)
   */
  private async agentsReady(timeoutMs = 60_000): Promise<void> {
    await eventually(async () => {
      const nodes = (await this.core.listNode()).items.map((n) => n.metadata?.name);
      const infos = (await this.custom.listClusterCustomObject({
        group: CRD_GROUP,
        version: CRD_VERSION,
        plural: "antreaagentinfos",
      })) as { items: { metadata?: { name?: string } }[] };
      const reported = new Set(infos.items.map((i) => i.metadata?.name));
      const missing = nodes.filter((n) => !reported.has(n));
      if (missing.length) throw new Error(`agents not ready on ${missing.join(", ")}`);
    }, timeoutMs);
  }

  /** `ovslab down`, then the leak check. */
  async down(): Promise<void> {
    rmSync(this.kubectlCache, { recursive: true, force: true });
    await this.provider.down(this.name);
    await assertNoLeftovers(this.name);
  }

  /**
   * kubectl with this lab's kubeconfig. (client-node's generic object API serializes through its model classes,
   * which drop fields such as a NetworkPolicy rule's `from`: manifests go through kubectl.)
   */
  async kubectl(args: readonly string[], input?: string): Promise<string> {
    const res = await run(
      ["kubectl", "--kubeconfig", this.kubeconfig, "--cache-dir", this.kubectlCache, ...args],
      {
        ...(input === undefined ? {} : { input }),
        timeoutMs: 60_000,
      },
    );
    return res.stdout;
  }

  /** Server-side apply (creates or updates). */
  async apply(...objects: Manifest[]): Promise<void> {
    await this.kubectl(
      ["apply", "--server-side", `--field-manager=${FIELD_MANAGER}`, "-f", "-"],
      documents(objects),
    );
  }

  async remove(...objects: Manifest[]): Promise<void> {
    await this.kubectl(["delete", "--ignore-not-found", "-f", "-"], documents(objects));
  }

  /** Sets labels of a Pod. */
  async label(pod: PodRef, labels: Record<string, string>): Promise<void> {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
    await this.kubectl(["label", "pod", "-n", pod.namespace, pod.name, "--overwrite", ...pairs]);
  }

  /** Waits until the Pods run and have an IP. */
  async running<const T extends readonly PodRef[]>(
    pods: T,
    timeoutMs = 60_000,
  ): Promise<{ [K in keyof T]: RunningPod }> {
    const all = await eventually(async () => {
      const out: RunningPod[] = [];
      for (const p of pods) {
        const pod = await this.core.readNamespacedPod(p);
        const ip = pod.status?.podIP;
        const node = pod.spec?.nodeName;
        if (pod.status?.phase !== "Running" || !ip || !node)
          throw new Error(`${p.namespace}/${p.name} not running`);
        out.push({ ...p, ip, node });
      }
      return out;
    }, timeoutMs);
    return all as { [K in keyof T]: RunningPod };
  }

  /** One `agnhost connect` from a Pod, classified as Antrea's e2e does (TIMEOUT dropped, REFUSED rejected). */
  async probe(from: PodRef, ip: string, port: number): Promise<Outcome> {
    const res = await this.provider.exec(
      this.name,
      { kind: "pod", ...from },
      ["/agnhost", "connect", `${ip}:${port}`, "--timeout=1s", "--protocol=tcp"],
      { timeoutMs: 60_000 },
    );
    if (res.code === 0) return "connected";
    const err = res.stderr.trim();
    if (err === "TIMEOUT") return "dropped";
    if (err === "REFUSED") return "rejected";
    return `other: ${err || `exit ${res.code}`}`;
  }

  /** Probes until the outcome is `expected` or the time is up; returns the last outcome. */
  async probeUntil(from: PodRef, ip: string, port: number, expected: Outcome, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const outcome = await this.probe(from, ip, port);
      if (outcome === expected || Date.now() > deadline) return outcome;
    }
  }

  /** Restarts a node's agent through the provider (as the `fault` step does). */
  async restartAgent(node: string): Promise<void> {
    await this.provider.fault(this.name, { type: "restart", node, process: "agent" });
  }

  /** `ovs-ofctl dump-flows br-int --names [table=T] [MATCH]` on a node, one flow per line. */
  async flows(node: string, table?: string, match?: string): Promise<string[]> {
    const ovs = new OvsTools(join(this.stateDir, "hosts", node));
    const filter = [table ? `table=${table}` : "", match ?? ""].filter(Boolean).join(",");
    const res = await ovs.ofctl("dump-flows", "br-int", ["--names", ...(filter ? [filter] : [])]);
    return res.stdout
      .split("\n")
      .filter((l) => l.includes("priority="))
      .map((l) => l.trim());
  }

  /**
   * Waits until the controlplane NetworkPolicy of `source` is Realized for the source's current generation, with
   * a report of the current generation from every Node of its span; returns it.
   */
  async realized(source: KubernetesObject, timeoutMs = 30_000): Promise<ControlplaneNetworkPolicy> {
    return eventually(async () => {
      const src = await this.objects.read({
        apiVersion: source.apiVersion ?? "",
        kind: source.kind ?? "",
        metadata: { name: source.metadata?.name ?? "", namespace: source.metadata?.namespace ?? "" },
      });
      const list = (await this.custom.listClusterCustomObject({
        group: CONTROLPLANE_GROUP,
        version: CONTROLPLANE_VERSION,
        plural: CONTROLPLANE_RESOURCES.networkPolicy,
        fieldSelector: `sourceRef.uid=${src.metadata?.uid ?? ""}`,
      })) as { items: unknown[] };
      const [cp] = list.items.map((i) => controlplaneNetworkPolicySchema.parse(i));
      if (!cp) throw new Error(`no controlplane NetworkPolicy for ${source.metadata?.name}`);
      const s = cp.status;
      const reports = new Map((s?.nodes ?? []).map((n) => [n.nodeName, n.generation]));
      const behind = cp.span.filter((n) => reports.get(n) !== cp.metadata.generation);
      if (s?.phase !== "Realized" || s.observedGeneration !== src.metadata?.generation || behind.length) {
        throw new Error(
          `${source.metadata?.name}: ${JSON.stringify(s)}; not reported by ${behind.join(", ")}`,
        );
      }
      return cp;
    }, timeoutMs);
  }
}

/** The objects as a JSON stream, one per line (kubectl reads input starting with `{` as JSON, not YAML). */
function documents(objects: readonly Manifest[]): string {
  return objects.map((o) => JSON.stringify(o)).join("\n");
}

/** Retries `probe` (which throws while its expectations fail) until it passes or the time is up. */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/** An agnhost Pod pinned to a node (the lab's scheduler would spread them anyway; pinning makes cases exact). */
export function agnhostPod(
  pod: PodRef & { node: string; labels: Record<string, string> },
  args: string[],
  ports: { name?: string; containerPort: number }[] = [],
): Manifest {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name: pod.name, namespace: pod.namespace, labels: pod.labels },
    spec: {
      nodeName: pod.node,
      containers: [{ name: "agnhost", image: "registry.k8s.io/e2e-test-images/agnhost:2.40", args, ports }],
    },
  };
}
