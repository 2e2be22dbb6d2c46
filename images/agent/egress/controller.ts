// The agent's Egress controller (Antrea's pkg/agent/controller/egress, spec §4): from the Egresses, their pools, the
// Nodes, the local Pods and which agents are alive, it computes where every Egress IP lives (scheduler.ts) and
// makes this Node's share real: the IPs it holds (assigned, announced with gratuitous ARP, SNATed), the EgressMark
// flows of its local Pods (mark for a local Egress IP, tunnel to the Egress IP for a remote one), and the status
// of the Egresses it holds. Level-triggered: every change (API, liveness, a resumed process, a periodic check of
// the kernel state) leads to one full sync.
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type V1Namespace,
  type V1Node,
  type V1Pod,
} from "@kubernetes/client-node";
import type { OvsTools } from "../../common/ovs.ts";
import type { LocalNode } from "../flows/local-node.ts";
import type { NodeExec } from "../host/node-exec.ts";
import type { InterfaceStore } from "../interface-store.ts";
import { errorMessage, type Logger } from "../log.ts";
import type { Flow } from "../openflow/flow.ts";
import type { FlowInstaller } from "../openflow/flow-installer.ts";
import { SyncLoop } from "../sync-loop.ts";
import { type WatchedList, watchList } from "../watch.ts";
import { ConsistentHash } from "./consistent-hash.ts";
import {
  ASSIGNED_CONDITION,
  assignmentError,
  EGRESS_RESOURCE,
  type Egress,
  type ExternalIPPool,
  POOL_RESOURCE,
  parseEgress,
  parsePool,
} from "./crd.ts";
import { localEgressIPFlows, localPodSNATFlow, remotePodSNATFlow } from "./flows.ts";
import {
  announceIP,
  ensureTunnelEndpoints,
  heldIPs,
  holdIP,
  releaseIP,
  SNATRules,
  syncTunnelRoutes,
} from "./host.ts";
import { selectorMatches } from "./label-selector.ts";
import { NodeLiveness, type Peer } from "./liveness.ts";
import { MarkAllocator } from "./marks.ts";
import { byAge, type NodeInfo, type Placement, scheduleEgresses } from "./scheduler.ts";
import { type DesiredStatus, statusMatches, writeEgressStatus } from "./status.ts";

/** How often the kernel state is checked even without events (an IP removed by hand, OVS restarted). */
const RESYNC_MS = 5000;

export interface EgressControllerDeps {
  kc: KubeConfig;
  nodeName: string;
  node: LocalNode;
  /** The interface holding the node's address (br-phy in a lab): Egress IPs go there. */
  transportInterface: string;
  exec: NodeExec;
  ovs: OvsTools;
  flows: FlowInstaller;
  interfaces: InterfaceStore;
  log: Logger;
}

export interface EgressController {
  stop(): Promise<void>;
}

const ipFlowsOwner = (ip: string) => `egress-ip/${ip}`;
const podFlowsOwner = (containerId: string) => `egress-pod/${containerId}`;

function nodeIPOf(node: V1Node): string | undefined {
  return node.status?.addresses?.find((a) => a.type === "InternalIP" && a.address.includes("."))?.address;
}

/** appliedTo selects Pods by label, Namespaces by label, or both; with neither it selects nothing. */
function selects(e: Egress, pod: V1Pod, namespaceLabels: Record<string, string> | undefined): boolean {
  const at = e.spec.appliedTo;
  if (!at?.podSelector && !at?.namespaceSelector) return false;
  if (at.podSelector && !selectorMatches(at.podSelector, pod.metadata?.labels)) return false;
  return !at.namespaceSelector || selectorMatches(at.namespaceSelector, namespaceLabels);
}

