// NodePortLocal (Antrea's pkg/agent/nodeportlocal, spec §5): every local Pod selected by a Service annotated
// nodeportlocal.antrea.io/enabled: "true" gets a node port per target port and protocol; traffic to
// <node IP>:<node port> is DNATed to the Pod by iptables (rules.ts), the port is held by a socket (port-sockets.ts)
// and listed in the Pod's nodeportlocal.antrea.io annotation. Level-triggered: every sync compares Pods and
// Services with the mappings it holds. After a restart the ports in the Pods' annotations are taken again when
// they are still in range, so clients keep their addresses; the first sync rewrites the chain whole.
//
// Return traffic needs no flows of its own: DNATed connections enter OVS from antrea-gw0, ConntrackCommit stores
// FromGatewayCTMark for them and the L3Forwarding reply flow on that mark sends the Pod's answers back to antrea-gw0
// (pipeline-flows.ts, gateway.ts), so the node kernel un-DNATs them (reference/ovs-userspace-datapath.md §9).
import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1Service,
} from "@kubernetes/client-node";
import type { NodeExec } from "../host/node-exec.ts";
import { errorMessage, type Logger } from "../log.ts";
import { SyncLoop } from "../sync-loop.ts";
import { type WatchedList, watchList } from "../watch.ts";
import { formatNplAnnotation, NPL_ANNOTATION, parseNplAnnotation } from "./annotation.ts";
import { type NodePortLocalConfig, type PortRange, parsePortRange } from "./config.ts";
import { postPodEvent } from "./pod-event.ts";
import { PortSockets } from "./port-sockets.ts";
import { mappingKey, type PodPort, type PortMapping, PortTable, type Reserve } from "./port-table.ts";
import { NplRules } from "./rules.ts";
import { nplPodIP, podTargets } from "./targets.ts";

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Reason of the Warning Event a Pod gets when the port range has no free port left for it. */
export const PORTS_EXHAUSTED_REASON = "NodePortLocalPortsExhausted";

export interface NodePortLocalOptions {
  kc: KubeConfig;
  nodeName: string;
  /** The address in the annotations (the Node's InternalIP). */
  nodeIP: string;
  /**
   * Runs iptables in the node's namespace. When it names a namespace (the agent runs outside the node: tests),
   * node ports are not held by sockets, since this process can only open them in its own namespace.
   */
  exec: NodeExec;
  config: NodePortLocalConfig;
  log: Logger;
}

export interface NodePortLocal {
  /** Stops watching and closes the sockets; rules and annotations stay, as with Antrea's agent. */
  stop(): Promise<void>;
}

/** Restores the rules, takes the node ports back and returns once the first sync has run. */
export async function startNodePortLocal(opts: NodePortLocalOptions): Promise<NodePortLocal> {
  const { kc, log } = opts;
  const range = parsePortRange(opts.config.portRange);
  if (!range) throw new Error(`nodePortLocal.portRange "${opts.config.portRange}" is not a port range`);
  const core = kc.makeApiClient(CoreV1Api);
  const rules = new NplRules(opts.exec);
  await rules.ensureChain();
  const sockets = opts.exec.netns === undefined ? new PortSockets() : undefined;
  if (!sockets) {
    log.warn(
      `NodePortLocal: the agent runs outside netns ${opts.exec.netns}; node ports are not held by sockets`,
    );
  }
  const controller = new NplController({ ...opts, core, rules, range, sockets });

  let pods: WatchedList<V1Pod> | undefined;
  let services: WatchedList<V1Service> | undefined;
  // No sync before both lists are loaded: with one of them missing every mapping would look unwanted.
  const loop = new SyncLoop(
    "NodePortLocal sync",
    async () => {
      if (pods && services) await controller.sync(pods.list(), services.list());
    },
    log,
  );
  const stop = async () => {
    await loop.stop();
    await pods?.stop();
    await services?.stop();
    await sockets?.closeAll();
  };
  try {
    const onChange = () => loop.trigger();
    pods = await watchList({
      kc,
      path: "/api/v1/pods",
      list: () => core.listPodForAllNamespaces(),
      onChange,
      log,
    });
    services = await watchList({
      kc,
      path: "/api/v1/services",
      list: () => core.listServiceForAllNamespaces(),
      onChange,
      log,
    });
  } catch (err) {
    await stop();
    throw err;
  }
  loop.trigger();
  await loop.idle();
  log.info(`NodePortLocal: ${controller.mappingCount} node ports in range ${opts.config.portRange}`);
  return { stop };
}

interface Wanted {
  pod: V1Pod;
  port: PodPort;
}

class NplController {
  private readonly table: PortTable;
  private readonly reserve: Reserve;
  /** Pod ports the range had no room for, reported once until they get a port or are no longer wanted. */
  private readonly exhausted = new Set<string>();

  constructor(
    private readonly d: {
      core: CoreV1Api;
      nodeName: string;
      nodeIP: string;
      rules: NplRules;
      range: PortRange;
      sockets: PortSockets | undefined;
      log: Logger;
    },
  ) {
    this.table = new PortTable(d.range);
    const sockets = d.sockets;
    this.reserve = sockets ? (port, protocol) => sockets.open(port, protocol) : async () => true;
  }

