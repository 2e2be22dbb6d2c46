// The pure parts of the agent's Traceflow: flows per role (rendered as OVS gets them), the probe packet (valid
// checksums, DSCP tag, Antrea's defaults), and observations from packet-ins in Antrea's vocabulary and order.
import { describe, expect, it } from "vitest";
import type { LocalNode } from "../flows/local-node.ts";
import { FlowBuilder, renderFlow } from "../openflow/flow.ts";
import type { PacketIn } from "../openflow/packet-in.ts";
import { checksum, parseIpv4Frame } from "../packet/ipv4-frame.ts";
import { GATEWAY_OFPORT, TUNNEL_OFPORT } from "../pipeline/constants.ts";
import { Pipeline } from "../pipeline/tables.ts";
import { traceflowFlows } from "./flows.ts";
import { observe } from "./observations.ts";
import { capturedPacket, parseIpHeader, probeFrame, probeHeaders } from "./packet.ts";

const pipeline = new Pipeline({ service: true, antreaPolicy: true, egress: true });
const node: LocalNode = {
  pipeline,
  podCIDR: "10.244.1.0/24",
  gatewayIP: "10.244.1.1",
  gatewayMAC: "0a:00:00:00:00:01",
  gatewayOfport: GATEWAY_OFPORT,
  tunnelOfport: TUNNEL_OFPORT,
  nodeIP: "172.18.0.3",
};
const id = (t: Parameters<Pipeline["id"]>[0]) => pipeline.id(t);

describe("Traceflow flows", () => {
  const policy = new FlowBuilder(pipeline, "NetworkPolicy");
  const policyFlows = [
    policy.flow("IngressDefaultRule", 200, ["reg1=0x3"], ["drop"]),
    policy.flow("EgressDefaultRule", 200, ["ip", "nw_src=10.244.1.2"], ["drop"]),
    policy.flow("IngressMetric", 200, ["reg0=0x400/0x400", "reg3=0x5"], ["drop"]),
    policy.flow("IngressRule", 200, ["reg1=0x3"], ["conjunction(2,2/2)"]),
  ];

  it("follows tagged packets: ConntrackState 191/192, Output copies, drop copies, all with the hard timeout", () => {
    const text = traceflowFlows({
      node,
      tag: 7,
      timeoutSeconds: 20,
      role: { kind: "follow" },
      liveTraffic: false,
      droppedOnly: false,
      policyFlows,
    }).map(renderFlow);
    const c = "cookie=0x1070000000000,hard_timeout=20";
    const toAgent = "controller(max_len=128,userdata=00)";
    expect(text).toEqual([
      `${c},table=${id("ConntrackState")},priority=191,ip,nw_tos=28 actions=goto_table:${id("PreRoutingClassifier")}`,
      `${c},table=${id("ConntrackState")},priority=192,ct_state=+rpl+trk,ip,nw_tos=28 actions=drop`,
      `${c},table=${id("Output")},priority=203,ip,reg1=0x8000,reg0=0x200000/0x600000,nw_tos=28 actions=output:NXM_NX_REG1[],${toAgent}`,
      `${c},table=${id("Output")},priority=202,ip,reg1=0x8001,reg0=0x200000/0x600000,nw_tos=28 actions=${toAgent}`,
      `${c},table=${id("Output")},priority=203,ip,reg1=0x8001,nw_dst=10.244.1.1,reg0=0x200000/0x600000,nw_tos=28 actions=${toAgent}`,
      `${c},table=${id("Output")},priority=202,ip,reg0=0x200000/0x600000,nw_tos=28 actions=${toAgent}`,
      `${c},table=${id("Output")},priority=212,ip,ct_mark=0x40/0x40,nw_tos=28 actions=${toAgent}`,
      `${c},table=${id("IngressDefaultRule")},priority=202,ip,reg1=0x3,nw_tos=28 actions=${toAgent}`,
      `${c},table=${id("EgressDefaultRule")},priority=202,ip,nw_src=10.244.1.2,nw_tos=28 actions=${toAgent}`,
      `${c},table=${id("IngressMetric")},priority=202,ip,reg0=0x400/0x400,reg3=0x5,nw_tos=28 actions=${toAgent}`,
    ]);
  });

  it("live traffic: tags the first new connection at the sender and delivers untagged; droppedOnly reports drops only", () => {
    const flows = traceflowFlows({
      node,
      tag: 11,
      timeoutSeconds: 300,
      role: { kind: "liveSender", ofport: 4, match: { protocol: "tcp", dstIP: "10.244.2.2", dstPort: 8080 } },
      liveTraffic: true,
      droppedOnly: true,
      policyFlows,
    });
    const text = flows.map((f) => `${f.table} ${f.priority} ${f.match} -> ${f.actions}`);
    expect(text[0]).toBe(
      `ConntrackState 190 in_port=4,ct_state=+new+trk,tcp,nw_dst=10.244.2.2,tp_dst=8080 -> set_field:11->ip_dscp,goto_table:${id("PreRoutingClassifier")}`,
    );
    const outputs = flows.filter((f) => f.table === "Output");
    expect(outputs.map((f) => f.actions)).toEqual([
      "output:NXM_NX_REG1[]",
      "set_field:0->ip_dscp,output:NXM_NX_REG1[]",
      "set_field:0->ip_dscp,output:NXM_NX_REG1[]",
      "set_field:0->ip_dscp,output:NXM_NX_REG1[]",
      "set_field:0->ip_dscp,IN_PORT",
    ]);
    expect(flows.filter((f) => f.actions.startsWith("controller(")).map((f) => f.table)).toEqual([
      "IngressDefaultRule",
      "EgressDefaultRule",
      "IngressMetric",
    ]);
  });

  it("receiver-only live traffic: tags in L2ForwardingCalc by the Pod's MAC and goes on to ingress security", () => {
    const [first] = traceflowFlows({
      node,
      tag: 15,
      timeoutSeconds: 20,
      role: {
        kind: "liveReceiver",
        ofport: 5,
        podMAC: "0a:11:22:33:44:55",
        match: { protocol: "icmp", srcIP: "10.244.2.9" },
      },
      liveTraffic: true,
      droppedOnly: false,
      policyFlows: [],
    });
    expect(`${first!.table} ${first!.priority} ${first!.match} -> ${first!.actions}`).toBe(
      "L2ForwardingCalc 210 ct_state=+new+trk,dl_dst=0a:11:22:33:44:55,icmp,nw_src=10.244.2.9 -> " +
        `set_field:0x5->reg1,set_field:0x200000/0x600000->reg0,set_field:15->ip_dscp,goto_table:${id("IngressSecurityClassifier")}`,
    );
  });
});

