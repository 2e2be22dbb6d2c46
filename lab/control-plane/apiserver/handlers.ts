// Maps HTTP requests on resource paths to ResourceApi verbs, and results to the bodies kubectl expects.
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { ApiError, badRequest } from "../errors.ts";
import type { KubeObject } from "../object.ts";
import type { ResourceRegistry } from "../resources/registry.ts";
import { groupVersion, type ResourceDef, type Verb } from "../resources/types.ts";
import {
  decodeObjectBody,
  mediaType,
  type Negotiated,
  negotiate,
  parseJsonBody,
  parseYamlBody,
  readBody,
  readBodyBytes,
  sendJson,
} from "./http.ts";
import type { ResourcePath } from "./request-info.ts";
import type { DeleteOptions, PatchType, ResourceApi } from "./resource-api.ts";
import { type IncludeObject, toTable } from "./table.ts";
import { serveWatch } from "./watch-stream.ts";

export interface HandlerContext {
  api: ResourceApi;
  registry: ResourceRegistry;
  now: () => Date;
  /** Registers the end function of a running watch so shutdown can end it. */
  trackWatch: (end: () => void, res: ServerResponse) => void;
}

const notFoundPath = () => new ApiError(404, "NotFound", "the server could not find the requested resource");

const PATCH_TYPES: Record<string, PatchType> = {
  "application/json-patch+json": "json",
  "application/merge-patch+json": "merge",
  "application/strategic-merge-patch+json": "strategic",
  "application/apply-patch+yaml": "apply",
};

const deleteOptionsSchema = z.looseObject({
  propagationPolicy: z.enum(["Background", "Foreground", "Orphan"]).optional(),
  orphanDependents: z.boolean().optional(),
  gracePeriodSeconds: z.number().int().nonnegative().optional(),
  preconditions: z.object({ uid: z.string().optional(), resourceVersion: z.string().optional() }).optional(),
  dryRun: z.array(z.string()).optional(),
});

const bindingSchema = z.looseObject({
  target: z.looseObject({ name: z.string(), kind: z.string().optional() }),
});

function zodBadRequest(what: string, err: z.ZodError): ApiError {
  return badRequest(`invalid ${what}: ${z.prettifyError(err).replace(/\n/g, "; ")}`);
}

async function deleteOptions(req: IncomingMessage, q: URLSearchParams): Promise<DeleteOptions> {
  const text = (await readBody(req)).trim();
  const r = deleteOptionsSchema.safeParse(text ? parseJsonBody(text) : {});
  if (!r.success) throw zodBadRequest("DeleteOptions", r.error);
  const body = r.data;
  const grace = q.get("gracePeriodSeconds");
  const policy = q.get("propagationPolicy");
  if (policy !== null && !["Background", "Foreground", "Orphan"].includes(policy)) {
    throw badRequest(`invalid propagationPolicy ${JSON.stringify(policy)}`);
  }
  if (grace !== null && !/^\d+$/.test(grace))
    throw badRequest(`invalid gracePeriodSeconds ${JSON.stringify(grace)}`);
  return {
    propagationPolicy:
      (policy as DeleteOptions["propagationPolicy"] | null) ??
      body.propagationPolicy ??
      (body.orphanDependents === true ? "Orphan" : undefined),
    gracePeriodSeconds: grace !== null ? Number(grace) : body.gracePeriodSeconds,
    preconditions: body.preconditions,
    dryRun: q.get("dryRun") === "All" || (body.dryRun ?? []).includes("All"),
  };
}

function tableVersion(neg: Negotiated): string | undefined {
  return neg.table ? `meta.k8s.io/${neg.table}` : undefined;
}

function includeObject(q: URLSearchParams): IncludeObject {
  const v = q.get("includeObject");
  return v === "None" || v === "Object" ? v : "Metadata";
}

function metadataOnly(o: KubeObject): KubeObject {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: o.metadata };
}

