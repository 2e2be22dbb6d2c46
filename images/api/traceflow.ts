// Traceflow (crd.antrea.io/v1beta1, cluster-scoped): the one schema the controller, the agents, antctl and the
// harness read and write (pkg/apis/crd/v1beta1/types.go, spec §3). Objects come from the API, so they are parsed,
// not trusted; unknown fields are kept (passthrough) so that a status write never drops what another writer set.
import { z } from "zod";
import { CRD_GROUP, CRD_VERSION } from "./crd-policy.ts";

export const TRACEFLOW_RESOURCE = { group: CRD_GROUP, version: CRD_VERSION, plural: "traceflows" } as const;
export const TRACEFLOW_API_VERSION = `${CRD_GROUP}/${CRD_VERSION}`;
export const TRACEFLOW_PATH = `/apis/${CRD_GROUP}/${CRD_VERSION}/traceflows`;

/** Seconds, when spec.timeout is 0 or absent (crdv1beta1.DefaultTraceflowTimeout). */
export const DEFAULT_TRACEFLOW_TIMEOUT_S = 20;
/** status.reason of a Traceflow the controller gave up on. */
export const TRACEFLOW_TIMEOUT_REASON = "Traceflow timeout";

/**
 * Dataplane tags are DSCP values whose low two bits are 0b11 (RFC 2474 pool 2, "experimental or local use"):
 * 7, 11, 15, ..., 59, i.e. at most 14 Traceflows at once.
 */
export const TRACEFLOW_TAGS: readonly number[] = Array.from({ length: 14 }, (_, i) => (i + 1) * 4 + 3);

export const TRACEFLOW_PHASES = ["Running", "Succeeded", "Failed"] as const;
export type TraceflowPhase = (typeof TRACEFLOW_PHASES)[number];

export const COMPONENTS = ["SpoofGuard", "LB", "Routing", "NetworkPolicy", "Forwarding", "Egress"] as const;
export type TraceflowComponent = (typeof COMPONENTS)[number];

export const ACTIONS = [
  "Delivered",
  "Received",
  "Forwarded",
  "Dropped",
  "Rejected",
  "ForwardedOutOfNetwork",
  "MarkedForSNAT",
  "ForwardedToEgressNode",
] as const;
export type TraceflowAction = (typeof ACTIONS)[number];

/** Actions that end a trace: the controller calls a Traceflow Succeeded once one of them was observed. */
export const FINAL_ACTIONS: ReadonlySet<string> = new Set([
  "Delivered",
  "Dropped",
  "Rejected",
  "ForwardedOutOfNetwork",
]);

const port = z.number().int().min(0).max(65535);

export const traceflowPacketSchema = z
  .object({
    srcIP: z.string().optional(),
    dstIP: z.string().optional(),
    length: z.number().int().optional(),
    ipHeader: z
      .object({
        protocol: z.number().int().min(0).max(255).optional(),
        ttl: z.number().int().min(0).max(255).optional(),
        flags: z.number().int().optional(),
      })
      .optional(),
    ipv6Header: z
      .object({ nextHeader: z.number().int().optional(), hopLimit: z.number().int().optional() })
      .optional(),
    transportHeader: z
      .object({
        icmp: z.object({ id: port.optional(), sequence: port.optional() }).optional(),
        udp: z.object({ srcPort: port.optional(), dstPort: port.optional() }).optional(),
        tcp: z
          .object({ srcPort: port.optional(), dstPort: port.optional(), flags: z.number().int().optional() })
          .optional(),
      })
      .optional(),
  })
  .passthrough();
export type TraceflowPacket = z.output<typeof traceflowPacketSchema>;

export const observationSchema = z
  .object({
    component: z.string(),
    componentInfo: z.string().optional(),
    action: z.string().optional(),
    pod: z.string().optional(),
    dstMAC: z.string().optional(),
    networkPolicy: z.string().optional(),
    networkPolicyRule: z.string().optional(),
    egress: z.string().optional(),
    ttl: z.number().int().optional(),
    translatedSrcIP: z.string().optional(),
    translatedDstIP: z.string().optional(),
    tunnelDstIP: z.string().optional(),
    egressIP: z.string().optional(),
    egressNode: z.string().optional(),
    srcPodIP: z.string().optional(),
  })
  .passthrough();
export type Observation = z.output<typeof observationSchema>;

export const nodeResultSchema = z
  .object({
    node: z.string().optional(),
    role: z.string().optional(),
    timestamp: z.number().int().optional(),
    observations: z.array(observationSchema).optional(),
  })
  .passthrough();
export type NodeResult = z.output<typeof nodeResultSchema>;

export const traceflowSpecSchema = z
  .object({
    source: z
      .object({ namespace: z.string().optional(), pod: z.string().optional(), ip: z.string().optional() })
      .optional(),
    destination: z
      .object({
        namespace: z.string().optional(),
        pod: z.string().optional(),
        service: z.string().optional(),
        ip: z.string().optional(),
      })
      .optional(),
    packet: traceflowPacketSchema.optional(),
    liveTraffic: z.boolean().optional(),
    droppedOnly: z.boolean().optional(),
    timeout: z.number().int().optional(),
  })
  .passthrough();
export type TraceflowSpec = z.output<typeof traceflowSpecSchema>;

export const traceflowStatusSchema = z
  .object({
    phase: z.string().optional(),
    reason: z.string().optional(),
    startTime: z.string().optional(),
    dataplaneTag: z.number().int().optional(),
    results: z.array(nodeResultSchema).optional(),
    capturedPacket: traceflowPacketSchema.optional(),
  })
  .passthrough();
export type TraceflowStatus = z.output<typeof traceflowStatusSchema>;

export const traceflowSchema = z
  .object({
    apiVersion: z.string().optional(),
    kind: z.string().optional(),
    metadata: z
      .object({
        name: z.string(),
        uid: z.string().optional(),
        resourceVersion: z.string().optional(),
        creationTimestamp: z.string().optional(),
      })
      .passthrough(),
    spec: traceflowSpecSchema.default({}),
    status: traceflowStatusSchema.optional(),
  })
  .passthrough();
export type Traceflow = z.output<typeof traceflowSchema>;

/** Parses an object from the API; undefined when it is not a Traceflow this code can act on. */
export function parseTraceflow(o: unknown): Traceflow | undefined {
  const r = traceflowSchema.safeParse(o);
  return r.success ? r.data : undefined;
}

/** spec.timeout in seconds, with Antrea's default for 0 or absent. */
export function traceflowTimeoutSeconds(tf: Traceflow): number {
  const t = tf.spec.timeout;
  return t && t > 0 ? t : DEFAULT_TRACEFLOW_TIMEOUT_S;
}