  get mappingCount(): number {
    return this.table.mappings().length;
  }

  async sync(allPods: readonly V1Pod[], services: readonly V1Service[]): Promise<void> {
    const { nodeName, log } = this.d;
    const local = allPods.filter((p) => p.spec?.nodeName === nodeName);
    const wanted = new Map<string, Wanted>();
    for (const pod of local) {
      const podIP = nplPodIP(pod, nodeName);
      if (!podIP) continue;
      for (const t of podTargets(pod, services)) {
        const port: PodPort = { pod: podKey(pod), podIP, ...t };
        wanted.set(mappingKey(port), { pod, port });
      }
    }

    for (const m of this.table.mappings()) {
      if (wanted.has(mappingKey(m))) continue;
      this.table.remove(m);
      await this.d.sockets?.close(m.nodePort, m.protocol);
      log.info(`NodePortLocal: removed ${describeMapping(this.d.nodeIP, m)}`);
    }
    for (const k of this.exhausted) if (!wanted.has(k)) this.exhausted.delete(k);

    // Ports that Pods' annotations already list go first, so that no new mapping takes one of them.
    const missing = [...wanted.values()]
      .filter((w) => !this.table.get(w.port))
      .map((w) => ({ ...w, preferred: annotatedPort(w.pod, w.port) }))
      .sort((a, b) => Number(a.preferred === undefined) - Number(b.preferred === undefined));
    for (const w of missing) {
      const m = await this.table.add(w.port, w.preferred, this.reserve);
      if (m) {
        this.exhausted.delete(mappingKey(w.port));
        log.info(`NodePortLocal: added ${describeMapping(this.d.nodeIP, m)}`);
      } else {
        await this.reportExhausted(w);
      }
    }

    await this.d.rules.sync(this.table.mappings());

    const byPod = new Map<string, PortMapping[]>();
    for (const m of this.table.mappings()) byPod.set(m.pod, [...(byPod.get(m.pod) ?? []), m]);
    const failures: string[] = [];
    for (const pod of local) {
      await this.annotate(pod, byPod.get(podKey(pod)) ?? []).catch((err: unknown) => {
        failures.push(`${podKey(pod)}: ${errorMessage(err)}`);
      });
    }
    if (failures.length) throw new Error(`cannot annotate Pods: ${failures.join("; ")}`);
  }

  /** Merge-patches the Pod's annotation to list `mappings`, or removes it when there are none. */
  private async annotate(pod: V1Pod, mappings: readonly PortMapping[]): Promise<void> {
    const value = mappings.length
      ? formatNplAnnotation(
          mappings.map((m) => ({
            podPort: m.podPort,
            nodeIP: this.d.nodeIP,
            nodePort: m.nodePort,
            protocol: m.protocol,
            ipFamily: "IPv4",
          })),
        )
      : undefined;
    if (pod.metadata?.annotations?.[NPL_ANNOTATION] === value) return;
    try {
      await this.d.core.patchNamespacedPod(
        {
          name: pod.metadata?.name ?? "",
          namespace: pod.metadata?.namespace ?? "default",
          body: { metadata: { annotations: { [NPL_ANNOTATION]: value ?? null } } },
        },
        MERGE_PATCH,
      );
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) return; // deleted meanwhile; the next sync drops it
      throw err;
    }
  }

  private async reportExhausted(w: Wanted): Promise<void> {
    const key = mappingKey(w.port);
    if (this.exhausted.has(key)) return;
    this.exhausted.add(key);
    const { start, end } = this.d.range;
    const message = `no free node port in range ${start}-${end} for ${w.port.protocol} port ${w.port.podPort} of Pod ${w.port.pod}`;
    this.d.log.error(`NodePortLocal: ${message}`);
    await postPodEvent(this.d.core, w.pod, {
      nodeName: this.d.nodeName,
      type: "Warning",
      reason: PORTS_EXHAUSTED_REASON,
      message,
    }).catch((err: unknown) => this.d.log.warn(`NodePortLocal: cannot post an Event: ${errorMessage(err)}`));
  }
}

function podKey(pod: V1Pod): string {
  return `${pod.metadata?.namespace ?? "default"}/${pod.metadata?.name ?? ""}`;
}

/** The node port the Pod's annotation lists for this Pod port (written by an earlier run of the agent). */
function annotatedPort(pod: V1Pod, port: PodPort): number | undefined {
  const entries = parseNplAnnotation(pod.metadata?.annotations?.[NPL_ANNOTATION]);
  return entries?.find(
    (e) => e.podPort === port.podPort && e.protocol === port.protocol && e.ipFamily === "IPv4",
  )?.nodePort;
}

function describeMapping(nodeIP: string, m: PortMapping): string {
  return `${nodeIP}:${m.nodePort}/${m.protocol} -> ${m.podIP}:${m.podPort} (Pod ${m.pod})`;
}
