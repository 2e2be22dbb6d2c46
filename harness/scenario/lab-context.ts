// What a scenario's steps work with: the lab (provider + name + status), the Kubernetes API of the lab, the
// scenario's own namespaces, reference resolution, command execution with copy-paste reproducers, and the
// artifacts sink. One LabContext per scenario run.
//
// Isolation: every name in spec.namespaces stands for a namespace of this run only, `<name>-<suffix>`, created on
// first use of the API and deleted (with every cluster-scoped object the scenario applied) by cleanup(), which
// the runner calls after the scenario, passed or failed. Namespaces carry the labels
// ovslab.dev/scenario=<scenario name> and ovslab.dev/namespace=<name as written>, for selectors in manifests.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { KubernetesObject } from "@kubernetes/client-node";
import { formatArgv } from "../../images/common/exec.ts";
import {
  type ExecOptions,
  type ExecResult,
  type ExecTarget,
  type Fault,
  type LabStatus,
  type Provider,
  TOPOLOGY_NODE_LABEL,
} from "../../lab/provider.ts";
import type { ArtifactSink } from "./artifacts.ts";
import { apiErrorMessage, isNotFound, Kube } from "./kube.ts";
import { type FieldRef, isObjectForm, type ObjectRef, parseObjectRef, parseTemplate } from "./refs.ts";

export const NAMESPACE_LABEL = "ovslab.dev/namespace";
export const SCENARIO_LABEL = "ovslab.dev/scenario";

export interface LabHandle {
  provider: Provider;
  name: string;
  status: LabStatus;
}

export interface ScenarioIdentity {
  name: string;
  file: string;
  /** Relative paths in the scenario are resolved against this directory. */
  dir: string;
  /** spec.namespaces, as written; the first is the default. */
  namespaces: readonly string[];
}

export class LabContext {
  /** Values steps keep between each other within the scenario (e.g. flow packet counters). */
  readonly memory = new Map<string, unknown>();
  private readonly realNamespaces: ReadonlyMap<string, string>;
  private readonly clusterObjects: KubernetesObject[] = [];
  private readonly faultUndos = new Map<string, Fault>();
  private kubeReady?: Promise<Kube>;

  constructor(
    readonly lab: LabHandle,
    readonly scenario: ScenarioIdentity,
    readonly artifacts: ArtifactSink,
  ) {
    const suffix = BigInt(`0x${randomBytes(4).toString("hex")}`)
      .toString(36)
      .padStart(5, "0")
      .slice(-5);
    this.realNamespaces = new Map(scenario.namespaces.map((n) => [n, `${n}-${suffix}`]));
  }

  /** The real namespace for a name as written in the scenario; other names (kube-system) are used as they are. */
  namespace(written?: string): string {
    const name = written ?? this.scenario.namespaces[0];
    if (name === undefined) throw new Error("the scenario has no namespaces");
    return this.realNamespaces.get(name) ?? name;
  }

  /** True once a step has used the Kubernetes API (and so created the scenario's namespaces). */
  get usesKubernetes(): boolean {
    return this.kubeReady !== undefined;
  }

  /** The lab's Kubernetes API; the first call creates the scenario's namespaces. */
  kube(): Promise<Kube> {
    this.kubeReady ??= this.connect();
    return this.kubeReady;
  }

  private async connect(): Promise<Kube> {
    const kubeconfig = this.lab.status.kubeconfig;
    if (!kubeconfig) {
      throw new Error(`lab ${this.lab.name} runs no Kubernetes API (its status names no kubeconfig)`);
    }
    const kube = new Kube(kubeconfig);
    const created: string[] = [];
    try {
      for (const [written, real] of this.realNamespaces) {
        await kube.core
          .createNamespace({
            body: {
              metadata: {
                name: real,
                labels: { [SCENARIO_LABEL]: this.scenario.name, [NAMESPACE_LABEL]: written },
              },
            },
          })
          .catch((err: unknown) => {
            throw new Error(`cannot create namespace ${real}: ${apiErrorMessage(err)}`);
          });
        created.push(real);
      }
    } catch (err) {
      for (const name of created) await kube.core.deleteNamespace({ name }).catch(() => {});
      throw err;
    }
    return kube;
  }

  /** Cluster-scoped objects are not removed with the namespaces; cleanup() deletes them. */
  rememberClusterObject(obj: KubernetesObject): void {
    this.clusterObjects.push(obj);
  }

