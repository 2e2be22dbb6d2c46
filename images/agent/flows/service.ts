// AntreaProxy flows of one Service port (spec §1.2, docs/design/ovs-pipeline.md ServiceLB / EndpointDNAT): the
// first packet of a connection to ClusterIP:port goes to a select group whose buckets each load one Endpoint
// into reg3/reg4; EndpointDNAT then commits the connection with DNAT to that Endpoint in userspace conntrack.

import { parseIp } from "../ipv4.ts";
import { type Flow, FlowBuilder, type Group } from "../openflow/flow.ts";
import { CT_ZONE, PRIORITY } from "../pipeline/constants.ts";
import {
  ConnSourceCTMarkField,
  EndpointIPField,
  EndpointPortField,
  EpSelectedRegMark,
  EpToSelectRegMark,
  EpUnionField,
  loadCtMark,
  loadRegField,
  loadRegMark,
  matchRegField,
  matchRegMarks,
  moveRegFieldToCtMark,
  PktSourceField,
  RemoteEndpointRegMark,
  RewriteMACRegMark,
  ServiceCTMark,
  ServiceGroupIDField,
  SvcNoEpRegMark,
} from "../pipeline/fields.ts";
import type { LocalNode } from "./local-node.ts";

export type ServiceProtocol = "TCP" | "UDP" | "SCTP";

export interface ServiceEndpoint {
  readonly ip: string;
  readonly port: number;
  /** On this node (a remote one is marked RemoteEndpoint, as Antrea does). */
  readonly local: boolean;
}

export interface ServicePort {
  readonly clusterIP: string;
  readonly port: number;
  readonly protocol: ServiceProtocol;
  readonly endpoints: readonly ServiceEndpoint[];
  /** OVS group (and cookie object id) of this Service port. */
  readonly groupId: number;
}

const ofProto = (p: ServiceProtocol) => p.toLowerCase();

export function serviceGroup(n: LocalNode, svc: ServicePort): Group {
  const dnat = n.pipeline.resubmit("EndpointDNAT");
  const buckets = svc.endpoints.length
    ? svc.endpoints.map((ep) =>
        [
          ...(ep.local ? [] : [loadRegMark(RemoteEndpointRegMark)]),
          loadRegField(EndpointIPField, parseIp(ep.ip)),
          loadRegField(EndpointPortField, ep.port),
          dnat,
        ].join(","),
      )
    : [[loadRegMark(SvcNoEpRegMark), dnat].join(",")];
  return { id: svc.groupId, type: "select", buckets };
}

export function servicePortFlows(n: LocalNode, svc: ServicePort): Flow[] {
  const p = n.pipeline;
  const b = new FlowBuilder(p, "Service", svc.groupId);
  const proto = ofProto(svc.protocol);
  const flows = [
    b.flow(
      "ServiceLB",
      PRIORITY.normal,
      [proto, matchRegMarks(EpToSelectRegMark), `nw_dst=${svc.clusterIP}`, `tp_dst=${svc.port}`],
      [
        loadRegMark(RewriteMACRegMark),
        loadRegMark(EpSelectedRegMark),
        loadRegField(ServiceGroupIDField, svc.groupId),
        `group:${svc.groupId}`,
      ],
    ),
  ];
  for (const ep of svc.endpoints) flows.push(endpointDNATFlow(n, b, svc.protocol, ep));
  return flows;
}

/** Same table, priority and match for every Service that shares the Endpoint: the flow store keeps it shared. */
function endpointDNATFlow(
  n: LocalNode,
  b: FlowBuilder,
  protocol: ServiceProtocol,
  ep: ServiceEndpoint,
): Flow {
  const p = n.pipeline;
  const stateShift = BigInt(EpSelectedRegMark.field.start - EpUnionField.start);
  const selected = (BigInt(EpSelectedRegMark.value) << stateShift) | BigInt(ep.port);
  return b.flow(
    "EndpointDNAT",
    PRIORITY.normal,
    [
      ofProto(protocol),
      matchRegField(EndpointIPField, parseIp(ep.ip)),
      matchRegField(EpUnionField, selected),
    ],
    [
      `ct(commit,table=${p.id(p.next("EndpointDNAT"))},zone=${CT_ZONE},nat(dst=${ep.ip}:${ep.port}),exec(${loadCtMark(ServiceCTMark)},${moveRegFieldToCtMark(PktSourceField, ConnSourceCTMarkField)}))`,
    ],
  );
}
