// Node registration and heartbeats, as the kubelet does them: create (or adopt) the Node, renew the
// coordination.k8s.io Lease in kube-node-lease every heartbeat, and post the node status when it changes
// (network readiness) and at least every nodeStatusReportSeconds. API failures are logged and retried.

import {
  ApiException,
  type CoordinationV1Api,
  type CoreV1Api,
  PatchStrategy,
  setHeaderOptions,
  V1MicroTime,
  type V1Node,
} from "@kubernetes/client-node";
import { describeApiError } from "../../images/common/api-error.ts";
import { loadNetworkConfig } from "./cni/config.ts";
import type { KubeletConfig } from "./config.ts";
import { errorMessage, type Logger } from "./log.ts";
import {
  buildNodeStatus,
  type HostFacts,
  hostFacts,
  type NetworkState,
  type NodeConditionJson,
  nodeLabels,
} from "./node-status.ts";

export const LEASE_NAMESPACE = "kube-node-lease";

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export interface NodeAgentDeps {
  config: KubeletConfig;
  core: CoreV1Api;
  coordination: CoordinationV1Api;
  log: Logger;
}

/** Whether the node's CNI configuration is present and valid (the runtime's NetworkReady). */
export async function networkState(confDir: string): Promise<NetworkState> {
  try {
    await loadNetworkConfig(confDir);
    return { ready: true };
  } catch (err) {
    return { ready: false, message: `cni plugin not initialized: ${errorMessage(err)}` };
  }
}

export class NodeAgent {
  private readonly host: HostFacts;
  private nodeUid?: string;
  private conditions: NodeConditionJson[] = [];
  private network?: NetworkState;
  private lastStatusAt = 0;
  private timer?: NodeJS.Timeout;
  private beating?: Promise<void>;
  private stopped = false;

  constructor(private readonly deps: NodeAgentDeps) {
    this.host = hostFacts(deps.config);
  }

  start(): void {
    const beat = () => {
      if (this.stopped || this.beating) return;
      this.beating = this.heartbeat().finally(() => {
        this.beating = undefined;
      });
    };
    this.timer = setInterval(beat, this.deps.config.heartbeatIntervalSeconds * 1000);
    beat();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.beating;
  }

  /** One heartbeat: register if needed, post the status if due, renew the Lease. */
  private async heartbeat(): Promise<void> {
    const { config, log } = this.deps;
    try {
      if (!this.nodeUid) await this.register();
      const network = await networkState(config.cni.confDir);
      const changed = JSON.stringify(network) !== JSON.stringify(this.network);
      if (changed || Date.now() - this.lastStatusAt >= config.nodeStatusReportSeconds * 1000) {
        await this.postStatus(network);
        if (changed)
          log.info(
            `node ${config.nodeName}: network ${network.ready ? "ready" : `not ready: ${network.message}`}`,
          );
        this.network = network;
      }
      await this.renewLease();
    } catch (err) {
      if (err instanceof ApiException && err.code === 404) this.nodeUid = undefined; // deleted: register again
      log.warn(`node ${config.nodeName}: heartbeat failed: ${describeApiError(err)}`);
    }
  }

  private async register(): Promise<void> {
    const { config, core, log } = this.deps;
    const labels = nodeLabels(config);
    let node: V1Node;
    try {
      node = await core.readNode({ name: config.nodeName });
      const missing = Object.entries(labels).filter(([k, v]) => node.metadata?.labels?.[k] !== v);
      const spec =
        config.podCIDR && !node.spec?.podCIDR
          ? { podCIDR: config.podCIDR, podCIDRs: [config.podCIDR] }
          : undefined;
      if (missing.length || spec) {
        node = await core.patchNode(
          {
            name: config.nodeName,
            body: { metadata: { labels: Object.fromEntries(missing) }, ...(spec ? { spec } : {}) },
          },
          MERGE_PATCH,
        );
      }
      log.info(`node ${config.nodeName}: adopted the existing Node`);
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
      const status = buildNodeStatus(
        config,
        this.host,
        { ready: false, message: "kubelet starting" },
        [],
        new Date(),
      );
      node = await core.createNode({
        body: {
          apiVersion: "v1",
          kind: "Node",
          metadata: { name: config.nodeName, labels },
          spec: {
            ...(config.taints.length ? { taints: config.taints } : {}),
            ...(config.podCIDR ? { podCIDR: config.podCIDR, podCIDRs: [config.podCIDR] } : {}),
          },
          status: status as unknown as V1Node["status"],
        },
      });
      log.info(`node ${config.nodeName}: registered`);
    }
    this.nodeUid = node.metadata?.uid;
    this.conditions = (node.status?.conditions ?? []).map((c) => ({
      type: c.type,
      status: c.status as NodeConditionJson["status"],
      reason: c.reason ?? "",
      message: c.message ?? "",
      lastHeartbeatTime: isoString(c.lastHeartbeatTime),
      lastTransitionTime: isoString(c.lastTransitionTime),
    }));
    if (node.spec?.podCIDR) log.info(`node ${config.nodeName}: podCIDR ${node.spec.podCIDR}`);
  }

  private async postStatus(network: NetworkState): Promise<void> {
    const { config, core } = this.deps;
    const status = buildNodeStatus(config, this.host, network, this.conditions, new Date());
    await core.patchNodeStatus({ name: config.nodeName, body: { status } }, MERGE_PATCH);
    this.conditions = status.conditions;
    this.lastStatusAt = Date.now();
  }

  private async renewLease(): Promise<void> {
    const { config, coordination } = this.deps;
    const spec = {
      holderIdentity: config.nodeName,
      leaseDurationSeconds: config.leaseDurationSeconds,
      renewTime: new V1MicroTime(),
    };
    try {
      await coordination.patchNamespacedLease(
        { name: config.nodeName, namespace: LEASE_NAMESPACE, body: { spec } },
        MERGE_PATCH,
      );
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
      await coordination.createNamespacedLease({
        namespace: LEASE_NAMESPACE,
        body: {
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: {
            name: config.nodeName,
            namespace: LEASE_NAMESPACE,
            ...(this.nodeUid
              ? {
                  ownerReferences: [
                    { apiVersion: "v1", kind: "Node", name: config.nodeName, uid: this.nodeUid },
                  ],
                }
              : {}),
          },
          spec,
        },
      });
    }
  }
}

function isoString(v: unknown): string {
  if (v instanceof Date) return v.toISOString().replace(/\.\d+Z$/, "Z");
  return typeof v === "string" ? v : "";
}
