// The flows of one Traceflow on one Node (Antrea's InstallTraceflowFlows, spec §3.4), all with the Traceflow cookie
// category and a hard timeout so that OVS drops them even if the agent never does. Tagged packets are those whose
// IP DSCP is the Traceflow's dataplane tag; OVS prints the match as `nw_tos=<tag*4>`.
//   - ConntrackState: tagged packets go on to PreRouting whatever their connection state; tagged replies are dropped.
//     A live trace instead tags the first packet of a matching new connection (sender: from the source Pod's port;
//     receiver-only: to the destination Pod's MAC, in L2ForwardingCalc).
//   - Output: a copy to the agent where the packet leaves (tunnel: forwarded on too; gateway or Pod port: consumed,
//     unless the trace is live, where the tag is cleared and the packet delivered).
//   - The NetworkPolicy drops (K8s isolation drops in *DefaultRule, Antrea deny rules in *Metric) get a copy at a
//     higher priority that sends tagged packets to the agent, so a drop is observed where it happens.
import type { LocalNode } from "../flows/local-node.ts";
import { type Flow, FlowBuilder } from "../openflow/flow.ts";
import { PRIORITY } from "../pipeline/constants.ts";
import {
  HairpinCTMark,
  loadRegField,
  loadRegMark,
  matchCtMarks,
  matchRegField,
  matchRegMarks,
  OutputToOFPortRegMark,
  TargetOFPortField,
} from "../pipeline/fields.ts";
import type { TableName } from "../pipeline/tables.ts";

/** `controller()` userdata of Traceflow packet-ins (Antrea's PacketInCategoryTF). */
export const TRACEFLOW_USERDATA = "00";
/** Enough of a packet for its Ethernet, IP (with options) and transport headers. */
const PACKET_IN_MAX_LEN = 128;

/** The first packet of a live trace: what a connection must look like to be traced. */
export interface LiveMatch {
  /** ip, icmp, tcp or udp. */
  readonly protocol: "ip" | "icmp" | "tcp" | "udp";
  readonly srcIP?: string;
  readonly dstIP?: string;
  readonly srcPort?: number;
  readonly dstPort?: number;
}

export type TraceflowRole =
  /** Injected trace, or a Node that does not capture in a live trace: follow tagged packets. */
  | { readonly kind: "follow" }
  /** Live trace, source Pod on this Node: tag the first matching packet from its port. */
  | { readonly kind: "liveSender"; readonly ofport: number; readonly match: LiveMatch }
  /** Live trace with only a destination Pod, which is on this Node: tag the first matching packet to it. */
  | {
      readonly kind: "liveReceiver";
      readonly ofport: number;
      readonly podMAC: string;
      readonly match: LiveMatch;
    };

export interface TraceflowFlowsInput {
  readonly node: LocalNode;
  readonly tag: number;
  readonly timeoutSeconds: number;
  readonly role: TraceflowRole;
  readonly liveTraffic: boolean;
  /** Live traces only: report drops, nothing else. */
  readonly droppedOnly: boolean;
  /** The NetworkPolicy flows now in OVS; their drops are copied. */
  readonly policyFlows: readonly Flow[];
}

const DROP_COPY_TABLES: ReadonlySet<TableName> = new Set([
  "EgressDefaultRule",
  "IngressDefaultRule",
  "EgressMetric",
  "IngressMetric",
]);

/** `nw_tos=28` for tag 7: the DSCP sits in the upper six bits of the TOS byte. */
export function matchTag(tag: number): string {
  return `nw_tos=${tag << 2}`;
}

function setTag(tag: number): string {
  return `set_field:${tag}->ip_dscp`;
}

