import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import type { LocalNode } from "../flows/local-node.ts";
import { serviceGroup, servicePortFlows } from "../flows/service.ts";
import { parseCidr } from "../ipv4.ts";
import { renderFlow, renderGroup } from "../openflow/flow.ts";
import { Pipeline } from "../pipeline/tables.ts";
import { servicePorts } from "./service-ports.ts";

const svc = (name: string, spec: V1Service["spec"]): V1Service => ({
  metadata: { namespace: "ns", name },
  spec,
});
const slice = (service: string, s: Omit<V1EndpointSlice, "addressType">): V1EndpointSlice => ({
  addressType: "IPv4",
  ...s,
  metadata: { namespace: "ns", name: `${service}-x`, labels: { "kubernetes.io/service-name": service } },
});

describe("AntreaProxy service ports", () => {
  it("joins Service ports with the ready Endpoints of the matching EndpointSlice port", () => {
    const ports = servicePorts(
      [
        svc("web", {
          clusterIP: "10.96.0.10",
          ports: [
            { name: "http", port: 80, protocol: "TCP" },
            { name: "dns", port: 53, protocol: "UDP" },
          ],
        }),
        svc("headless", { clusterIP: "None", ports: [{ port: 80 }] }),
      ],
      [
        slice("web", {
          ports: [
            { name: "http", port: 8080, protocol: "TCP" },
            { name: "dns", port: 5353, protocol: "UDP" },
          ],
          endpoints: [
            { addresses: ["10.244.1.5"], conditions: { ready: true } },
            { addresses: ["10.244.2.7"] },
            { addresses: ["10.244.1.9"], conditions: { ready: false } },
          ],
        }),
      ],
      parseCidr("10.244.1.0/24"),
    );
    expect(ports).toEqual([
      {
        key: "ns/web:80/TCP",
        clusterIP: "10.96.0.10",
        port: 80,
        protocol: "TCP",
        endpoints: [
          { ip: "10.244.1.5", port: 8080, local: true },
          { ip: "10.244.2.7", port: 8080, local: false },
        ],
      },
      {
        key: "ns/web:53/UDP",
        clusterIP: "10.96.0.10",
        port: 53,
        protocol: "UDP",
        endpoints: [
          { ip: "10.244.1.5", port: 5353, local: true },
          { ip: "10.244.2.7", port: 5353, local: false },
        ],
      },
    ]);
  });

  it("renders Antrea's ServiceLB flow, select group and EndpointDNAT flows", () => {
    const node = { pipeline: new Pipeline({ service: true, antreaPolicy: true, egress: true }) } as LocalNode;
    const port = {
      clusterIP: "10.105.31.235",
      port: 80,
      protocol: "TCP" as const,
      groupId: 10,
      endpoints: [
        { ip: "10.10.0.24", port: 80, local: true },
        { ip: "10.10.1.6", port: 80, local: false },
      ],
    };
    expect(renderGroup(serviceGroup(node, port))).toBe(
      "group_id=10,type=select," +
        "bucket=bucket_id:0,weight:100,actions=set_field:0xa0a0018->reg3,set_field:0x50/0xffff->reg4,resubmit(,11)," +
        "bucket=bucket_id:1,weight:100,actions=set_field:0x4000000/0x4000000->reg4,set_field:0xa0a0106->reg3,set_field:0x50/0xffff->reg4,resubmit(,11)",
    );
    expect(servicePortFlows(node, port).map(renderFlow)).toEqual([
      "cookie=0x103000000000a,table=10,priority=200,tcp,reg4=0x10000/0x70000,nw_dst=10.105.31.235,tp_dst=80 actions=set_field:0x200/0x200->reg0,set_field:0x20000/0x70000->reg4,set_field:0xa->reg7,group:10",
      "cookie=0x103000000000a,table=11,priority=200,tcp,reg3=0xa0a0018,reg4=0x20050/0x7ffff actions=ct(commit,table=12,zone=65520,nat(dst=10.10.0.24:80),exec(set_field:0x10/0x10->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))",
      "cookie=0x103000000000a,table=11,priority=200,tcp,reg3=0xa0a0106,reg4=0x20050/0x7ffff actions=ct(commit,table=12,zone=65520,nat(dst=10.10.1.6:80),exec(set_field:0x10/0x10->ct_mark,move:NXM_NX_REG0[0..3]->NXM_NX_CT_MARK[0..3]))",
    ]);
    expect(renderGroup(serviceGroup(node, { ...port, endpoints: [] }))).toBe(
      "group_id=10,type=select,bucket=bucket_id:0,weight:100,actions=set_field:0x4000/0x4000->reg0,resubmit(,11)",
    );
  });
});