  /**
   * What undoes a fault a step caused (SIGCONT for a stopped process, link up for a link taken down), keyed by
   * what it acts on: cleanup() applies those no later step undid, so that a scenario failing half-way does not
   * leave the lab broken for the next one. `undo` undefined: the fault was undone.
   */
  rememberFaultUndo(key: string, undo: Fault | undefined): void {
    if (undo) this.faultUndos.set(key, undo);
    else this.faultUndos.delete(key);
  }

  /**
   * Deletes what the scenario created in the cluster: cluster-scoped objects it applied, then its namespaces, and
   * waits until the namespaces are gone. Nothing to do when the scenario never used the API.
   */
  async cleanup(timeoutMs: number): Promise<void> {
    const problems: string[] = [];
    for (const [key, undo] of this.faultUndos) {
      await this.lab.provider.fault(this.lab.name, undo).catch((err: unknown) => {
        problems.push(`undoing fault ${key}: ${err instanceof Error ? err.message : String(err)}`);
      });
    }
    this.faultUndos.clear();
    // No API use, or none that got as far as creating the namespaces: nothing to delete.
    const kube = await this.kubeReady?.catch(() => undefined);
    if (!kube) {
      if (problems.length)
        throw new Error(`cleanup of scenario ${this.scenario.name}: ${problems.join("; ")}`);
      return;
    }
    for (const obj of this.clusterObjects.splice(0).reverse()) {
      await kube
        .objects(this.namespace())
        .delete(obj)
        .catch((err: unknown) => {
          if (!isNotFound(err)) problems.push(`${obj.kind} ${obj.metadata?.name}: ${apiErrorMessage(err)}`);
        });
    }
    const names = [...this.realNamespaces.values()];
    for (const name of names) {
      // Pods first without a grace period, so that the namespace goes away in seconds, not after 30 s per Pod.
      await kube.core
        .deleteCollectionNamespacedPod({ namespace: name, gracePeriodSeconds: 0 })
        .catch(() => {});
      await kube.core.deleteNamespace({ name }).catch((err: unknown) => {
        if (!isNotFound(err)) problems.push(`namespace ${name}: ${apiErrorMessage(err)}`);
      });
    }
    const deadline = Date.now() + timeoutMs;
    let left = names;
    while (left.length && Date.now() < deadline) {
      const present = await Promise.all(
        left.map((name) =>
          kube.core.readNamespace({ name }).then(
            () => true,
            (err: unknown) => !isNotFound(err),
          ),
        ),
      );
      left = left.filter((_, i) => present[i]);
      if (left.length) await sleep(250);
    }
    if (left.length)
      problems.push(`namespaces still present after ${timeoutMs / 1000} s: ${left.join(", ")}`);
    if (problems.length) throw new Error(`cleanup of scenario ${this.scenario.name}: ${problems.join("; ")}`);
  }

  /** pod/NS/NAME, pod/NAME, node/NAME or ext/NAME as the provider's ExecTarget. */
  execTarget(text: string): ExecTarget {
    const ref = parseObjectRef(text);
    if (typeof ref === "string") throw new Error(ref);
    switch (ref.kind) {
      case "pod":
        return { kind: "pod", namespace: this.namespace(ref.namespace), name: ref.name };
      case "node":
        return { kind: "node", name: ref.name };
      case "ext":
        return { kind: "external", name: ref.name };
      default:
        throw new Error(`commands cannot run in a ${ref.kind}`);
    }
  }

  exec(target: ExecTarget, argv: readonly string[], opts: ExecOptions = {}): Promise<ExecResult> {
    return this.lab.provider.exec(this.lab.name, target, argv, opts);
  }

  /** The `ovslab exec` command line that runs `argv` on `target` by hand. */
  reproduce(target: ExecTarget, argv: readonly string[]): string {
    return `ovslab exec --name ${this.lab.name} ${targetText(target)} -- ${formatArgv(argv)}`;
  }

  /** Replaces every ${...} reference in `text` with its current value. */
  async resolve(text: string): Promise<string> {
    const parts = parseTemplate(text);
    if (typeof parts === "string") throw new Error(parts);
    const values = await Promise.all(parts.map((p) => (typeof p === "string" ? p : this.field(p))));
    return values.join("");
  }

  async resolveAll(texts: readonly string[]): Promise<string[]> {
    return Promise.all(texts.map((t) => this.resolve(t)));
  }

