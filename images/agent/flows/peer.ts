// Per-peer-Node flows (encap mode): route the peer's Pod CIDR into the tunnel towards its transport address, and
// answer the node kernel's ARP for the peer's gateway (the next hop of the host route) with the Global Virtual MAC.
import { type Flow, FlowBuilder } from "../openflow/flow.ts";
import { GLOBAL_VIRTUAL_MAC, PRIORITY } from "../pipeline/constants.ts";
import { loadRegMark, ToTunnelRegMark } from "../pipeline/fields.ts";
import { egressBypassFlow } from "./gateway.ts";
import type { LocalNode } from "./local-node.ts";

export interface PeerNode {
  readonly name: string;
  readonly podCIDR: string;
  /** First address of the peer's Pod CIDR (its antrea-gw0). */
  readonly gatewayIP: string;
  /** Transport address (InternalIP): the tunnel's remote end. */
  readonly nodeIP: string;
}

export function peerFlows(n: LocalNode, peer: PeerNode, objectId: number): Flow[] {
  const p = n.pipeline;
  const b = new FlowBuilder(p, "PodConnectivity", objectId);
  const flows = [
    b.flow(
      "L3Forwarding",
      PRIORITY.normal,
      ["ip", `nw_dst=${peer.podCIDR}`],
      [
        `set_field:${n.gatewayMAC}->eth_src`,
        `set_field:${GLOBAL_VIRTUAL_MAC}->eth_dst`,
        `set_field:${peer.nodeIP}->tun_dst`,
        loadRegMark(ToTunnelRegMark),
        p.goto("L3DecTTL"),
      ],
    ),
    b.flow(
      "ARPResponder",
      PRIORITY.normal,
      ["arp", `arp_tpa=${peer.gatewayIP}`, "arp_op=1"],
      [
        "move:NXM_OF_ETH_SRC[]->NXM_OF_ETH_DST[]",
        `set_field:${GLOBAL_VIRTUAL_MAC}->eth_src`,
        "set_field:2->arp_op",
        "move:NXM_NX_ARP_SHA[]->NXM_NX_ARP_THA[]",
        `set_field:${GLOBAL_VIRTUAL_MAC}->arp_sha`,
        "move:NXM_OF_ARP_SPA[]->NXM_OF_ARP_TPA[]",
        `set_field:${peer.gatewayIP}->arp_spa`,
        "IN_PORT",
      ],
    ),
  ];
  if (p.has("EgressMark")) flows.push(egressBypassFlow(b, peer.nodeIP));
  return flows;
}