export function traceflowFlows(input: TraceflowFlowsInput): Flow[] {
  const { node, tag, role, liveTraffic, droppedOnly } = input;
  const p = node.pipeline;
  const b = new FlowBuilder(p, "Traceflow");
  const hard = { hardTimeout: Math.min(input.timeoutSeconds, 0xffff) };
  const tagged = matchTag(tag);
  const toAgent = droppedOnly
    ? []
    : [`controller(max_len=${PACKET_IN_MAX_LEN},userdata=${TRACEFLOW_USERDATA})`];
  // A live trace delivers the packet it observed, without the tag; an injected one ends at the agent.
  const deliver = liveTraffic ? [setTag(0), "output:NXM_NX_REG1[]"] : [];
  const flows: Flow[] = [];

  switch (role.kind) {
    case "follow":
      flows.push(
        b.flow(
          "ConntrackState",
          PRIORITY.low + 1,
          ["ip", tagged],
          [p.goto(p.stageStart("preRouting"))],
          hard,
        ),
        b.flow("ConntrackState", PRIORITY.low + 2, ["ct_state=+rpl+trk", "ip", tagged], ["drop"], hard),
      );
      break;
    case "liveSender":
      flows.push(
        b.flow(
          "ConntrackState",
          PRIORITY.low,
          [`in_port=${role.ofport}`, "ct_state=+new+trk", ...liveMatch(role.match, "dst")],
          [setTag(tag), p.goto(p.stageStart("preRouting"))],
          hard,
        ),
      );
      break;
    case "liveReceiver":
      flows.push(
        b.flow(
          "L2ForwardingCalc",
          PRIORITY.high,
          ["ct_state=+new+trk", `dl_dst=${role.podMAC}`, ...liveMatch(role.match, "src")],
          [
            loadRegField(TargetOFPortField, role.ofport),
            loadRegMark(OutputToOFPortRegMark),
            setTag(tag),
            p.goto(p.stageStart("ingressSecurity")),
          ],
          hard,
        ),
      );
      break;
  }

  const output = (priority: number, match: string[], actions: string[]) => {
    if (actions.length) flows.push(b.flow("Output", priority, ["ip", ...match, tagged], actions, hard));
  };
  const toPort = matchRegMarks(OutputToOFPortRegMark);
  // Into the tunnel: observed and forwarded, so that the receiving Node sees the tagged packet too.
  output(
    PRIORITY.normal + 3,
    [matchRegField(TargetOFPortField, node.tunnelOfport), toPort],
    ["output:NXM_NX_REG1[]", ...toAgent],
  );
  // Out of the overlay through the gateway (encap mode): the trace ends here.
  output(
    PRIORITY.normal + 2,
    [matchRegField(TargetOFPortField, node.gatewayOfport), toPort],
    [...toAgent, ...deliver],
  );
  output(
    PRIORITY.normal + 3,
    [matchRegField(TargetOFPortField, node.gatewayOfport), `nw_dst=${node.gatewayIP}`, toPort],
    [...toAgent, ...deliver],
  );
  // To a Pod port.
  output(PRIORITY.normal + 2, [toPort], [...toAgent, ...deliver]);
  // Hairpin Service connections leave through the port they came in on.
  if (p.has("ServiceLB")) {
    output(
      PRIORITY.high + 2,
      [matchCtMarks(HairpinCTMark)],
      [...toAgent, ...(liveTraffic ? [setTag(0), "IN_PORT"] : [])],
    );
  }

  // Drops are reported even for droppedOnly traces: that is what they capture.
  for (const f of input.policyFlows) {
    if (!DROP_COPY_TABLES.has(f.table) || f.actions !== "drop") continue;
    const match = f.match.split(",").filter((m) => m && m !== "ip");
    flows.push(
      b.flow(
        f.table,
        PRIORITY.normal + 2,
        ["ip", ...match, tagged],
        [`controller(max_len=${PACKET_IN_MAX_LEN},userdata=${TRACEFLOW_USERDATA})`],
        hard,
      ),
    );
  }
  return flows;
}

/** Protocol and address/port matches of a live trace; `peer` says which address the match names. */
function liveMatch(m: LiveMatch, peer: "src" | "dst"): string[] {
  const out: string[] = [m.protocol];
  const ip = peer === "dst" ? m.dstIP : m.srcIP;
  if (ip) out.push(`nw_${peer}=${ip}`);
  if (m.protocol === "tcp" || m.protocol === "udp") {
    if (m.dstPort) out.push(`tp_dst=${m.dstPort}`);
    if (m.srcPort) out.push(`tp_src=${m.srcPort}`);
  }
  return out;
}