  /** Resolves references inside a regular expression; the values are inserted escaped (an IP's dots stay literal). */
  async resolvePattern(pattern: string): Promise<string> {
    const parts = parseTemplate(pattern);
    if (typeof parts === "string") throw new Error(parts);
    const values = await Promise.all(
      parts.map(async (p) =>
        typeof p === "string" ? p : (await this.field(p)).replace(/[.*+?^${}()|[\]\\]/g, "\\$&"),
      ),
    );
    return values.join("");
  }

  async resolvePatterns(patterns: readonly string[]): Promise<string[]> {
    return Promise.all(patterns.map((p) => this.resolvePattern(p)));
  }

  /** The address traffic to `text` goes to: a pod's IP, a service's ClusterIP, a host's IP, or the text itself. */
  async address(text: string): Promise<string> {
    if (!isObjectForm(text)) return this.resolve(text);
    const ref = parseObjectRef(text);
    if (typeof ref === "string") throw new Error(ref);
    const field = { pod: "ip", service: "clusterIP", node: "ip", ext: "ip", namespace: "name" }[ref.kind];
    return this.field({ object: ref, field, text: `${text}.${field}` });
  }

  /**
   * The topology node `text` refers to (a topology node name, a Kubernetes Node name, or ${pod/NS/NAME.node}).
   * Kubernetes Node names differ from topology names on kind (kind-worker plays worker): the Node's
   * ovslab.dev/topology-node label says which it plays.
   */
  async nodeName(text: string): Promise<string> {
    const name = await this.resolve(text);
    if (this.lab.status.hosts.some((h) => h.role !== "external" && h.name === name)) return name;
    const kube = await this.kube().catch(() => undefined);
    const node = await kube?.core.readNode({ name }).catch(() => undefined);
    const played = node?.metadata?.labels?.[TOPOLOGY_NODE_LABEL];
    this.host("node", played ?? name);
    return played ?? name;
  }

  private host(kind: "node" | "ext", name: string): { name: string; address: string } {
    const hosts = this.lab.status.hosts.filter((h) => (kind === "ext") === (h.role === "external"));
    const host = hosts.find((h) => h.name === name);
    if (!host) {
      const known = hosts.map((h) => h.name).join(", ") || "none";
      throw new Error(
        `lab ${this.lab.name} has no ${kind === "node" ? "node" : "external host"} "${name}" (${known})`,
      );
    }
    return host;
  }

  private async field(ref: FieldRef): Promise<string> {
    const obj: ObjectRef = ref.object;
    switch (obj.kind) {
      case "node":
      case "ext":
        return this.host(obj.kind, obj.name).address;
      case "namespace":
        return this.namespace(obj.name);
      case "pod": {
        const namespace = this.namespace(obj.namespace);
        const kube = await this.kube();
        const pod = await kube.core.readNamespacedPod({ name: obj.name, namespace }).catch((err: unknown) => {
          throw new Error(
            `\${${ref.text}}: cannot read pod ${namespace}/${obj.name}: ${apiErrorMessage(err)}`,
          );
        });
        const value = { ip: pod.status?.podIP, node: pod.spec?.nodeName, nodeIP: pod.status?.hostIP }[
          ref.field
        ];
        if (!value) {
          throw new Error(
            `\${${ref.text}}: pod ${namespace}/${obj.name} has no ${ref.field} yet (phase ${pod.status?.phase ?? "unknown"})`,
          );
        }
        return value;
      }
      case "service": {
        const namespace = this.namespace(obj.namespace);
        const kube = await this.kube();
        const svc = await kube.core
          .readNamespacedService({ name: obj.name, namespace })
          .catch((err: unknown) => {
            throw new Error(
              `\${${ref.text}}: cannot read service ${namespace}/${obj.name}: ${apiErrorMessage(err)}`,
            );
          });
        const ip = svc.spec?.clusterIP;
        if (!ip || ip === "None")
          throw new Error(`\${${ref.text}}: service ${namespace}/${obj.name} has no ClusterIP`);
        return ip;
      }
    }
  }
}

export function targetText(target: ExecTarget): string {
  switch (target.kind) {
    case "pod":
      return `pod/${target.namespace}/${target.name}`;
    case "node":
      return `node/${target.name}`;
    case "external":
      return `ext/${target.name}`;
  }
}
