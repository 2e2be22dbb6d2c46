// Decoding and validating what the plugin forwarded: the network configuration (its stdin) and the CNI_*
// parameters, with the spec's error codes. Everything here is untrusted input from whoever can reach the socket.
import { z } from "zod";
import { CniErrorCode, CniServerError } from "./errors.ts";
import { type CniVersion, isSupportedVersion, SUPPORTED_CNI_VERSIONS } from "./versions.ts";
import type { CniArgs } from "./wire.ts";

/** The only IPAM plugin the server drives (Antrea's AntreaIPAM mode is not implemented). */
export const IPAM_TYPE = "host-local";

const networkConfigSchema = z.looseObject({
  // libcni treats a configuration without cniVersion as 0.1.0.
  cniVersion: z.string().default("0.1.0"),
  name: z.string().min(1, "missing network name"),
  type: z.string().optional(),
  mtu: z.number().int().min(68).max(65535).optional(),
  ipam: z.looseObject({ type: z.string().optional() }).optional(),
  prevResult: z.unknown().optional(),
});

export interface NetworkConfig {
  cniVersion: CniVersion;
  mtu: number | undefined;
  /** The configuration as received (unknown fields kept: they go on to the IPAM plugin). */
  raw: Record<string, unknown>;
  prevResult: unknown;
}

/** Decodes the network configuration: DECODING_FAILURE, INVALID_NETWORK_CONFIG or INCOMPATIBLE_CNI_VERSION. */
export function parseNetworkConfig(text: string): NetworkConfig & { ipamType: string | undefined } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CniServerError(
      CniErrorCode.DECODING_FAILURE,
      `error decoding the network configuration: ${(err as Error).message}`,
    );
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) {
    throw new CniServerError(CniErrorCode.DECODING_FAILURE, "the network configuration is not a JSON object");
  }
  const parsed = networkConfigSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ` : "") + i.message);
    throw new CniServerError(
      CniErrorCode.INVALID_NETWORK_CONFIG,
      `invalid network configuration: ${issues.join("; ")}`,
    );
  }
  const conf = parsed.data;
  if (!isSupportedVersion(conf.cniVersion)) {
    throw new CniServerError(
      CniErrorCode.INCOMPATIBLE_CNI_VERSION,
      `unsupported CNI version ${JSON.stringify(conf.cniVersion)}`,
      `supported versions: ${SUPPORTED_CNI_VERSIONS.join(", ")}`,
    );
  }
  return {
    cniVersion: conf.cniVersion,
    mtu: conf.mtu,
    raw: json as Record<string, unknown>,
    prevResult: conf.prevResult,
    ipamType: conf.ipam?.type,
  };
}

/** As parseNetworkConfig, and the IPAM must be host-local (UNSUPPORTED_FIELD otherwise). */
export function parseIpamNetworkConfig(text: string): NetworkConfig {
  const { ipamType, ...conf } = parseNetworkConfig(text);
  if (ipamType !== IPAM_TYPE) {
    throw new CniServerError(
      CniErrorCode.UNSUPPORTED_FIELD,
      `unsupported value of field ipam.type: ${ipamType === undefined ? "(missing)" : JSON.stringify(ipamType)}`,
      `the antrea plugin supports ipam.type "${IPAM_TYPE}" only`,
    );
  }
  return conf;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/**
 * The spec's (and libcni skel's) checks of the CNI_* parameters: container id and interface name well formed,
 * netns set for ADD and CHECK, CNI_PATH set. INVALID_ENVIRONMENT_VARIABLES otherwise.
 */
export function validateCniArgs(args: CniArgs, needsNetns: boolean): void {
  const missing = [
    ["CNI_CONTAINERID", args.container_id],
    ["CNI_IFNAME", args.ifname],
    ["CNI_PATH", args.path],
    ...(needsNetns ? [["CNI_NETNS", args.netns]] : []),
  ]
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length) {
    throw new CniServerError(
      CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
      `required env variables [${missing.join(",")}] missing`,
    );
  }
  if (!CONTAINER_ID.test(args.container_id)) {
    throw new CniServerError(
      CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
      `invalid characters in containerID ${JSON.stringify(args.container_id)}`,
    );
  }
  const ifName = args.ifname;
  if (ifName.length > 15 || ifName === "." || ifName === ".." || /[/:\s]/.test(ifName)) {
    throw new CniServerError(
      CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
      `invalid interface name ${JSON.stringify(ifName)}: 1-15 characters, not . or .., without / : or spaces`,
    );
  }
}

/** The Pod a request is for, from CNI_ARGS (`K8S_POD_NAMESPACE=…;K8S_POD_NAME=…`), as a kubelet passes it. */
export function parsePodRef(cniArgs: string): { namespace: string; name: string } {
  const pairs = new Map<string, string>();
  for (const item of cniArgs.split(";")) {
    const at = item.indexOf("=");
    if (at > 0) pairs.set(item.slice(0, at), item.slice(at + 1));
  }
  const namespace = pairs.get("K8S_POD_NAMESPACE");
  const name = pairs.get("K8S_POD_NAME");
  if (!namespace || !name) {
    throw new CniServerError(
      CniErrorCode.INVALID_ENVIRONMENT_VARIABLES,
      "CNI_ARGS must carry K8S_POD_NAMESPACE and K8S_POD_NAME",
      `CNI_ARGS=${JSON.stringify(cniArgs)}`,
    );
  }
  return { namespace, name };
}
