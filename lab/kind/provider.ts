// The kind provider: real Kubernetes in Docker with real Antrea and the kernel OVS datapath, driven through the
// kind, docker and kubectl command lines (as Antrea's ci/kind scripts and e2e framework drive them).
//
// Names: the lab name is the kind cluster name; topology nodes map in order to kind's `<lab>-control-plane`,
// `<lab>-worker`, `<lab>-worker2`... (see `nodeMapping`), which are also the Kubernetes node names. Exec and fault
// accept either name. On a node, OVS tools (ovs-*, ovsdb-*) run in the node's antrea-agent Pod's antrea-ovs
// container and antctl in its antrea-agent container, so a flow dump reads the same on both providers.
import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { basename } from "node:path";
import { waitUntil } from "../common/wait.ts";
import { claimStateDir, listStateDirs, removeStateDir } from "../netns/ledger.ts";
import type {
  DownReport,
  ExecOptions,
  ExecResult,
  ExecTarget,
  Fault,
  HostStatus,
  LabStatus,
  NodeProcessName,
  Provider,
  UpOptions,
} from "../provider.ts";
import { type ResolvedTopology, resolveTopology } from "../topology/resolve.ts";
import { LabName, type TopologyFile } from "../topology/schema.ts";
import { agentPodOn, replaceAgentPod } from "./agent-pods.ts";
import {
  AGENT_CONTAINER,
  ANTREA_NAMESPACE,
  ANTREA_RELEASE_MANIFEST,
  deployAntrea,
  loadManifest,
  OVS_CONTAINER,
  patchAntreaManifest,
} from "./antrea.ts";
import { kindNodeMapping, type NodeMapping, renderKindConfig } from "./config.ts";
import { type ContainerState, DockerCli } from "./docker-cli.ts";
import { externalContainerName, KIND_NETWORK, LAB_LABEL, startExternalHost } from "./external-host.ts";
import { KindCli } from "./kind-cli.ts";
import { KubectlCli, type NodeInfo } from "./kubectl-cli.ts";
import { preflightKind } from "./preflight.ts";
import { type KindLabData, kindLabPaths, readLabData, writeLabData } from "./state.ts";

/** Where antrea-ovs keeps its sockets on the node (hostPath /var/run/antrea, subPath openvswitch). */
export const NODE_OVS_RUNDIR = "/var/run/antrea/openvswitch";
/** kind's docker network is usually this; used only until the real subnet is known. */
const PROVISIONAL_UNDERLAY = "172.18.0.0/16";
const KIND_CLUSTER_LABEL = "io.x-k8s.kind.cluster";

/** The programs that fault signals and restarts address on a kind node (names as `pkill -x` sees them). */
const NODE_PROCESS: Record<NodeProcessName, string> = {
  agent: "antrea-agent",
  kubelet: "kubelet",
  "control-plane": "kube-apiserver",
  controller: "antrea-controller",
  "ovs-vswitchd": "ovs-vswitchd",
  "ovsdb-server": "ovsdb-server",
};

export interface KindProviderOptions {
  /** Environment of every kind, docker and kubectl call (the tests put fakes first on its PATH). */
  env?: NodeJS.ProcessEnv;
  /** Antrea manifest: an http(s) URL or a file. Default $OVSLAB_ANTREA_MANIFEST, else the pinned release. */
  antreaManifest?: string;
  /** Local docker images to `kind load` before Antrea is deployed. Default: $OVSLAB_KIND_IMAGES (space-separated). */
  images?: readonly string[];
  /** kindest/node image, e.g. one built from images/node/Dockerfile. Default $OVSLAB_KIND_NODE_IMAGE, else kind's. */
  nodeImage?: string;
  /** Deadline of each rollout and of node readiness. Default 5 minutes. */
  readyTimeoutMs?: number;
}

