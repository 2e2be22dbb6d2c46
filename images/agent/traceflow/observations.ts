// What one Traceflow packet-in says, in Antrea's vocabulary and order (pkg/agent/controller/traceflow/packetin.go,
// spec §3.4): where the packet came from on this Node, Service load balancing, the NetworkPolicy rules that let it
// through, the drop that stopped it, and where the Output table sent it.
import type { Observation } from "../../api/traceflow.ts";
import type { LocalNode } from "../flows/local-node.ts";
import type { RuleRef } from "../networkpolicy/rules.ts";
import type { PacketIn } from "../openflow/packet-in.ts";
import {
  APConjIDField,
  OutputRegField,
  OutputToOFPortRegMark,
  type RegField,
  readRegField,
  TargetOFPortField,
  TFEgressConjIDField,
  TFIngressConjIDField,
} from "../pipeline/fields.ts";
import type { TableName } from "../pipeline/tables.ts";
import type { IpHeader } from "./packet.ts";

export interface ObservationContext {
  readonly node: LocalNode;
  /** The source Pod is on this Node (it injected the packet, or captures the live trace). */
  readonly isSender: boolean;
  /** A live trace with only a destination Pod, captured here. */
  readonly receiverOnly: boolean;
  readonly ruleByConjId: (id: number) => RuleRef | undefined;
}

/** The register value a packet-in carries (0 when OVS left it out, which it does for zero registers). */
function register(p: PacketIn, reg: number): bigint {
  const text = p.fields.get(`reg${reg}`);
  return text === undefined ? 0n : BigInt(text);
}

function field(p: PacketIn, f: RegField): number {
  return Number(readRegField(f, register(p, f.reg)));
}

/** ct_nw_src / ct_nw_dst: present only when the packet was tracked. */
function ctAddress(p: PacketIn, name: "ct_nw_src" | "ct_nw_dst"): string | undefined {
  const v = p.fields.get(name);
  return v && v !== "0.0.0.0" ? v : undefined;
}

function policyObservation(
  table: TableName,
  action: "Forwarded" | "Dropped",
  rule: RuleRef | undefined,
): Observation {
  return {
    component: "NetworkPolicy",
    componentInfo: table,
    action: rule?.action === "Reject" && action === "Dropped" ? "Rejected" : action,
    ...(rule ? { networkPolicy: rule.policy } : {}),
    ...(rule?.name ? { networkPolicyRule: rule.name } : {}),
  };
}

export function observe(packetIn: PacketIn, ip: IpHeader, ctx: ObservationContext): Observation[] {
  const { node } = ctx;
  const table = node.pipeline.resolve(packetIn.fields.get("table_id") ?? "")?.name;
  const obs: Observation[] = [];

  if (ctx.isSender) {
    obs.push({
      component: "SpoofGuard",
      action: "Forwarded",
      srcPodIP: ctAddress(packetIn, "ct_nw_src") ?? ip.src,
    });
  } else {
    obs.push({ component: "Forwarding", action: "Received" });
  }

  if (!ctx.receiverOnly) {
    const ctDst = ctAddress(packetIn, "ct_nw_dst");
    const ctSrc = ctAddress(packetIn, "ct_nw_src");
    const dnat = ctDst !== undefined && ctDst !== ip.dst;
    const snat = ctSrc !== undefined && ctSrc !== ip.src;
    if (dnat || snat) {
      obs.push({
        component: "LB",
        action: "Forwarded",
        ...(snat ? { translatedSrcIP: ip.src } : {}),
        translatedDstIP: ip.dst,
      });
    }
    const egressConj = field(packetIn, TFEgressConjIDField);
    if (egressConj) obs.push(policyObservation("EgressRule", "Forwarded", ctx.ruleByConjId(egressConj)));
  }
  const ingressConj = field(packetIn, TFIngressConjIDField);
  if (ingressConj) obs.push(policyObservation("IngressRule", "Forwarded", ctx.ruleByConjId(ingressConj)));

  if (table === "EgressMetric" || table === "IngressMetric") {
    const conj = field(packetIn, APConjIDField);
    obs.push(policyObservation(table, "Dropped", conj ? ctx.ruleByConjId(conj) : undefined));
  } else if (table === "EgressDefaultRule" || table === "IngressDefaultRule") {
    obs.push({ component: "NetworkPolicy", componentInfo: table, action: "Dropped" });
  }

  if (table === "Output") {
    const outPort =
      field(packetIn, OutputRegField) === OutputToOFPortRegMark.value
        ? field(packetIn, TargetOFPortField)
        : 0;
    const output: Observation = { component: "Forwarding", componentInfo: "Output", action: "Delivered" };
    if (outPort === node.tunnelOfport) {
      output.action = "Forwarded";
      const tunnelDst = packetIn.fields.get("tun_dst");
      if (tunnelDst) output.tunnelDstIP = tunnelDst;
    } else if (outPort === node.gatewayOfport && ip.dst !== node.gatewayIP) {
      output.action = "ForwardedOutOfNetwork";
    }
    obs.push(output);
  }
  return obs;
}
