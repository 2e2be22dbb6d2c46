// The HTTPS API server: bearer-token authentication, health and version endpoints, discovery, OpenAPI,
// and the resource paths. Every failure is answered with a Kubernetes Status; nothing a client sends can
// take the process down.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { ApiError } from "../errors.ts";
import { intToIPv4, parseIPv4CIDR } from "../ip.ts";
import { ResourceRegistry } from "../resources/registry.ts";
import { readSnapshot, SnapshotWriter } from "../storage/snapshot.ts";
import { Store } from "../storage/store.ts";
import {
  AGGREGATED_DISCOVERY_V2,
  AGGREGATED_DISCOVERY_V2BETA1,
  aggregatedDiscovery,
  apiGroupDocument,
  apiGroupList,
  apiResourceList,
  apiVersions,
} from "./discovery.ts";
import { startGarbageCollector } from "./garbage-collector.ts";
import { type HandlerContext, handleResource } from "./handlers.ts";
import { negotiate, sendError, sendJson, toApiError } from "./http.ts";
import { type Logger, silentLogger } from "./log.ts";
import { namespaceHeld, startNamespaceFinalizer } from "./namespace-lifecycle.ts";
import { buildOpenApi } from "./openapi.ts";
import { parseApiPath } from "./request-info.ts";
import { ResourceApi } from "./resource-api.ts";

export interface ApiServerOptions {
  /** Listen address; default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** PEM server certificate (chain) and key. */
  tls: { cert: string; key: string };
  /** The bearer token every client must present. */
  token: string;
  /** IPv4 range for Service ClusterIPs, e.g. 10.96.0.0/16. */
  serviceCIDR: string;
  /** Keep the store in this JSON file (loaded at start, rewritten after changes). */
  snapshotFile?: string;
  log?: Logger;
  now?: () => Date;
}

export interface ApiServer {
  /** `https://HOST:PORT` as clients should use it. */
  url: string;
  port: number;
  store: Store;
  registry: ResourceRegistry;
  /** In-process API with the same admission and semantics as HTTP clients get. */
  api: ResourceApi;
  close(): Promise<void>;
}

const VERSION = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.0",
  gitCommit: "",
  gitTreeState: "clean",
  buildDate: "2024-12-11T00:00:00Z",
  goVersion: "go1.23.3",
  compiler: "gc",
  platform: "linux/amd64",
};

const PUBLIC_PATHS = ["/version", "/healthz", "/livez", "/readyz"];

function isPublic(pathname: string): boolean {
  return PUBLIC_PATHS.some((p) => pathname === p || pathname.startsWith(`${p}/`));
}

function tokenMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!m?.[1]) return false;
  const given = Buffer.from(m[1].trim());
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}

