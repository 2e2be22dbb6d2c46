// Answers packets stopped by Reject rules. The rule's conj_id flow copies the packet to the controller
// (policy-flows.ts) and drops it in the metric table; the packet-in arrives through the monitor, and the answer
// (reject-packet.ts) goes out with `ovs-ofctl packet-out` straight to where the client is, bypassing the pipeline
// as Antrea does for Pod clients (the rejected packet never reached ConntrackCommit, so an answer through
// conntrack would be invalid):
//   - a local Pod (in_port is its port): to that port, from the gateway MAC;
//   - a remote Pod (in_port is the tunnel): back into the tunnel to the sender's Node (tun_src), whose
//     conntrack holds the connection (it committed it on the way out) and un-NATs the answer for Services;
//   - the node itself (in_port is antrea-gw0): to antrea-gw0.
// A Service connection DNATed on this Node is answered from the Service address (ct_nw_dst/ct_tp_dst).
import type { OvsTools } from "../../common/ovs.ts";
import type { LocalNode } from "../flows/local-node.ts";
import type { InterfaceStore } from "../interface-store.ts";
import { errorMessage, type Logger } from "../log.ts";
import type { PacketIn } from "../openflow/packet-in.ts";
import { ethernetFrame, parseIpv4Frame } from "../packet/ipv4-frame.ts";
import { GLOBAL_VIRTUAL_MAC } from "../pipeline/constants.ts";
import { SerialQueue } from "../serial.ts";
import { REJECT_USERDATA } from "./policy-flows.ts";
import { rejectResponse } from "./reject-packet.ts";

/** Packet-outs waiting beyond this are dropped: a flood of rejected packets must not pile up work. */
const MAX_PENDING = 64;

export class RejectResponder {
  private readonly queue = new SerialQueue();
  private pending = 0;

  constructor(
    private readonly deps: {
      node: LocalNode;
      ovs: OvsTools;
      bridge: string;
      store: InterfaceStore;
      log: Logger;
    },
  ) {}

  /** Handles one packet-in; ignores those that are not from a Reject rule. */
  handle(packetIn: PacketIn): void {
    if (packetIn.userdata !== REJECT_USERDATA || this.pending >= MAX_PENDING) return;
    const out = this.answer(packetIn);
    if (!out) return;
    this.pending++;
    void this.queue
      .run(() =>
        this.deps.ovs.ofctl("packet-out", this.deps.bridge, [
          `in_port=controller packet=${out.frame.toString("hex")} actions=${out.actions}`,
        ]),
      )
      .catch((err: unknown) => this.deps.log.warn(`cannot send reject answer: ${errorMessage(err)}`))
      .finally(() => this.pending--);
  }

  /** The frame to send and the actions that deliver it, or undefined when there is nothing to answer. */
  answer(packetIn: PacketIn): { frame: Buffer; actions: string } | undefined {
    const { node, store } = this.deps;
    const f = packetIn.fields;
    const pkt = parseIpv4Frame(packetIn.packet);
    if (!pkt) return undefined;
    const origIp = f.get("ct_nw_dst");
    const origPort = Number(f.get("ct_tp_dst") ?? Number.NaN);
    const dnat = origIp !== undefined && origIp !== pkt.dst && Number.isInteger(origPort);
    const ip = rejectResponse({
      frame: packetIn.packet,
      ...(dnat ? { originalDestination: { ip: origIp, port: origPort } } : {}),
    });
    if (!ip) return undefined;
    const inPort = Number(f.get("in_port"));
    const pod = store.list().find((i) => i.ofport === inPort);
    if (pod) return { frame: ethernetFrame(node.gatewayMAC, pod.mac, ip), actions: `output:${inPort}` };
    if (inPort === node.tunnelOfport) {
      const peer = f.get("tun_src");
      if (!peer) return undefined;
      return {
        frame: ethernetFrame(node.gatewayMAC, GLOBAL_VIRTUAL_MAC, ip),
        actions: `set_field:${peer}->tun_dst,output:${node.tunnelOfport}`,
      };
    }
    if (inPort === node.gatewayOfport) {
      return { frame: ethernetFrame(GLOBAL_VIRTUAL_MAC, node.gatewayMAC, ip), actions: `output:${inPort}` };
    }
    return undefined;
  }
}
