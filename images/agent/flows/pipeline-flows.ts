// Flows that exist as soon as the pipeline does, whatever Pods, Nodes and Services there are: one table-miss flow
// per table (cookie category Default, as in Antrea) and the static flows of each feature (spec §1.4,
// docs/design/ovs-pipeline.md).
import { type Flow, FlowBuilder } from "../openflow/flow.ts";
import { CT_ZONE, PRIORITY, SNAT_CT_ZONE, VIRTUAL_SERVICE_IP } from "../pipeline/constants.ts";
import {
  ConnSNATCTMark,
  ConnSourceCTMarkField,
  EpSelectedRegMark,
  EpToSelectRegMark,
  FromGatewayRegMark,
  FromPodRegMark,
  HairpinCTMark,
  loadCtMark,
  loadRegMark,
  matchCtMarks,
  matchRegMarks,
  moveRegFieldToCtMark,
  NotServiceCTMark,
  OutputToOFPortRegMark,
  PktSourceField,
  RewriteMACRegMark,
  ServiceCTMark,
  SvcNoEpRegMark,
  ToGatewayRegMark,
  ToTunnelRegMark,
  ToUplinkRegMark,
} from "../pipeline/fields.ts";
import type { Pipeline, TableName } from "../pipeline/tables.ts";
import type { LocalNode } from "./local-node.ts";

/** The table-miss flow of every table. */
export function missFlows(p: Pipeline): Flow[] {
  const b = new FlowBuilder(p, "Default");
  return p.tables.map((t) => b.flow(t.name, PRIORITY.miss, [], p.missActions(t.name)));
}

/** Static flows of Pod connectivity: protocol dispatch, conntrack, TTL, output. */
export function podConnectivityFlows(p: Pipeline): Flow[] {
  const b = new FlowBuilder(p, "PodConnectivity");
  return [
    b.flow("PipelineRootClassifier", PRIORITY.normal, ["arp"], [p.goto("ARPSpoofGuard")]),
    b.flow("PipelineRootClassifier", PRIORITY.normal, ["ip"], [p.goto("Classifier")]),
    // ARP among local Pods and the gateway: a learning switch.
    b.flow("ARPResponder", PRIORITY.low, ["arp"], ["NORMAL"]),
    b.flow(
      "ConntrackZone",
      PRIORITY.normal,
      ["ip"],
      [`ct(table=${p.id("ConntrackState")},zone=${CT_ZONE},nat)`],
    ),
    b.flow("ConntrackState", PRIORITY.normal, ["ct_state=+inv+trk", "ip"], ["drop"]),
    // Packets from the gateway were routed by the node kernel, which decremented the TTL already.
    b.flow("L3DecTTL", PRIORITY.high, ["ip", matchRegMarks(FromGatewayRegMark)], [p.gotoNext("L3DecTTL")]),
    b.flow("L3DecTTL", PRIORITY.normal, ["ip"], ["dec_ttl", p.gotoNext("L3DecTTL")]),
    b.flow(
      "ConntrackCommit",
      PRIORITY.normal,
      ["ct_state=+new+trk-snat", matchCtMarks(NotServiceCTMark), "ip"],
      [
        `ct(commit,table=${p.id("Output")},zone=${CT_ZONE},exec(${moveRegFieldToCtMark(PktSourceField, ConnSourceCTMarkField)}))`,
      ],
    ),
    b.flow("Output", PRIORITY.normal, [matchRegMarks(OutputToOFPortRegMark)], ["output:NXM_NX_REG1[]"]),
  ];
}

