// HTTP plumbing: JSON/Status responses, bounded body reading, body decoding and Accept negotiation.
import type { IncomingMessage, ServerResponse } from "node:http";
import { parse as parseYaml } from "yaml";
import { ApiError, badRequest, internalError } from "../errors.ts";
import { decodeProtobufObject } from "./protobuf.ts";

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = "application/json",
): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(code, {
    "Content-Type": contentType,
    "Content-Length": Buffer.byteLength(text),
    "Cache-Control": "no-cache, private",
  });
  res.end(text);
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return internalError(err instanceof Error ? err.message : String(err));
}

export function sendError(res: ServerResponse, err: unknown): void {
  const e = toApiError(err);
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, e.code, e.toStatus());
}

export async function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<string> {
  return (await readBodyBytes(req, limit)).toString("utf8");
}

export function readBodyBytes(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on("data", (c: Buffer) => {
      if (failed) return;
      size += c.length;
      if (size > limit) {
        failed = true;
        reject(new ApiError(413, "RequestEntityTooLarge", `the request body is larger than ${limit} bytes`));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on("error", (err) => {
      if (!failed) reject(err);
    });
  });
}

/** The media type without parameters, lower-cased (`application/merge-patch+json`). */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw badRequest(`error decoding the request body: ${(err as Error).message}`);
  }
}

export function parseYamlBody(text: string): unknown {
  try {
    return parseYaml(text);
  } catch (err) {
    throw badRequest(`error decoding YAML: ${(err as Error).message}`);
  }
}

/** Decodes a create/update body: JSON, YAML, or the protobuf kubectl's typed clients send. */
export function decodeObjectBody(contentType: string | undefined, body: Buffer): unknown {
  const mt = mediaType(contentType);
  if (mt === "" || mt === "application/json" || mt === "*/*") return parseJsonBody(body.toString("utf8"));
  if (mt === "application/yaml" || mt === "application/x-yaml" || mt === "text/yaml") {
    return parseYamlBody(body.toString("utf8"));
  }
  if (mt === "application/vnd.kubernetes.protobuf") return decodeProtobufObject(body);
  throw new ApiError(
    415,
    "UnsupportedMediaType",
    `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf`,
  );
}

interface MediaRange {
  type: string;
  params: Record<string, string>;
}

function parseAccept(accept: string | undefined): MediaRange[] {
  return (accept ?? "")
    .split(",")
    .map((part) => {
      const [type = "", ...params] = part.split(";").map((s) => s.trim());
      const p: Record<string, string> = {};
      for (const kv of params) {
        const eq = kv.indexOf("=");
        if (eq > 0) p[kv.slice(0, eq).toLowerCase()] = kv.slice(eq + 1);
      }
      return { type: type.toLowerCase(), params: p };
    })
    .filter((m) => m.type !== "");
}

export interface Negotiated {
  /** The Table version the client asked for, if any. */
  table?: "v1" | "v1beta1";
  /** Aggregated discovery version, if asked for. */
  discovery?: "v2" | "v2beta1";
  /** PartialObjectMetadata(List) requested. */
  metadataOnly?: boolean;
}

export function negotiate(accept: string | undefined): Negotiated {
  for (const m of parseAccept(accept)) {
    if (m.type !== "application/json" && m.type !== "*/*") continue;
    const as = m.params.as;
    if (as === "Table" && m.params.g === "meta.k8s.io")
      return { table: m.params.v === "v1beta1" ? "v1beta1" : "v1" };
    if (as === "APIGroupDiscoveryList" && m.params.g === "apidiscovery.k8s.io") {
      if (m.params.v === "v2" || m.params.v === "v2beta1") return { discovery: m.params.v };
      continue;
    }
    if (
      (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") &&
      m.params.g === "meta.k8s.io"
    ) {
      return { metadataOnly: true };
    }
    if (as === undefined) return {};
  }
  return {};
}
