// The reference agent: reads its Node, sets up br-int and the pipeline, keeps peer Nodes and AntreaProxy Services in
// the datapath, serves the CNI, and only then installs the conflist (the kubelet reports the Node Ready once the
// network is). It watches OVS too: when flows vanish (ovs-vswitchd restarted, someone ran del-flows) it puts
// everything back from its desired state. Stopping leaves bridges, flows and Pods' networking in place, as Antrea.
import { createHash } from "node:crypto";
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  DiscoveryV1Api,
  KubeConfig,
  type V1EndpointSlice,
  type V1Node,
  type V1Service,
} from "@kubernetes/client-node";
import { installConflist } from "../cni/conflist.ts";
import { OvsTools } from "../common/ovs.ts";
import { AGENT_VERSION, reportAgentInfo, servesAgentInfo } from "./agent-info.ts";
import { ensureBridge } from "./bridge.ts";
import { startCniServer } from "./cniserver/server.ts";
import type { AgentConfig } from "./config.ts";
import { startEgressController } from "./egress/controller.ts";
import { flowsOwner } from "./flow-owners.ts";
import { gatewayFlows } from "./flows/gateway.ts";
import type { LocalNode } from "./flows/local-node.ts";
import { pipelineFlows } from "./flows/pipeline-flows.ts";
import { podFlows } from "./flows/pod.ts";
import { NodeIptables } from "./host/iptables.ts";
import { NodeExec } from "./host/node-exec.ts";
import { configureGateway, linkNames, prepareNodeKernel, transportInterface } from "./host/node-network.ts";
import { InterfaceStore, loadPodInterfaces } from "./interface-store.ts";
import { formatCidr, gatewayIP, parseCidr } from "./ipv4.ts";
import { errorMessage, type Logger, stdoutLogger } from "./log.ts";
import { startNetworkPolicyController } from "./networkpolicy/controller.ts";
import { startNodePortLocal } from "./nodeportlocal/controller.ts";
import { FlowInstaller } from "./openflow/flow-installer.ts";
import { PacketInMonitor } from "./openflow/packet-in-monitor.ts";
import { Peers } from "./peers.ts";
import { BRIDGE } from "./pipeline/constants.ts";
import { Pipeline } from "./pipeline/tables.ts";
import { PodInterfaces } from "./pod-interface.ts";
import type { PodNetwork } from "./pod-network.ts";
import { Proxier } from "./proxy/proxier.ts";
import { SyncLoop } from "./sync-loop.ts";
import { startTraceflowController } from "./traceflow/controller.ts";
import { type WatchedList, watchList } from "./watch.ts";

export interface NodeNetwork {
  podCIDR: string;
  gatewayIP: string;
  gatewayMAC: string;
  nodeIP: string;
  transportInterface: string;
  pipeline: Pipeline;
}

export interface Agent {
  readonly node: NodeNetwork;
  /** What the CNI server uses; tests may call it directly. */
  readonly podNetwork: PodNetwork;
  /** The flows and groups the agent wants in br-int. */
  readonly flows: FlowInstaller;
  stop(): Promise<void>;
}

const NODE_POLL_MS = 500;

