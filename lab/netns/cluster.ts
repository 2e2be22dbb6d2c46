// The Kubernetes side of an embedded lab: PKI and token, the control-plane process (API server + controllers) on
// the control-plane node, and one kubelet per node, each a detached process inside its node's namespace, recorded
// in the ledger before it starts. File locations are derived here, once, from the lab layout.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import type { AgentConfigInput } from "../../images/agent/config.ts";
import { spawnDaemon } from "../../images/common/exec.ts";
import type { ControllerConfigInput } from "../../images/controller/config.ts";
import { isAlive, startTime } from "../common/proc.ts";
import { allOf, type WaitStrategy, waitUntil } from "../common/wait.ts";
import { renderKubeconfig } from "../control-plane/kubeconfig.ts";
import type { ControlPlaneConfig } from "../control-plane/main.ts";
import { createPki, randomToken } from "../control-plane/pki.ts";
import type { KubeletConfigInput } from "../kubelet/config.ts";
import { type RestartableProcessName, TOPOLOGY_NODE_LABEL } from "../provider.ts";
import type { ResolvedTopology } from "../topology/resolve.ts";
import { PACKAGE_ROOT, tsxArgv } from "./entrypoints.ts";
import type { HostLayout, LabLayout } from "./layout.ts";
import type { Ledger } from "./ledger.ts";

export const API_PORT = 6443;
/** kubeadm's control-plane taint: only Pods that tolerate it (none of the scenarios' workloads) land there. */
const CONTROL_PLANE_TAINT = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" } as const;

export interface ClusterPaths {
  kubeconfig: string;
  pkiDir: string;
  controlPlaneConfig: string;
  controlPlaneLog: string;
  controllerConfig: string;
  controllerLog: string;
}

export interface NodePaths {
  kubeletConfig: string;
  kubeletStateDir: string;
  kubeletLog: string;
  cniConfDir: string;
  /** The agent's CNI socket; the kubelet passes it to the plugin as ANTREA_CNI_SOCKET. */
  cniSocket: string;
  cniIpamDataDir: string;
  agentConfig: string;
  agentLog: string;
}

export function clusterPaths(layout: LabLayout): ClusterPaths {
  return {
    kubeconfig: join(layout.stateDir, "kubeconfig"),
    pkiDir: join(layout.stateDir, "pki"),
    controlPlaneConfig: join(layout.stateDir, "control-plane.json"),
    controlPlaneLog: join(layout.stateDir, "control-plane.log"),
    controllerConfig: join(layout.stateDir, "controller.json"),
    controllerLog: join(layout.stateDir, "controller.log"),
  };
}

export function nodePaths(host: HostLayout): NodePaths {
  return {
    kubeletConfig: join(host.dir, "kubelet.json"),
    kubeletStateDir: join(host.dir, "kubelet"),
    kubeletLog: join(host.dir, "kubelet.log"),
    cniConfDir: join(host.dir, "cni", "net.d"),
    cniSocket: join(host.dir, "antrea", "cni.sock"),
    cniIpamDataDir: join(host.dir, "cni", "networks"),
    agentConfig: join(host.dir, "agent.json"),
    agentLog: join(host.dir, "agent.log"),
  };
}

/** The program directories the kubelet searches for CNI plugins: the reference plugin, then Debian's. */
export const CNI_PLUGIN_DIRS = [join(PACKAGE_ROOT, "images", "cni", "bin"), "/usr/lib/cni"];

function controlPlaneHost(layout: LabLayout): HostLayout {
  const cp = layout.nodes.find((n) => n.role === "control-plane");
  if (!cp) throw new Error(`lab ${layout.lab} has no control-plane node`);
  return cp;
}

export function apiServerUrl(layout: LabLayout): string {
  return `https://${controlPlaneHost(layout).address}:${API_PORT}`;
}

/** How to (re)start one of the lab's long-running programs. */
interface DaemonSpec {
  name: RestartableProcessName;
  host: HostLayout;
  argv: string[];
  log: string;
  env?: NodeJS.ProcessEnv;
}

export interface StartedDaemon {
  name: string;
  host: string;
  pid: number;
  log: string;
}

function controlPlaneSpec(layout: LabLayout): DaemonSpec {
  const paths = clusterPaths(layout);
  return {
    name: "control-plane",
    host: controlPlaneHost(layout),
    argv: tsxArgv("lab/control-plane/main.ts", "--config", paths.controlPlaneConfig),
    log: paths.controlPlaneLog,
  };
}

