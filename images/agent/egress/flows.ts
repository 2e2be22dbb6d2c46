// EgressMark flows (Antrea's featureEgress: snatIPFromTunnelFlow, snatRuleFlow; spec §4.3), plus what the userspace
// datapath needs on top: pkt_mark does not cross the netdev gateway into the node kernel
// (reference/ovs-userspace-datapath.md §8), so a packet that must be SNATed also leaves OVS with a source MAC that
// encodes its mark, and iptables turns that MAC back into the mark (see host.ts).

import type { LocalNode } from "../flows/local-node.ts";
import { type Flow, FlowBuilder } from "../openflow/flow.ts";
import { GLOBAL_VIRTUAL_MAC, PRIORITY } from "../pipeline/constants.ts";
import { loadRegMark, RemoteSNATRegMark, ToGatewayRegMark, ToTunnelRegMark } from "../pipeline/fields.ts";
import { SNAT_MARK_MASK } from "./marks.ts";

/** The source MAC that carries SNAT mark `mark` over antrea-gw0: 02:ee:00:00:00:<mark>, locally administered. */
export function markMac(mark: number): string {
  if (!Number.isInteger(mark) || mark < 1 || mark > SNAT_MARK_MASK)
    throw new RangeError(`bad SNAT mark ${mark}`);
  return `02:ee:00:00:00:${mark.toString(16).padStart(2, "0")}`;
}

/** `set_field:0x1/0xff->pkt_mark` (as Antrea), the marker MAC, then out through the gateway. */
function markAndToGateway(n: LocalNode, mark: number): string[] {
  return [
    `set_field:0x${mark.toString(16)}/0x${SNAT_MARK_MASK.toString(16)}->pkt_mark`,
    `set_field:${markMac(mark)}->eth_src`,
    loadRegMark(ToGatewayRegMark),
    n.pipeline.goto("L2ForwardingCalc"),
  ];
}

/** On the Node that holds `ip`: traffic tunnelled to it by other Nodes' Pods is SNATed here. */
export function localEgressIPFlows(n: LocalNode, ip: string, mark: number): Flow[] {
  const b = new FlowBuilder(n.pipeline, "Egress", mark);
  return [
    b.flow(
      "EgressMark",
      PRIORITY.normal,
      ["ct_state=+trk", "ip", `tun_dst=${ip}`],
      markAndToGateway(n, mark),
    ),
  ];
}

/** A local Pod whose Egress IP is on this Node: mark its traffic to external for the SNAT rule. */
export function localPodSNATFlow(n: LocalNode, ofport: number, mark: number): Flow {
  const b = new FlowBuilder(n.pipeline, "Egress", mark);
  return b.flow(
    "EgressMark",
    PRIORITY.normal,
    ["ct_state=+trk", "ip", `in_port=${ofport}`],
    markAndToGateway(n, mark),
  );
}

/** A local Pod whose Egress IP is on another Node: tunnel its traffic to external to the Egress IP itself. */
export function remotePodSNATFlow(n: LocalNode, ofport: number, ip: string): Flow {
  const b = new FlowBuilder(n.pipeline, "Egress");
  return b.flow(
    "EgressMark",
    PRIORITY.normal,
    ["ip", `in_port=${ofport}`],
    [
      `set_field:${n.gatewayMAC}->eth_src`,
      `set_field:${GLOBAL_VIRTUAL_MAC}->eth_dst`,
      `set_field:${ip}->tun_dst`,
      loadRegMark(ToTunnelRegMark),
      loadRegMark(RemoteSNATRegMark),
      n.pipeline.goto("L2ForwardingCalc"),
    ],
  );
}