export async function startAgent(
  config: AgentConfig,
  opts: { log?: Logger; signal?: AbortSignal } = {},
): Promise<Agent> {
  const log = opts.log ?? stdoutLogger();
  const kc = new KubeConfig();
  kc.loadFromFile(config.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);

  const self = await waitForNode(core, config.nodeName, log, opts.signal);
  const pipeline = new Pipeline({
    service: config.antreaProxy.enable,
    antreaPolicy: config.featureGates.AntreaPolicy,
    egress: config.featureGates.Egress,
  });
  const gwIP = gatewayIP(self.podCIDR);
  const gwMAC = gatewayMac(config.nodeName);
  const ovs = new OvsTools(config.ovsRundir);
  const exec = new NodeExec(config.nodeNetns);

  await prepareNodeKernel(exec);
  const ports = await ensureBridge(ovs, {
    tunnelType: config.tunnelType,
    gatewayMAC: gwMAC,
    mtu: config.mtu,
    pipeline,
  });
  const prefixLength = parseCidr(self.podCIDR).prefixLength;
  await configureGateway(exec, { ip: gwIP, prefixLength, mtu: config.mtu });
  const transport = await transportInterface(exec, self.nodeIP);
  const node: LocalNode = {
    pipeline,
    podCIDR: self.podCIDR,
    gatewayIP: gwIP,
    gatewayMAC: gwMAC,
    gatewayOfport: ports.gatewayOfport,
    tunnelOfport: ports.tunnelOfport,
    nodeIP: self.nodeIP,
  };
  log.info(
    `Node ${config.nodeName}: Pod CIDR ${self.podCIDR}, ${BRIDGE} with antrea-gw0 ${gwIP} (${gwMAC}), ` +
      `${config.tunnelType} tunnel from ${self.nodeIP} on ${transport}; ${pipeline.tables.length} tables`,
  );

  // Pods wired by an earlier run of the agent come back from OVSDB, with their flows.
  const flows = new FlowInstaller(ovs);
  const store = new InterfaceStore();
  const links = new Set(await linkNames(exec));
  for (const iface of await loadPodInterfaces(ovs)) {
    if (iface.ofport > 0 && links.has(iface.hostIfName)) {
      store.set(iface);
      continue;
    }
    // The Pod's namespace (and so its veth) went away while the agent was not running.
    log.warn(`removing stale port ${iface.hostIfName} of Pod ${iface.podNamespace}/${iface.podName}`);
    await ovs.vsctl(["--if-exists", "del-port", BRIDGE, iface.hostIfName]);
  }
  await flows.prepare((tx) => {
    tx.setFlows(flowsOwner.pipeline, pipelineFlows(node));
    tx.setFlows(flowsOwner.gateway, gatewayFlows(node));
    for (const iface of store.list()) tx.setFlows(flowsOwner.pod(iface.containerId), podFlows(node, iface));
  });
  // Flows an earlier run left stay until every controller has put its own back (below): a restart must not open a
  // window in which NetworkPolicy drops are missing.
  await flows.installKeepingOthers();
  log.info(`installed ${flows.state.flowCount} flows (${store.list().length} Pods restored from OVSDB)`);

  const iptables = new NodeIptables(exec, () => store.hostIfNames());
  await iptables.setup(config.noSNAT ? undefined : { podCIDR: self.podCIDR, transportInterface: transport });

  const podNetwork = new PodInterfaces({ node, ovs, exec, flows, iptables, store, log });
  const peers = new Peers({
    node,
    nodeName: config.nodeName,
    exec,
    ovs,
    flows,
    transportInterface: transport,
    log,
  });
  const proxier = new Proxier(node, flows, log);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => log.warn(errorMessage(e)));
  };
  try {
    let nodes: WatchedList<V1Node> | undefined;
    let services: WatchedList<V1Service> | undefined;
    let slices: WatchedList<V1EndpointSlice> | undefined;
    const peerLoop = new SyncLoop("peer Node sync", () => peers.sync(nodes?.list() ?? []), log);
    const proxyLoop = new SyncLoop(
      "Service sync",
      () => proxier.sync(services?.list() ?? [], slices?.list() ?? []),
      log,
    );
    cleanups.push(
      () => peerLoop.stop(),
      () => proxyLoop.stop(),
    );
    nodes = await watchList({
      kc,
      path: "/api/v1/nodes",
      list: () => core.listNode(),
      onChange: () => peerLoop.trigger(),
      log,
    });
    cleanups.push(() => nodes!.stop());
    peerLoop.trigger();
    if (config.antreaProxy.enable) {
      const discovery = kc.makeApiClient(DiscoveryV1Api);
      services = await watchList({
        kc,
        path: "/api/v1/services",
        list: () => core.listServiceForAllNamespaces(),
        onChange: () => proxyLoop.trigger(),
        log,
      });
      cleanups.push(() => services!.stop());
      slices = await watchList({
        kc,
        path: "/apis/discovery.k8s.io/v1/endpointslices",
        list: () => discovery.listEndpointSliceForAllNamespaces(),
        onChange: () => proxyLoop.trigger(),
        log,
      });
      cleanups.push(() => slices!.stop());
      proxyLoop.trigger();
    }
    await peerLoop.idle();
    await proxyLoop.idle();

    // Flows vanish when ovs-vswitchd restarts: put them back, with whatever else it forgot.
    let unreachable = false;
    const repair = async () => {
      const state = await flows.check();
      if (state === "unreachable") {
        if (!unreachable) log.warn(`cannot reach ovs-vswitchd of ${BRIDGE}; will retry`);
        unreachable = true;
        return;
      }
      unreachable = false;
      if (state === "ok") return;
      log.warn(`${BRIDGE} lost flows (ovs-vswitchd restarted?); reinstalling ${flows.state.flowCount} flows`);
      for (const iface of await loadPodInterfaces(ovs)) {
        const known = store.get(iface.containerId);
        if (known && iface.ofport > 0 && iface.ofport !== known.ofport) {
          store.set({ ...known, ofport: iface.ofport });
          await flows.prepare((tx) =>
            tx.setFlows(
              flowsOwner.pod(iface.containerId),
              podFlows(node, { ...known, ofport: iface.ofport }),
            ),
          );
        }
      }
      await configureGateway(exec, { ip: gwIP, prefixLength, mtu: config.mtu });
      await peers.reapplyRoutes();
      await flows.reinstall();
      await peers.reseedNeighbours();
      log.info(`reinstalled ${flows.state.flowCount} flows and ${flows.state.groups().length} groups`);
    };

    if (config.nodePortLocal.enable) {
      const npl = await startNodePortLocal({
        kc,
        nodeName: config.nodeName,
        nodeIP: self.nodeIP,
        exec,
        config: config.nodePortLocal,
        log,
      });
      cleanups.push(() => npl.stop());
    }

    // Egress needs the agent in the node's namespace: its liveness probes bind the node's address.
    if (config.featureGates.Egress && !config.nodeNetns) {
      const egress = await startEgressController({
        kc,
        nodeName: config.nodeName,
        node,
        transportInterface: transport,
        exec,
        ovs,
        flows,
        interfaces: store,
        log,
      });
      cleanups.push(() => egress.stop());
    }

    // Reject answers and Traceflow observations arrive as packet-ins.
    const packetIns = new PacketInMonitor({ rundir: ovs.rundir, bridge: BRIDGE, log });
    packetIns.start();
    cleanups.push(() => packetIns.stop());

    const networkPolicy = await startNetworkPolicyController({
      kc,
      nodeName: config.nodeName,
      node,
      ovs,
      flows,
      store,
      packetIns,
      log,
    });
    cleanups.push(() => networkPolicy.stop());

    if (config.featureGates.Traceflow) {
      const traceflow = await startTraceflowController({
        kc,
        nodeName: config.nodeName,
        node,
        ovs,
        flows,
        store,
        packetIns,
        networkPolicy,
        log,
      });
      cleanups.push(() => traceflow.stop());
    }

    // Every controller has installed its flows: what OVS holds beyond them is left over from an earlier run.
    await flows.reinstall();
    const watchdog = new SyncLoop("flow check", repair, log);
    const checkTimer = setInterval(() => watchdog.trigger(), config.flowCheckIntervalSeconds * 1000);
    cleanups.push(async () => {
      clearInterval(checkTimer);
      await watchdog.stop();
    });

    const cni = await startCniServer({ socketPath: config.cniSocket, podNetwork, log: (m) => log.info(m) });
    cleanups.push(
      () => cni.close(),
      () => podNetwork.close(),
    );
    const conflist = await installConflist(config.cniConfDir, {
      podCIDR: self.podCIDR,
      gateway: gwIP,
      mtu: config.mtu,
      ...(config.cniIpamDataDir ? { dataDir: config.cniIpamDataDir } : {}),
    });
    log.info(`network ready: CNI server on ${config.cniSocket}, ${conflist} installed`);

    const custom = kc.makeApiClient(CustomObjectsApi);
    if (await servesAgentInfo(custom).catch(() => false)) {
      const ovsVersion =
        /\d+\.\d+\.\d+/.exec((await ovs.vsctl(["--version"], { noWait: true })).stdout)?.[0] ?? "";
      const report = () =>
        reportAgentInfo(
          custom,
          {
            nodeName: config.nodeName,
            podCIDR: self.podCIDR,
            ovsVersion,
            bridge: BRIDGE,
            flowTable: flowsPerTable(flows),
            localPodNum: store.list().length,
          },
          log,
        );
      await report();
      const infoTimer = setInterval(() => void report(), config.agentInfoIntervalSeconds * 1000);
      cleanups.push(async () => clearInterval(infoTimer));
    }
    log.info(`agent ${AGENT_VERSION} for Node ${config.nodeName} ready`);

    return {
      node: {
        podCIDR: self.podCIDR,
        gatewayIP: gwIP,
        gatewayMAC: gwMAC,
        nodeIP: self.nodeIP,
        transportInterface: transport,
        pipeline,
      },
      podNetwork,
      flows,
      stop: async () => {
        await cleanup();
        log.info(`agent for Node ${config.nodeName} stopped (${BRIDGE} and its flows stay)`);
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/** Waits until the Node has a Pod CIDR and an InternalIP (node IPAM and the kubelet set them). */
async function waitForNode(
  core: CoreV1Api,
  name: string,
  log: Logger,
  signal?: AbortSignal,
): Promise<{ podCIDR: string; nodeIP: string }> {
  let reported = "";
  for (;;) {
    signal?.throwIfAborted();
    let why: string;
    try {
      const node = await core.readNode({ name });
      const cidr = [node.spec?.podCIDR, ...(node.spec?.podCIDRs ?? [])].find((c) => c?.includes("."));
      const ip = node.status?.addresses?.find(
        (a) => a.type === "InternalIP" && a.address.includes("."),
      )?.address;
      if (cidr && ip) return { podCIDR: formatCidr(parseCidr(cidr)), nodeIP: ip };
      why = !cidr ? "Spec.PodCIDR is empty" : "it has no InternalIP";
    } catch (err) {
      why = err instanceof ApiException && err.code === 404 ? "it does not exist" : errorMessage(err);
    }
    if (why !== reported) log.info(`waiting for Node ${name}: ${why}`);
    reported = why;
    await new Promise((r) => setTimeout(r, NODE_POLL_MS));
  }
}

/** antrea-gw0's MAC: locally administered, derived from the Node name so that it never changes for a Node. */
export function gatewayMac(nodeName: string): string {
  const h = createHash("sha1").update(`antrea-gw0/${nodeName}`).digest();
  const bytes = [0x0a, h[0]!, h[1]!, h[2]!, h[3]!, h[4]!];
  return bytes.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

function flowsPerTable(flows: FlowInstaller): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of flows.state.flows()) counts[f.tableId] = (counts[f.tableId] ?? 0) + 1;
  return counts;
}