function controllerSpec(layout: LabLayout): DaemonSpec {
  const paths = clusterPaths(layout);
  return {
    name: "controller",
    host: controlPlaneHost(layout),
    argv: tsxArgv("images/controller/main.ts", "--config", paths.controllerConfig),
    log: paths.controllerLog,
  };
}

function kubeletSpec(host: HostLayout): DaemonSpec {
  const p = nodePaths(host);
  return {
    name: "kubelet",
    host,
    argv: tsxArgv("lab/kubelet/main.ts", "--config", p.kubeletConfig),
    log: p.kubeletLog,
    env: { ...process.env, ANTREA_CNI_SOCKET: p.cniSocket },
  };
}

function agentSpec(host: HostLayout): DaemonSpec {
  const p = nodePaths(host);
  return {
    name: "agent",
    host,
    argv: tsxArgv("images/agent/main.ts", "--config", p.agentConfig),
    log: p.agentLog,
  };
}

/** The spec of a restartable daemon of a node, or undefined when the node does not run one of that name. */
export function daemonSpec(layout: LabLayout, nodeName: string, name: string): DaemonSpec | undefined {
  const host = layout.nodes.find((n) => n.name === nodeName);
  if (!host) return undefined;
  if (name === "kubelet") return kubeletSpec(host);
  if (name === "agent") return agentSpec(host);
  if (host.role === "control-plane" && name === "control-plane") return controlPlaneSpec(layout);
  if (host.role === "control-plane" && name === "controller") return controllerSpec(layout);
  return undefined;
}

export async function startDaemon(ledger: Ledger, spec: DaemonSpec): Promise<StartedDaemon> {
  const { name, host } = spec;
  // The command line names the state dir (the config path), which is how teardown recognises the process.
  await ledger.record({ kind: "process", name, host: host.name });
  const pid = await spawnDaemon(spec.argv, {
    netns: host.netns,
    logFile: spec.log,
    env: spec.env ?? process.env,
    cwd: PACKAGE_ROOT,
  });
  await ledger.record({
    kind: "process",
    name,
    host: host.name,
    pid,
    startTime: (await startTime(pid)) ?? "",
  });
  return { name, host: host.name, pid, log: spec.log };
}

/** Fails the wait at once (with the log's tail) when the daemon has exited. */
function stillRunning(d: StartedDaemon): WaitStrategy {
  return {
    what: `${d.name} on ${d.host}`,
    async check() {
      if (await isAlive(d.pid)) return true;
      const tail = (await readFile(d.log, "utf8").catch(() => "")).trim().split("\n").slice(-8).join("\n");
      throw new Error(`${d.name} on ${d.host} exited during start-up; last lines of ${d.log}:\n${tail}`);
    },
  };
}

function apiReady(kc: KubeConfig, url: string): WaitStrategy {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    what: `API server ${url}`,
    async check() {
      try {
        await api.listNamespace();
        return true;
      } catch (err) {
        return (err as Error).message.split("\n")[0] ?? "not answering";
      }
    },
  };
}

function nodesReady(kc: KubeConfig, names: readonly string[], level: "registered" | "Ready"): WaitStrategy {
  const api = kc.makeApiClient(CoreV1Api);
  return {
    what: `nodes ${names.join(", ")} ${level}`,
    async check() {
      const nodes = await api.listNode().catch(() => undefined);
      if (!nodes) return "API not answering";
      const pending: string[] = [];
      for (const name of names) {
        const node = nodes.items.find((n) => n.metadata?.name === name);
        const ready = node?.status?.conditions?.find((c) => c.type === "Ready");
        if (level === "registered" ? !node : ready?.status !== "True")
          pending.push(`${name} ${node ? (ready?.message ?? "not Ready") : "not registered"}`);
      }
      return pending.length ? pending.join("; ") : true;
    },
  };
}

export interface ClusterStartOptions {
  stack?: "reference" | "none";
  timeoutMs?: number;
  signal?: AbortSignal;
  progress?: (step: string, ms: number) => void;
}