export async function startEgressController(deps: EgressControllerDeps): Promise<EgressController> {
  const { kc, nodeName, node, transportInterface, exec, ovs, flows, interfaces, log } = deps;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const marks = new MarkAllocator();
  const snat = new SNATRules(exec);
  const flowOwners = new Set<string>();
  const announcing = new Set<Promise<void>>();
  let reannounce = false;
  let ready = false;
  let stopped = false;

  let nodes: WatchedList<V1Node> | undefined;
  let pods: WatchedList<V1Pod> | undefined;
  let namespaces: WatchedList<V1Namespace> | undefined;
  let egresses: WatchedList<KubernetesObject> | undefined;
  let pools: WatchedList<KubernetesObject> | undefined;

  const announce = (ip: string) => {
    const p = announceIP(exec, transportInterface, ip)
      .catch((err: unknown) => log.warn(`gratuitous ARP for Egress IP ${ip}: ${errorMessage(err)}`))
      .finally(() => announcing.delete(p));
    announcing.add(p);
  };

  const sync = async () => {
    if (!ready || stopped) return;
    const alive = liveness.aliveNodes();
    const allEgresses = (egresses?.list() ?? []).flatMap((o) => parseEgress(o) ?? []).sort(byAge);
    const poolsByName = new Map(
      (pools?.list() ?? []).flatMap((o) => {
        const p = parsePool(o);
        return p ? [[p.metadata.name, p] as [string, ExternalIPPool]] : [];
      }),
    );
    const nodeInfos: NodeInfo[] = (nodes?.list() ?? []).flatMap((n) =>
      n.metadata?.name ? [{ name: n.metadata.name, labels: n.metadata.labels ?? {} }] : [],
    );
    const placements = scheduleEgresses(allEgresses, poolsByName, nodeInfos, alive);

    // The IPs this Node holds.
    const local = new Set([...placements.values()].filter((p) => p.node === nodeName).map((p) => p.ip));
    const held = await heldIPs(exec, transportInterface);
    const arrived = [...local].filter((ip) => !held.has(ip));
    for (const ip of arrived) {
      await holdIP(exec, transportInterface, ip);
      log.info(`holding Egress IP ${ip}`);
    }
    for (const ip of held) {
      if (local.has(ip)) continue;
      await releaseIP(exec, transportInterface, ip);
      log.info(`released Egress IP ${ip}`);
    }
    const markOf = marks.sync(local);
    await snat.sync([...markOf].map(([ip, mark]) => ({ ip, mark })));

    // EgressMark flows: per local IP, and per local Pod selected by an Egress that has a Node.
    const wanted = new Map<string, Flow[]>();
    for (const [ip, mark] of markOf) wanted.set(ipFlowsOwner(ip), localEgressIPFlows(node, ip, mark));
    const podsByKey = new Map(
      (pods?.list() ?? [])
        .filter((p) => p.spec?.nodeName === nodeName && !p.spec?.hostNetwork)
        .map((p) => [`${p.metadata?.namespace}/${p.metadata?.name}`, p]),
    );
    const nsLabels = new Map((namespaces?.list() ?? []).map((n) => [n.metadata?.name, n.metadata?.labels]));
    for (const iface of interfaces.list()) {
      const pod = podsByKey.get(`${iface.podNamespace}/${iface.podName}`);
      if (!pod || iface.ofport <= 0) continue;
      // A Pod selected by several Egresses uses the oldest one.
      const egress = allEgresses.find((e) => selects(e, pod, nsLabels.get(iface.podNamespace)));
      const placement = egress && placements.get(egress.metadata.name);
      if (!placement?.node) continue;
      const flow =
        placement.node === nodeName
          ? localPodSNATFlow(node, iface.ofport, markOf.get(placement.ip)!)
          : remotePodSNATFlow(node, iface.ofport, placement.ip);
      wanted.set(podFlowsOwner(iface.containerId), [flow]);
    }
    await flows.update((tx) => {
      for (const owner of flowOwners) if (!wanted.has(owner)) tx.deleteFlows(owner);
      for (const [owner, f] of wanted) tx.setFlows(owner, f);
    });
    flowOwners.clear();
    for (const owner of wanted.keys()) flowOwners.add(owner);

    // Other Nodes' IPs: OVS tunnels to them through their owner.
    const nodeIPs = new Map((nodes?.list() ?? []).map((n) => [n.metadata?.name, nodeIPOf(n)]));
    const routes = new Map<string, string>();
    for (const p of placements.values()) {
      const via = p.node !== undefined && p.node !== nodeName ? nodeIPs.get(p.node) : undefined;
      if (via) routes.set(p.ip, via);
    }
    await syncTunnelRoutes(ovs, transportInterface, node.nodeIP, routes);
    const missing = await ensureTunnelEndpoints(ovs, transportInterface, node.nodeIP, [
      node.nodeIP,
      ...local,
    ]);
    if (missing.includes(node.nodeIP)) {
      log.warn(
        `OVS had stopped terminating tunnels to ${node.nodeIP}; made it read ${transportInterface} again`,
      );
    }

    // Announce IPs that just arrived, that the API still places elsewhere (another Node may have announced them
    // meanwhile, e.g. while this agent was stopped), or all of them after a pause.
    const stale = allEgresses.filter(
      (e) => placements.get(e.metadata.name)?.node === nodeName && e.status?.egressNode !== nodeName,
    );
    const toAnnounce = new Set([...arrived, ...stale.map((e) => e.spec.egressIP!)]);
    if (reannounce) for (const ip of local) toAnnounce.add(ip);
    reannounce = false;
    for (const ip of toAnnounce) announce(ip);

    await writeStatuses(allEgresses, placements, alive);
  };

  /** Status of the Egresses this Node holds, and of unplaceable ones when this Node is the one to say so. */
  const writeStatuses = async (
    all: readonly Egress[],
    placements: ReadonlyMap<string, Placement>,
    alive: ReadonlySet<string>,
  ) => {
    const reporters = new ConsistentHash(alive);
    for (const e of all) {
      const name = e.metadata.name;
      const p = placements.get(name);
      let desired: DesiredStatus;
      if (p?.node === nodeName) {
        desired = { egressNode: nodeName, egressIP: p.ip, assigned: ASSIGNED_CONDITION };
      } else if (p?.node !== undefined) {
        continue; // its owner reports it
      } else {
        // Nobody holds the IP: one Node, the same for all agents, says so (Antrea: SelectNodeForIP(ip, "")).
        if (reporters.get(e.spec.egressIP ?? "") !== nodeName) continue;
        desired = {
          egressNode: "",
          egressIP: "",
          ...(p?.error ? { assigned: assignmentError(p.error) } : {}),
        };
      }
      if (statusMatches(e.status, desired)) continue;
      await writeEgressStatus(custom, name, desired);
      log.info(`Egress ${name}: status egressNode="${desired.egressNode}" egressIP="${desired.egressIP}"`);
    }
  };

  const loop = new SyncLoop("Egress sync", sync, log);
  const liveness = await NodeLiveness.start({
    self: { name: nodeName, ip: node.nodeIP },
    onChange: () => loop.trigger(),
    onResume: () => {
      reannounce = true;
      loop.trigger();
    },
    log,
  });
  const stopWatches: (() => Promise<void>)[] = [];
  let resync: NodeJS.Timeout | undefined;
  const stop = async () => {
    stopped = true;
    clearInterval(resync);
    await loop.stop();
    for (const s of stopWatches.splice(0)) await s().catch((e: unknown) => log.warn(errorMessage(e)));
    await liveness.stop();
    await Promise.all(announcing);
  };
  try {
    const setPeers = () =>
      liveness.setPeers(
        (nodes?.list() ?? []).flatMap((n): Peer[] => {
          const ip = nodeIPOf(n);
          return n.metadata?.name && ip ? [{ name: n.metadata.name, ip }] : [];
        }),
      );
    nodes = await watchList({
      kc,
      path: "/api/v1/nodes",
      list: () => core.listNode(),
      onChange: () => {
        setPeers();
        loop.trigger();
      },
      log,
    });
    stopWatches.push(() => nodes!.stop());
    pods = await watchList({
      kc,
      path: "/api/v1/pods",
      list: () => core.listPodForAllNamespaces(),
      onChange: () => loop.trigger(),
      log,
    });
    stopWatches.push(() => pods!.stop());
    namespaces = await watchList({
      kc,
      path: "/api/v1/namespaces",
      list: () => core.listNamespace(),
      onChange: () => loop.trigger(),
      log,
    });
    stopWatches.push(() => namespaces!.stop());
    const listCustom = (res: typeof EGRESS_RESOURCE | typeof POOL_RESOURCE) => async () =>
      (await custom.listClusterCustomObject(res)) as KubernetesListObject<KubernetesObject>;
    egresses = await watchList({
      kc,
      path: `/apis/${EGRESS_RESOURCE.group}/${EGRESS_RESOURCE.version}/${EGRESS_RESOURCE.plural}`,
      list: listCustom(EGRESS_RESOURCE),
      onChange: () => loop.trigger(),
      log,
    });
    stopWatches.push(() => egresses!.stop());
    pools = await watchList({
      kc,
      path: `/apis/${POOL_RESOURCE.group}/${POOL_RESOURCE.version}/${POOL_RESOURCE.plural}`,
      list: listCustom(POOL_RESOURCE),
      onChange: () => loop.trigger(),
      log,
    });
    stopWatches.push(() => pools!.stop());
    setPeers();
    // Until every peer answered or failed a probe, this Node would think it is alone and take every IP.
    await liveness.settled();
    ready = true;
    loop.trigger();
    await loop.idle();
    resync = setInterval(() => loop.trigger(), RESYNC_MS);
    log.info(
      `Egress controller started (liveness on ${node.nodeIP}, alive: ${[...liveness.aliveNodes()].join(", ")})`,
    );
    return { stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
