// Per-Pod flows (Antrea's InstallPodFlows): classification and spoof checks on the Pod's port, routing to its IP
// and its L2 entry, plus the hairpin mark for a Pod that reaches itself through a Service.
import { type Flow, FlowBuilder } from "../openflow/flow.ts";
import { CT_ZONE, PRIORITY } from "../pipeline/constants.ts";
import {
  ConnSNATCTMark,
  FromLocalRegMark,
  FromPodRegMark,
  HairpinCTMark,
  loadCtMark,
  loadRegMark,
  matchRegMarks,
  RewriteMACRegMark,
} from "../pipeline/fields.ts";
import { l2ForwardingFlow } from "./gateway.ts";
import type { LocalNode } from "./local-node.ts";

export interface PodPort {
  /** IPv4 address, without prefix length. */
  readonly ip: string;
  readonly mac: string;
  readonly ofport: number;
}

export function podFlows(n: LocalNode, pod: PodPort): Flow[] {
  const p = n.pipeline;
  const b = new FlowBuilder(p, "PodConnectivity", pod.ofport);
  const port = `in_port=${pod.ofport}`;
  const flows = [
    b.flow(
      "Classifier",
      PRIORITY.low,
      [port],
      [loadRegMark(FromPodRegMark), loadRegMark(FromLocalRegMark), p.goto("SpoofGuard")],
    ),
    b.flow(
      "SpoofGuard",
      PRIORITY.normal,
      ["ip", port, `dl_src=${pod.mac}`, `nw_src=${pod.ip}`],
      [p.gotoNext("SpoofGuard")],
    ),
    b.flow(
      "ARPSpoofGuard",
      PRIORITY.normal,
      ["arp", port, `arp_spa=${pod.ip}`, `arp_sha=${pod.mac}`],
      [p.goto("ARPResponder")],
    ),
    // Tunnelled and Service traffic to the Pod: the gateway is the router that delivers it.
    b.flow(
      "L3Forwarding",
      PRIORITY.normal,
      ["ip", matchRegMarks(RewriteMACRegMark), `nw_dst=${pod.ip}`],
      [`set_field:${n.gatewayMAC}->eth_src`, `set_field:${pod.mac}->eth_dst`, p.goto("L3DecTTL")],
    ),
    l2ForwardingFlow(b, pod.mac, pod.ofport),
  ];
  if (p.has("SNATMark")) {
    flows.push(
      b.flow(
        "SNATMark",
        PRIORITY.low,
        ["ct_state=+new+trk", "ip", `nw_src=${pod.ip}`, `nw_dst=${pod.ip}`],
        [
          `ct(commit,table=${p.id("SNAT")},zone=${CT_ZONE},exec(${loadCtMark(ConnSNATCTMark)},${loadCtMark(HairpinCTMark)}))`,
        ],
      ),
    );
  }
  return flows;
}