/** Starts the API server and a kubelet per node; resolves once the API answers and every node is Ready. */
export async function startCluster(
  layout: LabLayout,
  topology: ResolvedTopology,
  ledger: Ledger,
  opts: ClusterStartOptions = {},
): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const progress = opts.progress ?? (() => {});
  const paths = clusterPaths(layout);
  const cp = controlPlaneHost(layout);
  let t0 = performance.now();
  const lap = (step: string) => {
    progress(step, Math.round(performance.now() - t0));
    t0 = performance.now();
  };

  const pki = await createPki(paths.pkiDir, { ips: [cp.address] });
  const token = randomToken();
  const tokenFile = join(paths.pkiDir, "token");
  await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
  const url = apiServerUrl(layout);
  await writeFile(
    paths.kubeconfig,
    renderKubeconfig({ server: url, caCertPem: pki.caCertPem, token, name: layout.lab }),
    {
      mode: 0o600,
    },
  );
  const cpConfig: ControlPlaneConfig = {
    host: "0.0.0.0",
    port: API_PORT,
    certFile: pki.serverCertPath,
    keyFile: pki.serverKeyPath,
    tokenFile,
    serviceCIDR: topology.network.services,
    logLevel: "info",
    controllers: {
      clusterCIDR: topology.network.pods,
      nodeMaskSize: topology.network.nodeMaskSize,
      podCIDRs: Object.fromEntries(topology.nodes.map((n) => [n.name, n.podCIDR])),
      nodeMonitorGracePeriodSeconds: 10,
    },
  };
  await writeFile(paths.controlPlaneConfig, `${JSON.stringify(cpConfig, null, 2)}\n`);
  const apiserver = await startDaemon(ledger, controlPlaneSpec(layout));
  const kc = new KubeConfig();
  kc.loadFromFile(paths.kubeconfig);
  await waitUntil(allOf(`API server ${url}`, [stillRunning(apiserver), apiReady(kc, url)]), {
    timeoutMs,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  lap(`API server ${url}`);

  const kubelets = await Promise.all(
    layout.nodes.map(async (host) => {
      const node = topology.nodes.find((n) => n.name === host.name);
      const p = nodePaths(host);
      await mkdir(p.cniConfDir, { recursive: true });
      const config: KubeletConfigInput = {
        nodeName: host.name,
        kubeconfig: paths.kubeconfig,
        address: host.address,
        lab: layout.lab,
        labels: { ...node?.labels, [TOPOLOGY_NODE_LABEL]: host.name },
        controlPlane: host.role === "control-plane",
        taints: host.role === "control-plane" ? [CONTROL_PLANE_TAINT] : [],
        stateDir: p.kubeletStateDir,
        cni: { confDir: p.cniConfDir, pluginDirs: CNI_PLUGIN_DIRS },
      };
      await writeFile(p.kubeletConfig, `${JSON.stringify(config, null, 2)}\n`);
      return startDaemon(ledger, kubeletSpec(host));
    }),
  );
  const stack = opts.stack ?? "reference";
  if (stack === "reference") {
    const config: ControllerConfigInput = { kubeconfig: paths.kubeconfig };
    await writeFile(paths.controllerConfig, `${JSON.stringify(config, null, 2)}\n`);
  }
  const agents =
    stack === "reference"
      ? await Promise.all(
          layout.nodes.map(async (host) => {
            const p = nodePaths(host);
            const config: AgentConfigInput = {
              nodeName: host.name,
              kubeconfig: paths.kubeconfig,
              ovsRundir: host.dir,
              tunnelType: topology.network.tunnel,
              mtu: topology.network.podMTU,
              cniSocket: p.cniSocket,
              cniConfDir: p.cniConfDir,
              cniIpamDataDir: p.cniIpamDataDir,
              // Antrea's chart leaves NodePortLocal off; scenarios need it, as the kind provider enables it.
              nodePortLocal: { enable: true, portRange: "61000-62000" },
            };
            await writeFile(p.agentConfig, `${JSON.stringify(config, null, 2)}\n`);
            return startDaemon(ledger, agentSpec(host));
          }),
        )
      : [];
  if (stack === "reference") agents.push(await startDaemon(ledger, controllerSpec(layout)));
  await waitUntil(
    allOf(stack === "none" ? "nodes registered" : "nodes Ready", [
      ...[...kubelets, ...agents].map(stillRunning),
      nodesReady(
        kc,
        layout.nodes.map((n) => n.name),
        stack === "none" ? "registered" : "Ready",
      ),
    ]),
    { timeoutMs, intervalMs: 250, ...(opts.signal ? { signal: opts.signal } : {}) },
  );
  lap(
    stack === "none"
      ? `${kubelets.length} kubelets, nodes registered (no networking stack: nodes stay NotReady)`
      : `${kubelets.length} kubelets and agents, nodes Ready`,
  );
}