/** Namespaces and the `kubernetes` Service that kube-apiserver itself maintains. */
function bootstrap(api: ResourceApi, serviceCIDR: string, port: number): void {
  const namespaces = api.client("namespaces");
  for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) {
    if (!namespaces.find(name))
      namespaces.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }
  const services = api.client("services");
  if (!services.find("kubernetes", "default")) {
    const range = parseIPv4CIDR(serviceCIDR);
    services.create({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name: "kubernetes",
        namespace: "default",
        labels: { component: "apiserver", provider: "kubernetes" },
      },
      spec: {
        type: "ClusterIP",
        clusterIP: intToIPv4(range.base + 1),
        ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: port }],
      },
    });
  }
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const log = opts.log ?? silentLogger;
  const now = opts.now ?? (() => new Date());
  parseIPv4CIDR(opts.serviceCIDR); // fail early on a bad range
  if (!opts.token) throw new Error("startApiServer: an empty token would let nobody in");
  const registry = new ResourceRegistry();
  const store = new Store({ holdsObject: namespaceHeld, now });
  if (opts.snapshotFile) {
    const snap = readSnapshot(opts.snapshotFile);
    if (snap) store.restore(snap);
  }
  const api = new ResourceApi(store, registry, { serviceCIDR: opts.serviceCIDR, now });
  const stopGc = startGarbageCollector(api);
  const stopNs = startNamespaceFinalizer(api);
  const snapshots = opts.snapshotFile
    ? new SnapshotWriter(store, opts.snapshotFile, (err) => log.error(`snapshot: ${err.message}`))
    : undefined;
  const openapi = buildOpenApi(registry);
  const watches = new Set<() => void>();
  const ctx: HandlerContext = {
    api,
    registry,
    now,
    trackWatch: (end, res) => {
      watches.add(end);
      res.on("close", () => watches.delete(end));
    },
  };

  const route = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    const path = url.pathname.replace(/\/+$/, "") || "/";
    if (path === "/version") return sendJson(res, 200, VERSION);
    if (isPublic(path)) {
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end("ok");
      return;
    }
    if (!tokenMatches(req.headers.authorization, opts.token)) {
      throw new ApiError(401, "Unauthorized", "Unauthorized");
    }
    if (path === "/openapi/v3") return sendJson(res, 200, openapi.index);
    if (path.startsWith("/openapi/v3/")) {
      const doc = openapi.documents.get(path.slice("/openapi/v3/".length));
      if (!doc) throw new ApiError(404, "NotFound", "the server could not find the requested resource");
      return sendJson(res, 200, doc);
    }
    const apiPath = parseApiPath(path);
    if (!apiPath) throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    if (apiPath.type === "resource") return handleResource(ctx, req, res, apiPath, url);
    if (req.method !== "GET") {
      throw new ApiError(
        405,
        "MethodNotAllowed",
        "the server does not allow this method on the requested resource",
      );
    }
    const neg = negotiate(req.headers.accept);
    let body: Record<string, unknown> | undefined;
    if ((apiPath.type === "legacyRoot" || apiPath.type === "groupsRoot") && neg.discovery) {
      const ct = neg.discovery === "v2" ? AGGREGATED_DISCOVERY_V2 : AGGREGATED_DISCOVERY_V2BETA1;
      return sendJson(
        res,
        200,
        aggregatedDiscovery(registry, apiPath.type === "legacyRoot", neg.discovery),
        ct,
      );
    }
    if (apiPath.type === "legacyRoot") body = apiVersions(req.headers.host ?? "");
    else if (apiPath.type === "groupsRoot") body = apiGroupList(registry);
    else if (apiPath.type === "group") body = apiGroupDocument(registry, apiPath.group);
    else body = apiResourceList(registry, apiPath.group, apiPath.version);
    if (!body) throw new ApiError(404, "NotFound", "the server could not find the requested resource");
    sendJson(res, 200, body);
  };

  const server: Server = createServer({ cert: opts.tls.cert, key: opts.tls.key }, (req, res) => {
    const started = Date.now();
    res.on("close", () => {
      log.debug(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms`);
    });
    let url: URL;
    try {
      url = new URL(req.url ?? "/", "https://apiserver.invalid");
    } catch {
      sendError(res, new ApiError(400, "BadRequest", "malformed request URL"));
      return;
    }
    route(req, res, url).catch((err: unknown) => {
      const e = toApiError(err);
      if (e.code >= 500)
        log.error(
          `${req.method} ${req.url}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
        );
      sendError(res, e);
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  server.on("error", (err) => log.error(`server: ${err.message}`));
  const port = (server.address() as AddressInfo).port;
  bootstrap(api, opts.serviceCIDR, port);
  const host = opts.host && opts.host !== "0.0.0.0" && opts.host !== "::" ? opts.host : "127.0.0.1";
  const url = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
  log.info(`apiserver listening on ${url}`);

  let closed: Promise<void> | undefined;
  const close = () => {
    closed ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const end of [...watches]) end();
      server.closeAllConnections();
      stopGc();
      stopNs();
      snapshots?.close();
      log.info("apiserver stopped");
    });
    return closed;
  };
  return { url, port, store, registry, api, close };
}