/** Static flows of AntreaProxy: Endpoint selection and DNAT, hairpin SNAT, un-SNAT of replies. */
export function antreaProxyFlows(n: LocalNode): Flow[] {
  const p = n.pipeline;
  if (!p.has("ServiceLB")) return [];
  const b = new FlowBuilder(p, "Service");
  const afterDNAT = p.next("EndpointDNAT");
  const snatCommit = (src: string, marks: string[]) =>
    `ct(commit,table=${p.id(p.next("SNAT"))},zone=${SNAT_CT_ZONE},nat(src=${src}),exec(${marks.join(",")}))`;
  return [
    b.flow(
      "UnSNAT",
      PRIORITY.normal,
      ["ip", `nw_dst=${VIRTUAL_SERVICE_IP}`],
      [`ct(table=${p.id("ConntrackZone")},zone=${SNAT_CT_ZONE},nat)`],
    ),
    b.flow(
      "UnSNAT",
      PRIORITY.normal,
      ["ip", `nw_dst=${n.gatewayIP}`],
      [`ct(table=${p.id("ConntrackZone")},zone=${SNAT_CT_ZONE},nat)`],
    ),
    // Tracked packets of known connections skip Endpoint selection; Service connections get their MACs rewritten.
    b.flow(
      "ConntrackState",
      PRIORITY.low,
      ["ct_state=-new+trk", matchCtMarks(NotServiceCTMark), "ip"],
      [p.goto(afterDNAT)],
    ),
    b.flow(
      "ConntrackState",
      PRIORITY.low,
      ["ct_state=-new+trk", matchCtMarks(ServiceCTMark), "ip"],
      [loadRegMark(RewriteMACRegMark), p.goto(afterDNAT)],
    ),
    b.flow(
      "PreRoutingClassifier",
      PRIORITY.normal,
      ["ip"],
      [p.resubmit("SessionAffinity"), p.resubmit("ServiceLB")],
    ),
    // A Service without Endpoints: to the controller (Antrea answers with a reject; without one it is dropped).
    b.flow(
      "EndpointDNAT",
      PRIORITY.normal,
      [matchRegMarks(SvcNoEpRegMark)],
      ["controller(reason=no_match,id=62373,userdata=04)"],
    ),
    b.flow(
      "EndpointDNAT",
      PRIORITY.low,
      [matchRegMarks(EpSelectedRegMark)],
      [loadRegMark(EpToSelectRegMark), p.resubmit("ServiceLB")],
    ),
    b.flow(
      "L3Forwarding",
      PRIORITY.low,
      [matchCtMarks(ServiceCTMark), matchRegMarks(RewriteMACRegMark, FromGatewayRegMark)],
      [`set_field:${n.gatewayMAC}->eth_dst`, loadRegMark(ToGatewayRegMark), p.goto("L3DecTTL")],
    ),
    b.flow(
      "SNAT",
      PRIORITY.normal,
      ["ct_state=+new+trk", matchCtMarks(HairpinCTMark), "ip", matchRegMarks(FromGatewayRegMark)],
      [snatCommit(VIRTUAL_SERVICE_IP, [loadCtMark(ServiceCTMark), loadCtMark(HairpinCTMark)])],
    ),
    b.flow(
      "SNAT",
      PRIORITY.normal,
      ["ct_state=+new+trk", matchCtMarks(HairpinCTMark), "ip", matchRegMarks(FromPodRegMark)],
      [snatCommit(n.gatewayIP, [loadCtMark(ServiceCTMark), loadCtMark(HairpinCTMark)])],
    ),
    b.flow(
      "SNAT",
      PRIORITY.normal,
      ["ct_state=-new-rpl+trk", matchCtMarks(ConnSNATCTMark), "ip"],
      [`ct(table=${p.id(p.next("SNAT"))},zone=${SNAT_CT_ZONE},nat)`],
    ),
    b.flow(
      "SNAT",
      PRIORITY.low,
      ["ct_state=+new+trk", matchCtMarks(ConnSNATCTMark), "ip", matchRegMarks(FromGatewayRegMark)],
      [snatCommit(n.gatewayIP, [loadCtMark(ServiceCTMark)])],
    ),
    b.flow(
      "IngressSecurityClassifier",
      PRIORITY.normal,
      [matchCtMarks(HairpinCTMark)],
      [p.goto("ConntrackCommit")],
    ),
    // Hairpin: back out of the port the packet came in on.
    b.flow("Output", PRIORITY.high, [matchCtMarks(HairpinCTMark)], ["IN_PORT"]),
  ];
}

/**
 * Static flows of NetworkPolicy: established and related connections bypass the rule tables, and traffic to the
 * gateway, a tunnel or the uplink skips ingress rules (they are enforced where the packet is delivered).
 */
export function networkPolicyFlows(n: LocalNode): Flow[] {
  const p = n.pipeline;
  const b = new FlowBuilder(p, "NetworkPolicy");
  const flows: Flow[] = [];
  const bypass = (rules: TableName, metric: TableName, priority: number) => {
    for (const state of ["ct_state=-new+est", "ct_state=-new+rel"]) {
      flows.push(b.flow(rules, priority, [state, "ip"], [p.goto(metric)]));
    }
  };
  if (p.has("AntreaPolicyEgressRule")) {
    bypass("AntreaPolicyEgressRule", "EgressMetric", PRIORITY.topAntreaPolicy);
    bypass("AntreaPolicyIngressRule", "IngressMetric", PRIORITY.topAntreaPolicy);
  } else {
    bypass("EgressRule", "EgressMetric", PRIORITY.high);
    bypass("IngressRule", "IngressMetric", PRIORITY.high);
  }
  // Kubelet probes must never be dropped by ingress rules. Antrea has iptables mark the node's own packets to
  // antrea-gw0 and matches pkt_mark here; a netdev datapath never sees the kernel's mark, so the same packets are
  // recognised by what marks them in the kernel: they come from the gateway with the gateway's address as source.
  flows.push(
    b.flow(
      "IngressSecurityClassifier",
      PRIORITY.high,
      ["ct_state=-rpl+trk", "ip", matchRegMarks(FromGatewayRegMark), `nw_src=${n.gatewayIP}`],
      [p.goto("ConntrackCommit")],
    ),
  );
  for (const dest of [ToGatewayRegMark, ToTunnelRegMark, ToUplinkRegMark]) {
    flows.push(
      b.flow("IngressSecurityClassifier", PRIORITY.normal, [matchRegMarks(dest)], [p.goto("IngressMetric")]),
    );
  }
  return flows;
}

/** All flows that do not depend on Pods, peers or Services. */
export function pipelineFlows(n: LocalNode): Flow[] {
  return [
    ...missFlows(n.pipeline),
    ...podConnectivityFlows(n.pipeline),
    ...antreaProxyFlows(n),
    ...networkPolicyFlows(n),
  ];
}
