// What `antctl traceflow` prints: Antrea's Response struct (pkg/antctl/raw/traceflow/command.go) marshalled as
// Go marshals it. Fields come in struct order and `omitempty` fields are left out when empty; YAML
// (gopkg.in/yaml.v2) ends with a newline, JSON (json.Marshal + json.Indent) does not. The captured packet keeps
// two quirks of Antrea's YAML: the key `tranportHeader`, and port/ID fields without YAML tags, which yaml.v2
// names by lowercasing (`srcport`) and prints even when zero.
import { stringify } from "yaml";
import type {
  NodeResult,
  Observation,
  TraceflowPacket,
  TraceflowSpec,
  TraceflowStatus,
} from "../api/traceflow.ts";
import { AntctlError } from "./errors.ts";

/** The parts of a Traceflow the output shows. */
export interface TraceflowView {
  metadata: { name: string };
  spec: Pick<TraceflowSpec, "source" | "destination">;
  status?: TraceflowStatus;
}

type Style = "yaml" | "json";
type Fields = Record<string, unknown>;

/** `tf` as `outputType` (yaml or json); any other type is Antrea's error. */
export function renderTraceflow(tf: TraceflowView, outputType: string): string {
  if (outputType === "json") return goJson(traceflowResponse(tf, "json"));
  if (outputType === "yaml")
    return stringify(traceflowResponse(tf, "yaml"), { indentSeq: false, lineWidth: 0 });
  throw new AntctlError("output types should be yaml or json");
}

/** The Response struct as a plain object whose key order is the marshalled order. */
function traceflowResponse(tf: TraceflowView, style: Style): Fields {
  const { source = {}, destination: dst = {} } = tf.spec;
  const status = tf.status ?? {};
  let destination: string | undefined;
  if (dst.ip) destination = dst.ip;
  else if (dst.pod) destination = `${dst.namespace ?? ""}/${dst.pod}`;
  else if (dst.service) destination = `${dst.namespace ?? ""}/${dst.service}`;
  return {
    name: tf.metadata.name,
    ...omitEmpty({
      phase: status.phase,
      reason: status.reason,
      // As Antrea: always namespace/pod, so "/" for an IP source or none.
      source: `${source.namespace ?? ""}/${source.pod ?? ""}`,
      destination,
      results: status.results?.map(nodeResult),
      capturedPacket: status.capturedPacket && capturedPacket(status.capturedPacket, style),
    }),
  };
}

function nodeResult(r: NodeResult): Fields {
  return omitEmpty({
    node: r.node,
    role: r.role,
    timestamp: r.timestamp,
    observations: r.observations?.map(observation),
  });
}

function observation(o: Observation): Fields {
  return omitEmpty({
    component: o.component,
    componentInfo: o.componentInfo,
    action: o.action,
    pod: o.pod,
    dstMAC: o.dstMAC,
    networkPolicy: o.networkPolicy,
    networkPolicyRule: o.networkPolicyRule,
    egress: o.egress,
    ttl: o.ttl,
    translatedSrcIP: o.translatedSrcIP,
    translatedDstIP: o.translatedDstIP,
    tunnelDstIP: o.tunnelDstIP,
    egressIP: o.egressIP,
    egressNode: o.egressNode,
    srcPodIP: o.srcPodIP,
  });
}

/** Antrea's CapturedPacket: addresses and length always; the IPv4 header only without an IPv6 one. */
function capturedPacket(p: TraceflowPacket, style: Style): Fields {
  const ipHeader = p.ipv6Header ? undefined : p.ipHeader;
  const t = p.transportHeader;
  const transport = t?.tcp || t?.udp || t?.icmp ? transportHeader(t, style) : undefined;
  return {
    srcIP: p.srcIP ?? "",
    dstIP: p.dstIP ?? "",
    length: p.length ?? 0,
    ...omitEmpty({
      ipHeader:
        ipHeader && omitEmpty({ protocol: ipHeader.protocol, ttl: ipHeader.ttl, flags: ipHeader.flags }),
      // nextHeader is a pointer: 0 is kept.
      ipv6Header: p.ipv6Header && {
        ...(p.ipv6Header.nextHeader !== undefined ? { nextHeader: p.ipv6Header.nextHeader } : {}),
        ...omitEmpty({ hopLimit: p.ipv6Header.hopLimit }),
      },
      [style === "yaml" ? "tranportHeader" : "transportHeader"]: transport,
    }),
  };
}

function transportHeader(t: NonNullable<TraceflowPacket["transportHeader"]>, style: Style): Fields {
  const { icmp, udp, tcp } = t;
  if (style === "yaml") {
    return omitEmpty({
      icmp: icmp && { id: icmp.id ?? 0, sequence: icmp.sequence ?? 0 },
      udp: udp && { srcport: udp.srcPort ?? 0, dstport: udp.dstPort ?? 0 },
      tcp: tcp && { srcport: tcp.srcPort ?? 0, dstport: tcp.dstPort ?? 0, flags: tcp.flags ?? null },
    });
  }
  return omitEmpty({
    icmp: icmp && omitEmpty({ id: icmp.id, sequence: icmp.sequence }),
    udp: udp && omitEmpty({ srcPort: udp.srcPort, dstPort: udp.dstPort }),
    tcp: tcp && {
      ...omitEmpty({ srcPort: tcp.srcPort, dstPort: tcp.dstPort }),
      ...(tcp.flags !== undefined ? { flags: tcp.flags } : {}),
    },
  });
}

/** Go's `omitempty`: drops absent values, "", 0, false and empty lists; keeps key order. */
function omitEmpty(fields: Fields): Fields {
  return Object.fromEntries(
    Object.entries(fields).filter(
      ([, v]) =>
        v !== undefined &&
        v !== null &&
        v !== "" &&
        v !== 0 &&
        v !== false &&
        !(Array.isArray(v) && !v.length),
    ),
  );
}

/** json.Marshal (which escapes <, >, & and U+2028/9) indented by json.Indent with two spaces; no final newline. */
function goJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