describe("Traceflow probe packet", () => {
  it("defaults to an ICMP echo request with TTL 64, tagged, with valid checksums", () => {
    const headers = probeHeaders({});
    expect(headers).toMatchObject({ protocol: 1, ttl: 64, icmpId: 0, icmpSeq: 0 });
    const frame = probeFrame({
      srcMAC: "0a:00:00:00:00:02",
      dstMAC: "0a:00:00:00:00:03",
      srcIP: "10.244.1.2",
      dstIP: "10.244.1.3",
      tag: 7,
      headers,
    });
    const pkt = parseIpv4Frame(frame)!;
    expect(checksum(pkt.ip.subarray(0, 20))).toBe(0);
    expect(checksum(pkt.ip.subarray(20))).toBe(0);
    expect(parseIpHeader(frame)).toMatchObject({
      src: "10.244.1.2",
      dst: "10.244.1.3",
      dscp: 7,
      ttl: 64,
      protocol: 1,
    });
  });

  it("TCP wins over UDP and ICMP, SYN by default; a Service destination lends its first port", () => {
    expect(
      probeHeaders({ packet: { transportHeader: { tcp: { dstPort: 80 }, udp: { dstPort: 53 } } } }),
    ).toMatchObject({ protocol: 6, dstPort: 80, tcpFlags: 2 });
    const svc = probeHeaders({}, { port: 80, protocol: "TCP" });
    expect(svc).toMatchObject({ protocol: 6, dstPort: 80, tcpFlags: 2 });
    expect(svc.srcPort).toBeGreaterThanOrEqual(1024);
    const frame = probeFrame({
      srcMAC: "0a:00:00:00:00:02",
      dstMAC: "0a:00:00:00:00:01",
      srcIP: "10.244.1.2",
      dstIP: "10.96.0.10",
      tag: 59,
      headers: svc,
    });
    const h = parseIpHeader(frame)!;
    expect(h).toMatchObject({ protocol: 6, dstPort: 80, tcpFlags: 2, dscp: 59, length: 40 });
    const pkt = parseIpv4Frame(frame)!;
    const pseudo = Buffer.from([10, 244, 1, 2, 10, 96, 0, 10, 0, 6, 0, 20]);
    expect(checksum(pseudo, pkt.ip.subarray(20))).toBe(0);
    expect(capturedPacket(h)).toEqual({
      srcIP: "10.244.1.2",
      dstIP: "10.96.0.10",
      length: 40,
      ipHeader: { protocol: 6, ttl: 64, flags: 0 },
      transportHeader: { tcp: { srcPort: svc.srcPort, dstPort: 80, flags: 2 } },
    });
  });
});

