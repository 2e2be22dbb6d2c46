// The Traceflow that `antctl traceflow` creates, built from its flags as Antrea's antctl builds it
// (newTraceflow/getTFName in pkg/antctl/raw/traceflow/command.go): endpoints, packet, name and timeout.
import { randomInt } from "node:crypto";
import { isIPv4, isIPv6 } from "node:net";
import { TRACEFLOW_API_VERSION, type TraceflowSpec } from "../api/traceflow.ts";
import { AntctlError } from "./errors.ts";
import { parseFlow } from "./traceflow-flow.ts";

export interface TraceflowRequest {
  source?: string;
  destination?: string;
  flow?: string;
  liveTraffic: boolean;
  droppedOnly: boolean;
  nowait: boolean;
  /** spec.timeout; 0 leaves it out (the controller's default applies). */
  timeoutSeconds: number;
}

/** A new Traceflow object, as sent to the API server. */
export interface NewTraceflow {
  apiVersion: string;
  kind: "Traceflow";
  metadata: { name: string };
  spec: TraceflowSpec;
}

/** Whether `namespace/name` is a Pod: a destination name that is not one is taken for a Service. */
export type PodLookup = (namespace: string, name: string) => Promise<boolean>;

/** k8s.io/apimachinery's rand.String alphabet: no vowels (no words), no 0/1/3 (no look-alikes). */
const NAME_SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

export function randomNameSuffix(): string {
  return Array.from({ length: 8 }, () => NAME_SUFFIX_ALPHABET[randomInt(NAME_SUFFIX_ALPHABET.length)]).join(
    "",
  );
}

/**
 * `<src>-to-<dst>` (src/dst: `pod` for the default Namespace, `ns-pod`, the IP, or `any`), with `:` turned into
 * `-` so an IPv6 address makes a valid name, then `-<8 random characters>` unless --nowait (whose name is
 * predictable, since it is not printed).
 */
export function traceflowName(prefix: string, nowait: boolean, suffix = randomNameSuffix): string {
  const name = prefix.replaceAll("::", "-").replaceAll(":", "-");
  return nowait ? name : `${name}-${suffix()}`;
}

/** The address as Go's net.ParseIP(text).String() prints it, or undefined when it is not an IP address. */
export function canonicalIP(text: string): string | undefined {
  if (isIPv4(text)) return text;
  if (!isIPv6(text) || text.includes("%")) return undefined;
  const ip = new URL(`http://[${text}]/`).hostname.slice(1, -1);
  // Go prints IPv4-mapped IPv6 addresses as IPv4.
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(ip);
  if (!mapped) return ip;
  const [hi, lo] = [Number.parseInt(mapped[1]!, 16), Number.parseInt(mapped[2]!, 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
}

/** `ns/name` or `name` (Namespace default); undefined for any other shape. */
function namespacedName(text: string): { namespace: string; name: string; label: string } | undefined {
  const parts = text.split("/");
  if (parts.length === 1) return { namespace: "default", name: text, label: text };
  const [namespace, name] = parts;
  if (parts.length === 2 && namespace && name) return { namespace, name, label: `${namespace}-${name}` };
  return undefined;
}

/** The Traceflow for `req`; errors carry Antrea's wording (the caller prefixes its own context). */
export async function newTraceflow(
  req: TraceflowRequest,
  isPod: PodLookup,
  suffix = randomNameSuffix,
): Promise<NewTraceflow> {
  let srcName = "any";
  const source: NonNullable<TraceflowSpec["source"]> = {};
  if (req.source) {
    const ip = canonicalIP(req.source);
    if (ip !== undefined) {
      if (!req.liveTraffic) throw new AntctlError("source must be a Pod if not a live-traffic Traceflow");
      source.ip = srcName = ip;
    } else {
      const ref = namespacedName(req.source);
      if (!ref)
        throw new AntctlError("source should be in the format of Namespace/Pod or Pod, or an IP address");
      source.namespace = ref.namespace;
      source.pod = ref.name;
      srcName = ref.label;
    }
  }

  let dstName = "any";
  const destination: NonNullable<TraceflowSpec["destination"]> = {};
  if (req.destination) {
    const ip = canonicalIP(req.destination);
    if (ip !== undefined) {
      destination.ip = dstName = ip;
    } else {
      const ref = namespacedName(req.destination);
      if (!ref) {
        throw new AntctlError(
          "destination should be in the format of Namespace/Pod, Pod, Namespace/Service or Service",
        );
      }
      destination.namespace = ref.namespace;
      dstName = ref.label;
      // As Antrea: no Pod of that name means a Service, whether or not one exists (the trace then fails).
      if (await isPod(ref.namespace, ref.name)) destination.pod = ref.name;
      else destination.service = ref.name;
    }
  }

  if (!source.pod && !destination.pod) throw new AntctlError("one of source and destination must be a Pod");

  let packet: TraceflowSpec["packet"];
  try {
    packet = parseFlow(req.flow ?? "");
  } catch (err) {
    throw new AntctlError(`failed to parse flow: ${(err as Error).message}`);
  }

  return {
    apiVersion: TRACEFLOW_API_VERSION,
    kind: "Traceflow",
    metadata: { name: traceflowName(`${srcName}-to-${dstName}`, req.nowait, suffix) },
    spec: {
      source,
      destination,
      packet,
      ...(req.liveTraffic ? { liveTraffic: true } : {}),
      ...(req.droppedOnly ? { droppedOnly: true } : {}),
      ...(req.timeoutSeconds ? { timeout: req.timeoutSeconds } : {}),
    },
  };
}