export class KindProvider implements Provider {
  readonly name = "kind" as const;
  private readonly env: NodeJS.ProcessEnv;
  private readonly kind: KindCli;
  private readonly docker: DockerCli;
  private readonly antreaManifest: string;
  private readonly images: readonly string[];
  private readonly nodeImage: string | undefined;
  private readonly readyTimeoutMs: number;

  constructor(opts: KindProviderOptions = {}) {
    this.env = opts.env ?? process.env;
    this.kind = new KindCli(this.env);
    this.docker = new DockerCli(this.env);
    this.antreaManifest = opts.antreaManifest ?? (this.env.OVSLAB_ANTREA_MANIFEST || ANTREA_RELEASE_MANIFEST);
    this.images = opts.images ?? (this.env.OVSLAB_KIND_IMAGES ?? "").split(/\s+/).filter(Boolean);
    this.nodeImage = opts.nodeImage ?? (this.env.OVSLAB_KIND_NODE_IMAGE || undefined);
    this.readyTimeoutMs = opts.readyTimeoutMs ?? 5 * 60_000;
  }

  async preflight(): Promise<void> {
    await preflightKind(this.env);
  }

  async up(spec: TopologyFile, opts: UpOptions = {}): Promise<LabStatus> {
    const lab = opts.name ?? spec.name;
    const parsedName = LabName.safeParse(lab);
    if (!parsedName.success)
      throw new Error(`invalid lab name "${lab}": ${parsedName.error.issues[0]?.message}`);
    const stack = opts.stack ?? "antrea";
    if (stack === "reference") {
      throw new Error(
        "the reference stack is not deployable onto kind yet; use --stack antrea (the default) or provider netns",
      );
    }
    const kindConfig = renderKindConfig(lab, spec, this.nodeImage ? { nodeImage: this.nodeImage } : {});
    await this.preflight();
    const signal = opts.signal;
    const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
      signal?.throwIfAborted();
      const t0 = performance.now();
      const result = await fn();
      opts.progress?.({ step, ms: Math.round(performance.now() - t0) });
      return result;
    };

