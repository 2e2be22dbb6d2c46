// `antctl get agentinfo`: the AntreaAgentInfo this Node's agent reports (images/agent/agent-info.ts), shown as
// Antrea's AntreaAgentInfoResponse: every field but the object metadata.
import { z } from "zod";
import type { Kube } from "./kube.ts";
import { orNotFound } from "./kube.ts";
import { summarize, type TableSpec } from "./table.ts";

const objectRef = z.looseObject({ namespace: z.string().optional(), name: z.string().optional() });

const agentInfoSchema = z.looseObject({
  version: z.string().optional(),
  podRef: objectRef.optional(),
  nodeRef: objectRef.optional(),
  nodeSubnets: z.array(z.string()).optional(),
  networkPolicyControllerInfo: z
    .looseObject({
      networkPolicyNum: z.number().optional(),
      addressGroupNum: z.number().optional(),
      appliedToGroupNum: z.number().optional(),
    })
    .optional(),
  localPodNum: z.number().optional(),
  agentConditions: z.array(z.looseObject({ status: z.string() })).optional(),
});

export type AgentInfoResponse = z.infer<typeof agentInfoSchema>;

export async function getAgentInfo(kube: Kube): Promise<AgentInfoResponse> {
  const [name, { custom }] = await Promise.all([kube.localNode(), kube.clients()]);
  const obj = await orNotFound(
    custom.getClusterCustomObject({
      group: "crd.antrea.io",
      version: "v1beta1",
      plural: "antreaagentinfos",
      name,
    }),
  );
  const { apiVersion: _a, kind: _k, metadata: _m, ...info } = agentInfoSchema.parse(obj);
  return info;
}

/** Healthy unless a condition is False (Unhealthy) or Unknown; empty without conditions. */
function agentStatus(conditions: AgentInfoResponse["agentConditions"]): string {
  if (!conditions) return "";
  if (conditions.some((c) => c.status === "False")) return "Unhealthy";
  return conditions.some((c) => c.status === "Unknown") ? "Unknown" : "Healthy";
}

export function agentInfoTable(info: AgentInfoResponse): TableSpec {
  const np = info.networkPolicyControllerInfo ?? {};
  return {
    header: [
      "POD",
      "NODE",
      "STATUS",
      "NODE-SUBNET",
      "NETWORK-POLICIES",
      "ADDRESS-GROUPS",
      "APPLIED-TO-GROUPS",
      "LOCAL-PODS",
    ],
    rows: [
      [
        `${info.podRef?.namespace ?? ""}/${info.podRef?.name ?? ""}`,
        info.nodeRef?.name ?? "",
        agentStatus(info.agentConditions),
        summarize(info.nodeSubnets ?? []),
        String(np.networkPolicyNum ?? 0),
        String(np.addressGroupNum ?? 0),
        String(np.appliedToGroupNum ?? 0),
        String(info.localPodNum ?? 0),
      ],
    ],
    sortRows: true,
  };
}
