// The agent's Traceflow controller (Antrea's pkg/agent/controller/traceflow): every agent follows every Running
// Traceflow that has a dataplane tag. It installs the tag's flows (flows.ts); the agent of the source Pod is the
// sender and, for an injected trace, sends the probe from the Pod's port after a short delay that lets the other
// agents install their flows; each Traceflow packet-in becomes one NodeResult in the status (observations.ts). A
// Traceflow that leaves Running, is deleted or times out loses its flows here (they also carry a hard timeout).
import {
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from "@kubernetes/client-node";
import {
  parseTraceflow,
  TRACEFLOW_PATH,
  TRACEFLOW_RESOURCE,
  type Traceflow,
  traceflowTimeoutSeconds,
} from "../../api/traceflow.ts";
import { apiErrorMessage } from "../../common/api-error.ts";
import type { OvsTools } from "../../common/ovs.ts";
import type { LocalNode } from "../flows/local-node.ts";
import type { InterfaceStore } from "../interface-store.ts";
import { errorMessage, type Logger } from "../log.ts";
import type { NetworkPolicyController } from "../networkpolicy/controller.ts";
import type { FlowInstaller } from "../openflow/flow-installer.ts";
import type { PacketIn } from "../openflow/packet-in.ts";
import type { PacketInMonitor } from "../openflow/packet-in-monitor.ts";
import { SerialQueue } from "../serial.ts";
import { SyncLoop } from "../sync-loop.ts";
import { type WatchedList, watchList } from "../watch.ts";
import { type LiveMatch, TRACEFLOW_USERDATA, type TraceflowRole, traceflowFlows } from "./flows.ts";
import { observe } from "./observations.ts";
import {
  capturedPacket,
  type ProbeHeaders,
  parseIpHeader,
  probeFrame,
  probeHeaders,
  protocolKeyword,
} from "./packet.ts";
import { appendNodeResult, failTraceflow } from "./status.ts";

/**
 * How long the sender waits between installing its flows and injecting the probe. Antrea waits 100 ms when the
 * destination Pod is local and 2 s otherwise, for the other agents to install their flows; agents here see the
 * Traceflow within milliseconds of each other, so 500 ms leaves them ample time and keeps a trace under a second.
 */
const INJECT_DELAY_LOCAL_MS = 100;
const INJECT_DELAY_REMOTE_MS = 500;

const owner = (tag: number) => `traceflow/${tag}`;

interface RunningTrace {
  readonly name: string;
  readonly uid: string;
  readonly tag: number;
  readonly liveTraffic: boolean;
  readonly droppedOnly: boolean;
  readonly receiverOnly: boolean;
  readonly isSender: boolean;
  receivedPacket: boolean;
  timer?: NodeJS.Timeout;
  inject?: NodeJS.Timeout;
}

/** What the sender injects, or what a live trace matches. */
interface Probe {
  readonly headers: ProbeHeaders;
  readonly dstIP?: string;
  /** The destination Pod's MAC when it is on this Node (the probe is then switched, not routed). */
  readonly dstMAC?: string;
}

export interface TraceflowControllerOptions {
  kc: KubeConfig;
  nodeName: string;
  node: LocalNode;
  ovs: OvsTools;
  flows: FlowInstaller;
  store: InterfaceStore;
  packetIns: PacketInMonitor;
  networkPolicy: Pick<NetworkPolicyController, "ruleByConjId" | "flows">;
  log: Logger;
}

export interface TraceflowController {
  stop(): Promise<void>;
}

export async function startTraceflowController(
  opts: TraceflowControllerOptions,
): Promise<TraceflowController> {
  const { kc, nodeName, node, store, log } = opts;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const core = kc.makeApiClient(CoreV1Api);
  const running = new Map<number, RunningTrace>();
  const writes = new SerialQueue();
  let stopped = false;

  const uninstall = async (trace: RunningTrace) => {
    clearTimeout(trace.timer);
    clearTimeout(trace.inject);
    // A trace that no longer holds its tag must not take the flows of the one that does.
    if (running.get(trace.tag) !== trace) return;
    running.delete(trace.tag);
    await opts.flows.update((tx) => tx.deleteFlows(owner(trace.tag)));
  };

  const fail = async (tf: Traceflow, message: string) => {
    log.warn(`Traceflow ${tf.metadata.name}: ${message}`);
    await failTraceflow(custom, tf.metadata.name, nodeName, message).catch((err: unknown) =>
      log.warn(`cannot mark Traceflow ${tf.metadata.name} Failed: ${apiErrorMessage(err)}`),
    );
  };

  /** The probe per the spec, resolving the destination; throws with Antrea's messages. */
  const prepareProbe = async (tf: Traceflow, receiverOnly: boolean): Promise<Probe> => {
    const dst = tf.spec.destination ?? {};
    const live = tf.spec.liveTraffic === true;
    if (receiverOnly) return { headers: probeHeaders(tf.spec) };
    if (dst.ip) {
      const localDst = store.list().find((i) => i.ip === dst.ip);
      return {
        headers: probeHeaders(tf.spec),
        dstIP: dst.ip,
        ...(localDst && !live ? { dstMAC: localDst.mac } : {}),
      };
    }
    if (dst.pod) {
      const namespace = dst.namespace ?? "default";
      const localDst = store.list().find((i) => i.podName === dst.pod && i.podNamespace === namespace);
      if (localDst) {
        return {
          headers: probeHeaders(tf.spec),
          dstIP: localDst.ip,
          ...(live ? {} : { dstMAC: localDst.mac }),
        };
      }
      let ip: string | undefined;
      try {
        const pod = await core.readNamespacedPod({ name: dst.pod, namespace });
        ip = pod.status?.podIPs?.map((p) => p.ip).find((a) => a.includes(".")) ?? pod.status?.podIP;
      } catch (err) {
        throw new Error(`failed to get the destination Pod: ${apiErrorMessage(err)}`);
      }
      if (!ip) throw new Error("destination Pod does not have an IPv4 address");
      return { headers: probeHeaders(tf.spec), dstIP: ip };
    }
    if (dst.service) {
      if (!node.pipeline.has("ServiceLB"))
        throw new Error("using Service destination requires AntreaProxy enabled");
      let clusterIP: string | undefined;
      let port: { port: number; protocol: string } | undefined;
      try {
        const svc = await core.readNamespacedService({
          name: dst.service,
          namespace: dst.namespace ?? "default",
        });
        clusterIP = svc.spec?.clusterIP;
        const first = svc.spec?.ports?.[0];
        if (first) port = { port: first.port, protocol: first.protocol ?? "TCP" };
      } catch (err) {
        throw new Error(`failed to get the destination Service: ${apiErrorMessage(err)}`);
      }
      if (!clusterIP || clusterIP === "None")
        throw new Error("destination Service does not have a ClusterIP");
      return { headers: probeHeaders(tf.spec, port), dstIP: clusterIP };
    }
    if (!live) throw new Error("destination is not specified");
    return { headers: probeHeaders(tf.spec) };
  };

  const start = async (tf: Traceflow, tag: number) => {
    const spec = tf.spec;
    const liveTraffic = spec.liveTraffic === true;
    const receiverOnly = !spec.source?.pod;
    const [podName, podNamespace] = receiverOnly
      ? [spec.destination?.pod, spec.destination?.namespace]
      : [spec.source?.pod, spec.source?.namespace];
    const local = store
      .list()
      .find((i) => i.podName === podName && i.podNamespace === (podNamespace ?? "default") && i.ofport > 0);
    const trace: RunningTrace = {
      name: tf.metadata.name,
      uid: tf.metadata.uid ?? "",
      tag,
      liveTraffic,
      droppedOnly: liveTraffic && spec.droppedOnly === true,
      receiverOnly,
      isSender: local !== undefined && !receiverOnly,
      receivedPacket: false,
    };
    running.set(tag, trace);
    const timeout = traceflowTimeoutSeconds(tf);
    trace.timer = setTimeout(() => void uninstall(trace).catch(() => undefined), timeout * 1000);

    let probe: Probe | undefined;
    let role: TraceflowRole = { kind: "follow" };
    try {
      if (local) {
        probe = await prepareProbe(tf, receiverOnly);
        if (liveTraffic) {
          const tp = spec.packet?.transportHeader;
          const specSrcPort = tp?.tcp?.srcPort || tp?.udp?.srcPort;
          const match: LiveMatch = {
            protocol: protocolKeyword(probe.headers.protocol),
            ...(receiverOnly && spec.source?.ip ? { srcIP: spec.source.ip } : {}),
            ...(probe.dstIP ? { dstIP: probe.dstIP } : {}),
            // Only a source port the spec names: the probe's own is random.
            ...(specSrcPort ? { srcPort: specSrcPort } : {}),
            ...(probe.headers.dstPort ? { dstPort: probe.headers.dstPort } : {}),
          };
          role = receiverOnly
            ? { kind: "liveReceiver", ofport: local.ofport, podMAC: local.mac, match }
            : { kind: "liveSender", ofport: local.ofport, match };
        }
      }
      await opts.flows.update((tx) =>
        tx.setFlows(
          owner(tag),
          traceflowFlows({
            node,
            tag,
            timeoutSeconds: timeout,
            role,
            liveTraffic,
            droppedOnly: trace.droppedOnly,
            policyFlows: opts.networkPolicy.flows(),
          }),
        ),
      );
    } catch (err) {
      await uninstall(trace).catch(() => undefined);
      await fail(tf, errorMessage(err));
      return;
    }
    log.info(
      `Traceflow ${trace.name}: tag ${tag}, ${trace.isSender ? "sender" : trace.receiverOnly && local ? "receiver" : "observer"}` +
        `${liveTraffic ? ", live traffic" : ""}; flows installed`,
    );
    if (liveTraffic || !trace.isSender || !local || !probe?.dstIP) return;
    const frame = probeFrame({
      srcMAC: local.mac,
      dstMAC: probe.dstMAC ?? node.gatewayMAC,
      srcIP: local.ip,
      dstIP: probe.dstIP,
      tag,
      headers: probe.headers,
    });
    const delay = probe.dstMAC ? INJECT_DELAY_LOCAL_MS : INJECT_DELAY_REMOTE_MS;
    trace.inject = setTimeout(() => {
      if (running.get(tag) !== trace) return;
      opts.ovs
        .ofctl("packet-out", opts.flows.bridge, [
          `in_port=${local.ofport} packet=${frame.toString("hex")} actions=${node.pipeline.resubmit("PipelineRootClassifier")}`,
        ])
        .then(() =>
          log.info(`Traceflow ${trace.name}: probe ${probe.dstIP ? `to ${probe.dstIP} ` : ""}injected`),
        )
        .catch(
          (err: unknown) => void fail(tf, `failed to inject the Traceflow packet: ${errorMessage(err)}`),
        );
    }, delay);
  };

  const handlePacketIn = (packetIn: PacketIn) => {
    if (packetIn.userdata !== TRACEFLOW_USERDATA) return;
    const ip = parseIpHeader(packetIn.packet);
    if (!ip) return;
    const trace = running.get(ip.dscp);
    if (!trace) {
      log.warn(`Traceflow packet-in with tag ${ip.dscp}, which no running Traceflow has`);
      return;
    }
    let captured: ReturnType<typeof capturedPacket> | undefined;
    if (trace.liveTraffic) {
      // Only the first packet of a live trace counts; the flows go so that no other connection is captured.
      if (trace.receivedPacket) return;
      trace.receivedPacket = true;
      void opts.flows.update((tx) => tx.deleteFlows(owner(trace.tag))).catch(() => undefined);
      if (trace.isSender || trace.receiverOnly || trace.droppedOnly) captured = capturedPacket(ip);
    }
    const observations = observe(packetIn, ip, {
      node,
      isSender: trace.isSender,
      receiverOnly: trace.receiverOnly,
      ruleByConjId: opts.networkPolicy.ruleByConjId,
    });
    const result = { node: nodeName, timestamp: Math.floor(Date.now() / 1000), observations };
    void writes
      .run(() => appendNodeResult(custom, { name: trace.name, uid: trace.uid }, result, captured))
      .then((written) => {
        const summary = observations.map((o) =>
          [o.component, o.componentInfo, o.action].filter(Boolean).join("/"),
        );
        log.info(
          `Traceflow ${trace.name}: ${written ? "reported" : "not reported (no longer running)"} ${summary.join(", ")}`,
        );
      })
      .catch((err: unknown) => log.warn(`cannot report Traceflow ${trace.name}: ${apiErrorMessage(err)}`));
  };

  let traceflows: WatchedList<KubernetesObject> | undefined;
  const sync = async () => {
    if (!traceflows || stopped) return;
    const active = new Map<number, Traceflow>();
    for (const o of traceflows.list()) {
      const tf = parseTraceflow(o);
      const tag = tf?.status?.dataplaneTag;
      if (tf && tf.status?.phase === "Running" && tag) active.set(tag, tf);
    }
    for (const trace of [...running.values()]) {
      const tf = active.get(trace.tag);
      if (!tf || tf.metadata.uid !== trace.uid) await uninstall(trace);
    }
    for (const [tag, tf] of active) if (!running.has(tag)) await start(tf, tag);
  };
  const loop = new SyncLoop("Traceflow sync", sync, log);
  const unsubscribe = opts.packetIns.subscribe(handlePacketIn);
  try {
    traceflows = await watchList({
      kc,
      path: TRACEFLOW_PATH,
      list: async () =>
        (await custom.listClusterCustomObject(TRACEFLOW_RESOURCE)) as KubernetesListObject<KubernetesObject>,
      onChange: () => loop.trigger(),
      log,
    });
  } catch (err) {
    unsubscribe();
    throw err;
  }
  loop.trigger();

  return {
    stop: async () => {
      stopped = true;
      unsubscribe();
      await loop.stop();
      await traceflows?.stop();
      // Flows stay, as all flows do when the agent stops: their hard timeout removes them, or the next agent's
      // reinstall does.
      for (const trace of running.values()) {
        clearTimeout(trace.timer);
        clearTimeout(trace.inject);
      }
      await writes.run(async () => undefined);
    },
  };
}