function sendObject(
  ctx: HandlerContext,
  res: ServerResponse,
  def: ResourceDef,
  code: number,
  o: KubeObject,
  neg: Negotiated,
  q: URLSearchParams,
): void {
  const tv = tableVersion(neg);
  if (tv) {
    sendJson(
      res,
      code,
      toTable(def, [o], {
        include: includeObject(q),
        apiVersion: tv,
        resourceVersion: o.metadata.resourceVersion,
        now: ctx.now(),
      }),
    );
  } else if (neg.metadataOnly) {
    sendJson(res, code, metadataOnly(o));
  } else {
    sendJson(res, code, o);
  }
}

function patchType(contentType: string | undefined): PatchType {
  const type = PATCH_TYPES[mediaType(contentType)];
  if (!type) {
    throw new ApiError(
      415,
      "UnsupportedMediaType",
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml, application/strategic-merge-patch+json",
    );
  }
  return type;
}

async function handleScale(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  def: ResourceDef,
  ns: string,
  name: string,
  q: URLSearchParams,
): Promise<void> {
  const opts = { dryRun: q.get("dryRun") === "All", fieldManager: q.get("fieldManager") ?? undefined };
  if (req.method === "GET") {
    sendJson(res, 200, ctx.api.getScale(def, ns, name));
  } else if (req.method === "PUT") {
    const scale = decodeObjectBody(req.headers["content-type"], await readBodyBytes(req));
    sendJson(res, 200, ctx.api.updateScale(def, ns, name, { type: "replace", scale }, opts));
  } else if (req.method === "PATCH") {
    const type = patchType(req.headers["content-type"]);
    if (type === "apply")
      throw new ApiError(415, "UnsupportedMediaType", "apply patches are not supported on /scale");
    const patch = parseJsonBody(await readBody(req));
    sendJson(res, 200, ctx.api.updateScale(def, ns, name, { type, patch }, opts));
  } else {
    throw methodNotAllowed();
  }
}

function verbFor(method: string, path: ResourcePath, isWatch: boolean): Verb | undefined {
  switch (method) {
    case "GET":
      return isWatch ? "watch" : path.name ? "get" : "list";
    case "POST":
      return path.name ? undefined : "create";
    case "PUT":
      return path.name ? "update" : undefined;
    case "PATCH":
      return path.name ? "patch" : undefined;
    case "DELETE":
      return path.name ? "delete" : "deletecollection";
    default:
      return undefined;
  }
}

function methodNotAllowed(): ApiError {
  return new ApiError(
    405,
    "MethodNotAllowed",
    "the server does not allow this method on the requested resource",
  );
}

