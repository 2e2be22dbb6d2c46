// Where a reject answer goes, from the packet-in of the rejected packet (the sending side is the packet-out that
// the lab tests exercise for real).
import { describe, expect, it } from "vitest";
import { OvsTools } from "../../common/ovs.ts";
import type { LocalNode } from "../flows/local-node.ts";
import { InterfaceStore } from "../interface-store.ts";
import { stdoutLogger } from "../log.ts";
import { parseIpv4Frame } from "../packet/ipv4-frame.ts";
import { Pipeline } from "../pipeline/tables.ts";
import { RejectResponder } from "./reject-responder.ts";

const node: LocalNode = {
  pipeline: new Pipeline({ service: true, antreaPolicy: true, egress: true }),
  podCIDR: "10.244.2.0/24",
  gatewayIP: "10.244.2.1",
  gatewayMAC: "0a:00:00:00:02:01",
  gatewayOfport: 32769,
  tunnelOfport: 32768,
  nodeIP: "172.18.1.4",
};
const store = new InterfaceStore();
store.set({
  containerId: "c1",
  podName: "client",
  podNamespace: "default",
  ifName: "eth0",
  hostIfName: "client-1a2b3c",
  hostMac: "0a:00:00:00:00:99",
  ip: "10.244.1.2",
  mac: "0a:a2:7a:aa:8c:5c",
  ofport: 7,
});
const responder = new RejectResponder({
  node,
  ovs: new OvsTools("/nonexistent"),
  bridge: "br-int",
  store,
  log: stdoutLogger(),
});

// A SYN 10.244.1.2:49138 -> 10.244.2.2:80.
const SYN = Buffer.from(
  "86bcf900cc410aa27aaa8c5c08004500003c017240003e06225f0af401020af40202bff20050ee31092700000000a002fd5c88750000020405820402080a3431bda40000000001030309",
  "hex",
);
const packetIn = (fields: Record<string, string>) => ({
  fields: new Map(Object.entries({ ct_nw_dst: "10.244.2.2", ct_tp_dst: "80", ...fields })),
  userdata: "02.04",
  packet: SYN,
});

describe("reject responder", () => {
  it("answers a local Pod out of its port, from the gateway MAC", () => {
    const out = responder.answer(packetIn({ in_port: "7" }))!;
    expect(out.actions).toBe("output:7");
    expect(out.frame.subarray(0, 12).toString("hex")).toBe("0aa27aaa8c5c0a0000000201");
    expect(parseIpv4Frame(out.frame)).toMatchObject({ src: "10.244.2.2", dst: "10.244.1.2", protocol: 6 });
  });

  it("answers a client behind the tunnel through the tunnel to its Node", () => {
    const out = responder.answer(packetIn({ in_port: "32768", tun_src: "172.18.1.3" }))!;
    expect(out.actions).toBe("set_field:172.18.1.3->tun_dst,output:32768");
    expect(out.frame.subarray(0, 6).toString("hex")).toBe("aabbccddeeff");
  });

  it("answers a Service connection DNATed here from the Service address", () => {
    const out = responder.answer(packetIn({ in_port: "7", ct_nw_dst: "10.96.0.5", ct_tp_dst: "8080" }))!;
    const ip = parseIpv4Frame(out.frame)!;
    expect(ip.src).toBe("10.96.0.5");
    expect(ip.ip.readUInt16BE(ip.headerLength)).toBe(8080);
  });

  it("does not answer packets from unknown ports", () => {
    expect(responder.answer(packetIn({ in_port: "42" }))).toBeUndefined();
  });
});
