// Flows for antrea-gw0 and antrea-tun0 (spec §1.4 "Gateway / Pod classification", docs/design/ovs-pipeline.md):
// classification, spoof checks, routing to the gateway and to the tunnel, and their L2 entries.
import { type Flow, FlowBuilder } from "../openflow/flow.ts";
import { GLOBAL_VIRTUAL_MAC, PRIORITY } from "../pipeline/constants.ts";
import {
  FromExternalRegMark,
  FromGatewayCTMark,
  FromGatewayRegMark,
  FromLocalRegMark,
  FromPodRegMark,
  FromTunnelRegMark,
  loadRegField,
  loadRegMark,
  matchCtMarks,
  matchRegMarks,
  NotAntreaFlexibleIPAMRegMark,
  NotRewriteMACRegMark,
  OutputToOFPortRegMark,
  RewriteMACRegMark,
  TargetOFPortField,
  ToGatewayRegMark,
} from "../pipeline/fields.ts";
import type { LocalNode } from "./local-node.ts";

/** L2ForwardingCalc: "this MAC is behind that port". */
export function l2ForwardingFlow(b: FlowBuilder, mac: string, ofport: number): Flow {
  const p = b.pipeline;
  return b.flow(
    "L2ForwardingCalc",
    PRIORITY.normal,
    [`dl_dst=${mac}`],
    [
      loadRegField(TargetOFPortField, ofport),
      loadRegMark(OutputToOFPortRegMark),
      p.gotoNext("L2ForwardingCalc"),
    ],
  );
}

export function gatewayFlows(n: LocalNode): Flow[] {
  const p = n.pipeline;
  const b = new FlowBuilder(p, "PodConnectivity");
  const gw = n.gatewayOfport;
  const toGateway = [`set_field:${n.gatewayMAC}->eth_dst`, loadRegMark(ToGatewayRegMark), p.goto("L3DecTTL")];
  const flows = [
    b.flow(
      "ARPSpoofGuard",
      PRIORITY.normal,
      ["arp", `in_port=${gw}`, `arp_spa=${n.gatewayIP}`, `arp_sha=${n.gatewayMAC}`],
      [p.goto("ARPResponder")],
    ),
    // From the node itself (source = gateway IP) or from outside, routed by the node (any other source).
    b.flow(
      "Classifier",
      PRIORITY.high,
      ["ip", `in_port=${gw}`, `nw_src=${n.gatewayIP}`],
      [loadRegMark(FromGatewayRegMark), loadRegMark(FromLocalRegMark), p.goto("SpoofGuard")],
    ),
    b.flow(
      "Classifier",
      PRIORITY.normal,
      [`in_port=${gw}`],
      [loadRegMark(FromGatewayRegMark), loadRegMark(FromExternalRegMark), p.goto("SpoofGuard")],
    ),
    // Tunnelled packets were checked on the sending node; their MACs are rewritten on delivery.
    b.flow(
      "Classifier",
      PRIORITY.normal,
      [`in_port=${n.tunnelOfport}`],
      [loadRegMark(FromTunnelRegMark), loadRegMark(RewriteMACRegMark), p.gotoNext("SpoofGuard")],
    ),
    b.flow("SpoofGuard", PRIORITY.normal, ["ip", `in_port=${gw}`], [p.gotoNext("SpoofGuard")]),
    b.flow("L3Forwarding", PRIORITY.high, ["ip", `nw_dst=${n.gatewayIP}`], toGateway),
    // Replies of connections that came in through the gateway go back out through it.
    b.flow(
      "L3Forwarding",
      PRIORITY.high,
      ["ct_state=+rpl+trk", matchCtMarks(FromGatewayCTMark), "ip"],
      toGateway,
    ),
    // Between local Pods: no router in the path, MACs stay.
    b.flow(
      "L3Forwarding",
      PRIORITY.normal,
      ["ip", matchRegMarks(NotRewriteMACRegMark), `nw_dst=${n.podCIDR}`],
      [p.goto("L2ForwardingCalc")],
    ),
    l2ForwardingFlow(b, n.gatewayMAC, gw),
    l2ForwardingFlow(b, GLOBAL_VIRTUAL_MAC, n.tunnelOfport),
  ];
  if (p.has("EgressMark")) {
    flows.push(
      // Pod to external, and tunnelled traffic to external (SNATed here for an Egress): Egress decides.
      b.flow(
        "L3Forwarding",
        PRIORITY.low,
        ["ct_state=-rpl+trk", "ip", matchRegMarks(FromPodRegMark, NotAntreaFlexibleIPAMRegMark)],
        [p.goto("EgressMark")],
      ),
      b.flow(
        "L3Forwarding",
        PRIORITY.low,
        ["ct_state=-rpl+trk", "ip", matchRegMarks(FromTunnelRegMark)],
        [`set_field:${n.gatewayMAC}->eth_dst`, p.goto("EgressMark")],
      ),
      // Traffic to Node addresses is never SNATed by an Egress.
      egressBypassFlow(b, n.nodeIP),
      // Tunnelled traffic to external that no Egress of this node claims.
      b.flow(
        "EgressMark",
        PRIORITY.low,
        ["ct_state=+new+trk", "ip", matchRegMarks(FromTunnelRegMark)],
        ["drop"],
      ),
    );
  }
  return flows;
}

/** EgressMark: traffic to a Node's transport address goes to the gateway without Egress SNAT. */
export function egressBypassFlow(b: FlowBuilder, nodeIP: string): Flow {
  const p = b.pipeline;
  return b.flow(
    "EgressMark",
    PRIORITY.high,
    ["ip", `nw_dst=${nodeIP}`],
    [loadRegMark(ToGatewayRegMark), p.goto("L2ForwardingCalc")],
  );
}