describe("Traceflow observations", () => {
  const frame = (src: string, dst: string) =>
    probeFrame({
      srcMAC: "0a:00:00:00:00:02",
      dstMAC: "aa:bb:cc:dd:ee:ff",
      srcIP: src,
      dstIP: dst,
      tag: 7,
      headers: probeHeaders({}),
    });
  const packetIn = (table: string, fields: Record<string, string>, src: string, dst: string): PacketIn => {
    const packet = frame(src, dst);
    return { fields: new Map(Object.entries({ table_id: table, ...fields })), userdata: "00", packet };
  };
  const rules = new Map([
    [2, { policy: "K8sNetworkPolicy:tf/allow-egress", action: "Allow" as const }],
    [5, { policy: "AntreaClusterNetworkPolicy:deny", name: "reject-b", action: "Reject" as const }],
  ]);
  const ctx = (isSender: boolean) => ({
    node,
    isSender,
    receiverOnly: false,
    ruleByConjId: (n: number) => rules.get(n),
  });
  const see = (p: PacketIn, isSender: boolean) => observe(p, parseIpHeader(p.packet)!, ctx(isSender));

  it("sender into the tunnel through a Service: SpoofGuard, LB, EgressRule, Output Forwarded with tunnelDstIP", () => {
    const p = packetIn(
      String(id("Output")),
      {
        ct_nw_src: "10.244.1.2",
        ct_nw_dst: "10.96.0.10",
        reg0: "0x200013",
        reg1: "0x8000",
        reg5: "0x2",
        tun_dst: "172.18.0.4",
      },
      "10.244.1.2",
      "10.244.2.2",
    );
    expect(see(p, true)).toEqual([
      { component: "SpoofGuard", action: "Forwarded", srcPodIP: "10.244.1.2" },
      { component: "LB", action: "Forwarded", translatedDstIP: "10.244.2.2" },
      {
        component: "NetworkPolicy",
        componentInfo: "EgressRule",
        action: "Forwarded",
        networkPolicy: "K8sNetworkPolicy:tf/allow-egress",
      },
      { component: "Forwarding", componentInfo: "Output", action: "Forwarded", tunnelDstIP: "172.18.0.4" },
    ]);
  });

  it("receiver: Received, then Delivered to a Pod port, or Rejected by the Antrea rule in IngressMetric", () => {
    const delivered = packetIn(
      String(id("Output")),
      { reg0: "0x200031", reg1: "0x3" },
      "10.244.2.2",
      "10.244.1.3",
    );
    expect(see(delivered, false)).toEqual([
      { component: "Forwarding", action: "Received" },
      { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
    ]);
    const rejected = packetIn(
      String(id("IngressMetric")),
      { reg0: "0x201431", reg3: "0x5" },
      "10.244.2.2",
      "10.244.1.3",
    );
    expect(see(rejected, false)).toEqual([
      { component: "Forwarding", action: "Received" },
      {
        component: "NetworkPolicy",
        componentInfo: "IngressMetric",
        action: "Rejected",
        networkPolicy: "AntreaClusterNetworkPolicy:deny",
        networkPolicyRule: "reject-b",
      },
    ]);
    const isolated = packetIn(String(id("IngressDefaultRule")), { reg1: "0x3" }, "10.244.2.2", "10.244.1.3");
    expect(see(isolated, false).at(-1)).toEqual({
      component: "NetworkPolicy",
      componentInfo: "IngressDefaultRule",
      action: "Dropped",
    });
  });

  it("to the gateway: ForwardedOutOfNetwork, or Delivered when the gateway IP is the destination", () => {
    const out = (dst: string) =>
      see(packetIn(String(id("Output")), { reg0: "0x200023", reg1: "0x8001" }, "10.244.1.2", dst), true).at(
        -1,
      );
    expect(out("172.18.0.254")).toEqual({
      component: "Forwarding",
      componentInfo: "Output",
      action: "ForwardedOutOfNetwork",
    });
    expect(out("10.244.1.1")).toEqual({
      component: "Forwarding",
      componentInfo: "Output",
      action: "Delivered",
    });
  });
});
