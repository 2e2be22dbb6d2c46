// The annotations of NodePortLocal, with Antrea's keys and JSON (pkg/agent/nodeportlocal/types/types.go): the
// Service annotation that asks for node ports, and the Pod annotation that lists them.
import { z } from "zod";

/** On a Service: "true" asks for a node port per selected local Pod and target port. */
export const NPL_ENABLED_ANNOTATION = "nodeportlocal.antrea.io/enabled";
/** On a Pod: the JSON list of its node ports. */
export const NPL_ANNOTATION = "nodeportlocal.antrea.io";

export type NplProtocol = "tcp" | "udp";

export interface NplAnnotation {
  podPort: number;
  nodeIP: string;
  nodePort: number;
  protocol: NplProtocol;
  ipFamily: "IPv4" | "IPv6";
}

const port = z.number().int().min(1).max(65535);
// What another agent run (or Antrea) wrote: read back on restart to keep node ports. Unknown fields are ignored.
const annotationSchema = z.array(
  z.object({
    podPort: port,
    nodeIP: z.string(),
    nodePort: port,
    protocol: z.enum(["tcp", "udp"]),
    ipFamily: z.enum(["IPv4", "IPv6"]).default("IPv4"),
  }),
);

/** The entries of a Pod's annotation value; undefined when it is absent or not Antrea's JSON. */
export function parseNplAnnotation(text: string | undefined): NplAnnotation[] | undefined {
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = annotationSchema.safeParse(json);
  return parsed.success ? parsed.data : undefined;
}

/** The annotation value: entries sorted by pod port and protocol, fields in Antrea's order. */
export function formatNplAnnotation(entries: readonly NplAnnotation[]): string {
  const sorted = [...entries].sort((a, b) => a.podPort - b.podPort || a.protocol.localeCompare(b.protocol));
  return JSON.stringify(
    sorted.map((e) => ({
      podPort: e.podPort,
      nodeIP: e.nodeIP,
      nodePort: e.nodePort,
      protocol: e.protocol,
      ipFamily: e.ipFamily,
    })),
  );
}