export async function handleResource(
  ctx: HandlerContext,
  req: IncomingMessage,
  res: ServerResponse,
  path: ResourcePath,
  url: URL,
): Promise<void> {
  const def = ctx.registry.lookup(path.group, path.version, path.resource);
  if (!def) throw notFoundPath();
  if (path.namespace !== undefined && !def.namespaced) throw notFoundPath();
  if (def.namespaced && path.name !== undefined && path.namespace === undefined) throw notFoundPath();
  const { api } = ctx;
  const q = url.searchParams;
  const neg = negotiate(req.headers.accept);
  const method = req.method ?? "GET";
  const ns = path.namespace;
  const name = path.name;

  if (path.subresource === "binding" && def.kind === "Pod" && def.group === "") {
    if (method !== "POST" || !name || !ns) throw methodNotAllowed();
    const r = bindingSchema.safeParse(parseJsonBody(await readBody(req)));
    if (!r.success) throw zodBadRequest("Binding", r.error);
    api.bind(ns, name, r.data.target.name);
    sendJson(res, 201, { kind: "Status", apiVersion: "v1", metadata: {}, status: "Success", code: 201 });
    return;
  }
  if (path.subresource === "scale" && def.scaleSubresource && ns !== undefined && name) {
    await handleScale(ctx, req, res, def, ns, name, url.searchParams);
    return;
  }
  if (path.subresource !== undefined && !(path.subresource === "status" && def.statusSubresource))
    throw notFoundPath();
  const subresource = path.subresource === "status" ? ("status" as const) : undefined;

  const isWatch = path.watchPrefix || q.get("watch") === "true" || q.get("watch") === "1";
  const verb = verbFor(method, path, isWatch);
  if (!verb || (subresource && !["get", "update", "patch"].includes(verb)) || !def.verbs.includes(verb)) {
    throw methodNotAllowed();
  }
  const dryRun = q.get("dryRun") === "All";
  const fieldManager = q.get("fieldManager") ?? undefined;
  const listOpts = {
    namespace: ns,
    labelSelector: q.get("labelSelector") ?? undefined,
    fieldSelector: q.get("fieldSelector") ?? undefined,
  };

  switch (verb) {
    case "watch": {
      // `/watch/.../pods/x` watches one object.
      const fieldSelector = name
        ? [listOpts.fieldSelector, `metadata.name=${name}`].filter(Boolean).join(",")
        : listOpts.fieldSelector;
      const timeout = q.get("timeoutSeconds");
      const tv = tableVersion(neg);
      const end = serveWatch(
        api,
        def,
        res,
        {
          ...listOpts,
          fieldSelector,
          resourceVersion: q.get("resourceVersion") ?? undefined,
          timeoutSeconds: timeout && /^\d+$/.test(timeout) ? Number(timeout) : undefined,
          allowBookmarks: q.get("allowWatchBookmarks") === "true",
          table: tv ? { apiVersion: tv, include: includeObject(q) } : undefined,
        },
        ctx.now,
      );
      ctx.trackWatch(end, res);
      return;
    }
    case "get":
      sendObject(ctx, res, def, 200, api.get(def, ns, name ?? ""), neg, q);
      return;
    case "list": {
      const { items, resourceVersion } = api.list(def, listOpts);
      const tv = tableVersion(neg);
      if (tv) {
        sendJson(
          res,
          200,
          toTable(def, items, { include: includeObject(q), apiVersion: tv, resourceVersion, now: ctx.now() }),
        );
      } else if (neg.metadataOnly) {
        sendJson(res, 200, {
          kind: "PartialObjectMetadataList",
          apiVersion: "meta.k8s.io/v1",
          metadata: { resourceVersion },
          items: items.map(metadataOnly),
        });
      } else {
        sendJson(res, 200, {
          kind: `${def.kind}List`,
          apiVersion: groupVersion(def),
          metadata: { resourceVersion },
          items,
        });
      }
      return;
    }
    case "create": {
      const body = decodeObjectBody(req.headers["content-type"], await readBodyBytes(req));
      sendObject(ctx, res, def, 201, api.create(def, ns, body, { dryRun, fieldManager }), neg, q);
      return;
    }
    case "update": {
      const body = decodeObjectBody(req.headers["content-type"], await readBodyBytes(req));
      const r = api.update(def, ns, name ?? "", body, { dryRun, fieldManager, subresource });
      sendObject(ctx, res, def, r.created ? 201 : 200, r.object, neg, q);
      return;
    }
    case "patch": {
      const type = patchType(req.headers["content-type"]);
      const text = await readBody(req);
      const patch = type === "apply" ? parseYamlBody(text) : parseJsonBody(text);
      const r = api.patch(def, ns, name ?? "", type, patch, {
        dryRun,
        fieldManager,
        subresource,
        force: q.get("force") === "true",
      });
      sendObject(ctx, res, def, r.created ? 201 : 200, r.object, neg, q);
      return;
    }
    case "delete": {
      const opts = await deleteOptions(req, q);
      const r = api.delete(def, ns, name ?? "", opts);
      if (!r.removed || !def.patchSchema) {
        sendObject(ctx, res, def, 200, r.object, neg, q);
      } else {
        sendJson(res, 200, {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Success",
          details: {
            name,
            ...(def.group ? { group: def.group } : {}),
            kind: def.plural,
            uid: r.object.metadata.uid,
          },
        });
      }
      return;
    }
    case "deletecollection": {
      const opts = await deleteOptions(req, q);
      const items = api.deleteCollection(def, listOpts, opts);
      sendJson(res, 200, {
        kind: `${def.kind}List`,
        apiVersion: groupVersion(def),
        metadata: { resourceVersion: String(api.store.resourceVersion) },
        items,
      });
      return;
    }
  }
}