    await claimStateDir(lab);
    const paths = kindLabPaths(lab);
    const kubectl = new KubectlCli(paths.kubeconfig, this.env);
    let data: KindLabData = {
      provider: "kind",
      createdAt: new Date().toISOString(),
      cluster: lab,
      nodes: kindNodeMapping(lab, spec),
      external: Object.keys(spec.topology.external).map((name) => ({
        name,
        container: externalContainerName(lab, name),
      })),
      topology: resolveTopology(spec, { name: lab, underlay: PROVISIONAL_UNDERLAY }),
      complete: false,
    };
    let clusterStarted = false;
    try {
      await writeLabData(lab, data);
      const existing = await this.kind.getClusters();
      if (existing.includes(lab)) {
        throw new Error(
          `a kind cluster named "${lab}" already exists and this 'up' did not create it: ` +
            `delete it with 'kind delete cluster --name ${lab}', or choose another lab name (--name)`,
        );
      }
      // The manifest first: a bad URL or file fails in a second, not after a cluster was built.
      if (stack === "antrea") {
        await timed(`Antrea manifest ${this.antreaManifest}`, async () => {
          const text = await loadManifest(this.antreaManifest, signal);
          const patched = patchAntreaManifest(text, {
            tunnel: spec.network.tunnel,
            loadedImages: this.images,
          });
          await writeFile(paths.antreaManifest, patched);
        });
      }
      await writeFile(paths.kindConfig, kindConfig);

      clusterStarted = true;
      await timed(`kind cluster ${lab} (${data.nodes.length} nodes)`, () =>
        this.kind.createCluster(lab, {
          config: paths.kindConfig,
          kubeconfig: paths.kubeconfig,
          ...(signal ? { signal } : {}),
        }),
      );
      const network = await this.docker.ipv4Subnet(KIND_NETWORK);
      data = {
        ...data,
        ...(network.gateway ? { gateway: network.gateway } : {}),
        topology: resolveTopology(spec, { name: lab, underlay: network.subnet }),
      };
      await writeLabData(lab, data);
      for (const host of data.external) {
        await timed(`external host ${host.name} (container ${host.container})`, () =>
          startExternalHost(this.docker, lab, host.name),
        );
      }
      if (this.images.length) {
        await timed(`loaded images ${this.images.join(" ")}`, () =>
          this.kind.loadDockerImages(lab, this.images, signal),
        );
      }
      // With --stack none the nodes stay NotReady until the user installs a CNI (kind's disableDefaultCNI).
      if (stack === "antrea") {
        await timed("Antrea controller and agents rolled out", () =>
          deployAntrea(kubectl, paths.antreaManifest, this.readyTimeoutMs, signal),
        );
        await timed("all nodes Ready", () => kubectl.waitNodesReady(this.readyTimeoutMs, signal));
      }
      data = { ...data, topology: await this.observedTopology(data, kubectl), complete: true };
      await writeLabData(lab, data);
    } catch (err) {
      await (clusterStarted ? this.down(lab) : removeStateDir(lab)).catch((cleanupErr: Error) => {
        throw new Error(
          `${(err as Error).message}\n(rolling back failed too: ${cleanupErr.message}; run 'ovslab down --name ${lab}')`,
        );
      });
      throw err;
    }
    const status = await this.status(lab);
    if (!status) throw new Error(`lab ${lab} vanished while it was being created`);
    return status;
  }

  /** Deletes the kind cluster named after the lab, the lab's external containers and its state; idempotent. */
  async down(name: string): Promise<DownReport> {
    const paths = kindLabPaths(name);
    const hadState = existsSync(paths.dir);
    const clusterExists = (await this.kind.getClusters()).includes(name);
    const nodes = await this.docker.ps([`${KIND_CLUSTER_LABEL}=${name}`]);
    if (clusterExists)
      await this.kind.deleteCluster(name, existsSync(paths.kubeconfig) ? paths.kubeconfig : undefined);
    const external = await this.docker.ps([`${LAB_LABEL}=${name}`]);
    await this.docker.removeForce(external.map((c) => c.name));
    await removeStateDir(name);
    return {
      name,
      removed: (clusterExists ? nodes.length : 0) + external.length,
      existed: hadState || clusterExists || external.length > 0,
    };
  }

  async list(): Promise<string[]> {
    const labs: string[] = [];
    for (const lab of await listStateDirs()) {
      if (await readLabData(lab).catch(() => undefined)) labs.push(lab);
    }
    return labs.sort();
  }

  async status(name: string): Promise<LabStatus | undefined> {
    const data = await readLabData(name);
    if (!data) return undefined;
    const paths = kindLabPaths(name);
    const containers = new Map(
      [
        ...(await this.docker.ps([`${KIND_CLUSTER_LABEL}=${data.cluster}`])),
        ...(await this.docker.ps([`${LAB_LABEL}=${name}`])),
      ].map((c) => [c.name, c]),
    );
    const haveApi =
      existsSync(paths.kubeconfig) &&
      data.nodes.some((n) => containers.get(n.container)?.state === "running");
    const apiNodes = haveApi
      ? await new KubectlCli(paths.kubeconfig, this.env).nodes().catch(() => undefined)
      : undefined;
    const hosts: HostStatus[] = [
      ...data.nodes.map((m) => nodeStatus(m, data.topology, containers.get(m.container), apiNodes)),
      ...data.external.map((m): HostStatus => {
        const state = containerState(containers.get(m.container), m.container);
        return {
          name: m.name,
          role: "external",
          address: data.topology.external.find((e) => e.name === m.name)?.address ?? "",
          ...state,
        };
      }),
    ];
    return {
      name,
      provider: "kind",
      topology: data.topology,
      hosts,
      stateDir: paths.dir,
      ...(existsSync(paths.kubeconfig) ? { kubeconfig: paths.kubeconfig } : {}),
    };
  }

  /** Topology node names and the kind node containers (= Kubernetes node names) that play them. */
  async nodeMapping(name: string): Promise<NodeMapping[]> {
    return (await this.mustRead(name)).nodes;
  }

  async exec(
    name: string,
    target: ExecTarget,
    argv: readonly string[],
    opts: ExecOptions = {},
  ): Promise<ExecResult> {
    const data = await this.mustRead(name);
    if (!argv.length) throw new Error("no command given");
    const kubectl = new KubectlCli(kindLabPaths(name).kubeconfig, this.env);
    switch (target.kind) {
      case "pod":
        return execInPod(kubectl, target.namespace, target.name, target.container, argv, opts);
      case "external": {
        const host = data.external.find((h) => h.name === target.name || h.container === target.name);
        if (!host) throw unknownHost(name, "external host", target.name, data.external);
        return this.dockerExec(host.container, argv, opts);
      }
      case "node": {
        const node = findNode(data, target.name);
        const container = agentContainerFor(argv);
        if (container) {
          const pod = await agentPodOn(kubectl, node.container);
          return execInPod(kubectl, ANTREA_NAMESPACE, pod, container, argv, opts);
        }
        return this.dockerExec(node.container, argv, {
          ...opts,
          env: { OVS_RUNDIR: NODE_OVS_RUNDIR, ...opts.env },
        });
      }
    }
  }

  async fault(name: string, fault: Fault): Promise<void> {
    const data = await this.mustRead(name);
    const node = findNode(data, fault.node);
    const kubectl = new KubectlCli(kindLabPaths(name).kubeconfig, this.env);
    const inNode = async (argv: string[], what: string) => {
      const res = await this.docker.exec(node.container, argv, { timeoutMs: 30_000 });
      if (res.code !== 0) {
        throw new Error(
          `${what} on node ${node.name} (${node.container}) failed: ${res.stderr.trim() || `exit ${res.code}`}`,
        );
      }
    };
    switch (fault.type) {
      case "signal": {
        // Antrea's e2e pauses an agent with `pkill -STOP antrea-agent` on the node; -x: that program, no other.
        const program = NODE_PROCESS[fault.process];
        await inNode(
          ["pkill", `-${fault.signal.replace(/^SIG/, "")}`, "-x", program],
          `signalling ${program}`,
        );
        return;
      }
      case "link":
        await inNode(["ip", "link", "set", "eth0", fault.state], `setting eth0 ${fault.state}`);
        // Taking eth0 down drops the routes through it; up brings back only the subnet route.
        if (fault.state === "up" && data.gateway) {
          await inNode(
            ["ip", "route", "replace", "default", "via", data.gateway, "dev", "eth0"],
            "restoring the default route",
          );
        }
        return;
      case "restart":
        switch (fault.process) {
          case "agent":
            await replaceAgentPod(kubectl, node.container, this.readyTimeoutMs);
            return;
          case "kubelet":
            await inNode(["systemctl", "restart", "kubelet"], "restarting kubelet");
            return;
          case "control-plane":
            if (node.role !== "control-plane") throw new Error(`node ${node.name} runs no control plane`);
            // kubelet restarts the static Pod with the same manifest.
            await inNode(["pkill", "-TERM", "-x", NODE_PROCESS["control-plane"]], "stopping kube-apiserver");
            await waitUntil(
              {
                what: `the API server of lab ${name}`,
                check: async () => (await kubectl.apiReady()) || "not ready",
              },
              { timeoutMs: this.readyTimeoutMs, intervalMs: 1000 },
            );
            return;
        }
    }
  }

  private dockerExec(container: string, argv: readonly string[], opts: ExecOptions): Promise<ExecResult> {
    const env = opts.env ?? {};
    if (opts.stdio === "inherit") {
      return this.docker
        .execAttached(container, argv, { env, tty: process.stdin.isTTY === true })
        .then((code) => ({ code, stdout: "", stderr: "", timedOut: false }));
    }
    return this.docker.exec(container, argv, {
      env,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  private async observedTopology(data: KindLabData, kubectl: KubectlCli): Promise<ResolvedTopology> {
    const apiNodes = await kubectl.nodes();
    const nodes = data.topology.nodes.map((n) => {
      const container = data.nodes.find((m) => m.name === n.name)?.container;
      const api = apiNodes.find((a) => a.name === container);
      return { ...n, address: api?.internalIP ?? n.address, podCIDR: api?.podCIDR ?? n.podCIDR };
    });
    const external = await Promise.all(
      data.topology.external.map(async (e) => {
        const container = data.external.find((m) => m.name === e.name)?.container ?? "";
        return { ...e, address: await this.docker.address(container, KIND_NETWORK) };
      }),
    );
    return { ...data.topology, nodes, external };
  }

  private async mustRead(name: string): Promise<KindLabData> {
    const data = await readLabData(name);
    if (!data) throw new Error(`no kind lab named "${name}" exists (see 'ovslab status')`);
    return data;
  }
}

/** OVS tools run where Antrea's OVS runs; antctl where the agent runs; anything else on the node itself. */
function agentContainerFor(argv: readonly string[]): string | undefined {
  const program = basename(argv[0] ?? "");
  if (/^ovs(db)?-/.test(program)) return OVS_CONTAINER;
  if (program === "antctl") return AGENT_CONTAINER;
  return undefined;
}

function findNode(data: KindLabData, name: string): KindLabData["nodes"][number] {
  const node = data.nodes.find((n) => n.name === name || n.container === name);
  if (!node) throw unknownHost(data.cluster, "node", name, data.nodes);
  return node;
}

function unknownHost(
  lab: string,
  what: string,
  name: string,
  hosts: readonly { name: string; container: string }[],
): Error {
  const known = hosts.map((h) => `${h.name} (${h.container})`).join(", ") || "none";
  return new Error(`lab ${lab} has no ${what} "${name}" (${known})`);
}

async function execInPod(
  kubectl: KubectlCli,
  namespace: string,
  pod: string,
  container: string | undefined,
  argv: readonly string[],
  opts: ExecOptions,
): Promise<ExecResult> {
  // kubectl exec has no --env: the command runs under env(1).
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const command = env.length ? ["env", ...env, ...argv] : argv;
  if (opts.stdio === "inherit") {
    const code = await kubectl.execAttached(namespace, pod, command, container);
    return { code, stdout: "", stderr: "", timedOut: false };
  }
  return kubectl.exec(namespace, pod, command, {
    ...(container ? { container } : {}),
    ...(opts.input !== undefined ? { input: opts.input } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  });
}

function containerState(
  c: ContainerState | undefined,
  container: string,
): Pick<HostStatus, "state" | "detail"> {
  if (!c) return { state: "stopped", detail: `container ${container} missing` };
  if (c.state === "running") return { state: "running" };
  if (c.state === "paused") return { state: "degraded", detail: `container ${container} paused` };
  return { state: "stopped", detail: `container ${container} ${c.state}` };
}

function nodeStatus(
  m: KindLabData["nodes"][number],
  topology: ResolvedTopology,
  container: ContainerState | undefined,
  apiNodes: readonly NodeInfo[] | undefined,
): HostStatus {
  const planned = topology.nodes.find((n) => n.name === m.name);
  const api = apiNodes?.find((n) => n.name === m.container);
  const base = {
    name: m.name,
    role: m.role,
    address: api?.internalIP ?? planned?.address ?? "",
    ...((api?.podCIDR ?? planned?.podCIDR) ? { podCIDR: api?.podCIDR ?? planned?.podCIDR } : {}),
  };
  const state = containerState(container, m.container);
  if (state.state !== "running") return { ...base, ...state };
  if (!apiNodes) return { ...base, state: "degraded", detail: "Kubernetes API not reachable" };
  if (!api) return { ...base, state: "degraded", detail: `not registered as Kubernetes node ${m.container}` };
  if (!api.ready) return { ...base, state: "degraded", detail: `Kubernetes node ${m.container} NotReady` };
  return { ...base, state: "running" };
}
