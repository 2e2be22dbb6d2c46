// The agent's status in the API, as Antrea reports it: an AntreaAgentInfo (crd.antrea.io/v1beta1, cluster-scoped,
// named after the Node) created at start and refreshed periodically. Skipped when the API does not serve the kind.
import { ApiException, type CustomObjectsApi } from "@kubernetes/client-node";
import { errorMessage, type Logger } from "./log.ts";

const GROUP = "crd.antrea.io";
const VERSION = "v1beta1";
const PLURAL = "antreaagentinfos";
export const AGENT_VERSION = "v0.1.0-ovslab";

export interface AgentInfoFacts {
  nodeName: string;
  podCIDR: string;
  ovsVersion: string;
  bridge: string;
  /** Flows per table id. */
  flowTable: Record<string, number>;
  localPodNum: number;
}

export function agentInfoObject(f: AgentInfoFacts, now: Date): Record<string, unknown> {
  const heartbeat = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const condition = (type: string) => ({
    type,
    status: "True",
    lastHeartbeatTime: heartbeat,
    reason: "",
    message: "",
  });
  const pod = process.env.POD_NAME
    ? {
        podRef: {
          kind: "Pod",
          namespace: process.env.POD_NAMESPACE ?? "kube-system",
          name: process.env.POD_NAME,
        },
      }
    : {};
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "AntreaAgentInfo",
    metadata: { name: f.nodeName },
    version: AGENT_VERSION,
    ...pod,
    nodeRef: { kind: "Node", name: f.nodeName },
    nodeSubnets: [f.podCIDR],
    ovsInfo: { version: f.ovsVersion, bridgeName: f.bridge, flowTable: f.flowTable },
    networkPolicyControllerInfo: { networkPolicyNum: 0, addressGroupNum: 0, appliedToGroupNum: 0 },
    localPodNum: f.localPodNum,
    agentConditions: [
      "AgentHealthy",
      "ControllerConnectionUp",
      "OVSDBConnectionUp",
      "OpenflowConnectionUp",
    ].map(condition),
    apiPort: 10350,
  };
}

/** Whether the API serves AntreaAgentInfo. */
export async function servesAgentInfo(api: CustomObjectsApi): Promise<boolean> {
  try {
    const list = await api.getAPIResources({ group: GROUP, version: VERSION });
    return list.resources.some((r) => r.name === PLURAL);
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return false;
    throw err;
  }
}

/** Creates or replaces the Node's AntreaAgentInfo. */
export async function reportAgentInfo(
  api: CustomObjectsApi,
  facts: AgentInfoFacts,
  log: Logger,
): Promise<void> {
  const body = agentInfoObject(facts, new Date());
  const ref = { group: GROUP, version: VERSION, plural: PLURAL, name: facts.nodeName };
  try {
    let existing: { metadata?: { resourceVersion?: string } } | undefined;
    try {
      existing = (await api.getClusterCustomObject(ref)) as typeof existing;
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 404)) throw err;
    }
    if (existing) {
      const metadata = { name: facts.nodeName, resourceVersion: existing.metadata?.resourceVersion };
      await api.replaceClusterCustomObject({ ...ref, body: { ...body, metadata } });
    } else {
      await api.createClusterCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, body });
    }
  } catch (err) {
    log.warn(`cannot report AntreaAgentInfo ${facts.nodeName}: ${errorMessage(err)}`);
  }
}
