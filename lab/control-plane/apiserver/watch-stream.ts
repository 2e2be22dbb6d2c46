// Serves a watch as a chunked stream of newline-delimited JSON events. Headers are flushed at once (client-node
// waits for them before `watch()` resolves), the history newer than `resourceVersion` is replayed first, and
// the stream ends after `timeoutSeconds` (or a randomised default, like kube-apiserver's).
import type { ServerResponse } from "node:http";
import type { ResourceDef } from "../resources/types.ts";
import { groupVersion } from "../resources/types.ts";
import type { ResourceApi, WatchEvent, WatchOptions } from "./resource-api.ts";
import { type IncludeObject, toTable } from "./table.ts";

export interface WatchStreamOptions extends WatchOptions {
  timeoutSeconds?: number;
  allowBookmarks: boolean;
  /** Send each object as a one-row Table (kubectl get -w). */
  table?: { apiVersion: string; include: IncludeObject };
}

const BOOKMARK_INTERVAL_MS = 60_000;

function defaultTimeoutSeconds(): number {
  return 1800 + Math.floor(Math.random() * 1800);
}

/**
 * Starts streaming; throws (before anything is written) when the watch cannot start, e.g. 410 Expired.
 * Returns a function that ends the stream (used on server shutdown).
 */
export function serveWatch(
  api: ResourceApi,
  def: ResourceDef,
  res: ServerResponse,
  opts: WatchStreamOptions,
  now: () => Date,
): () => void {
  let firstTable = true;
  const encode = (e: WatchEvent): string => {
    let object: unknown = e.object;
    if (opts.table) {
      object = toTable(def, [e.object], {
        include: opts.table.include,
        apiVersion: opts.table.apiVersion,
        resourceVersion: e.object.metadata.resourceVersion,
        noHeaders: !firstTable,
        now: now(),
      });
      firstTable = false;
    }
    return `${JSON.stringify({ type: e.type, object })}\n`;
  };
  const pending: WatchEvent[] = [];
  let streaming = false;
  const { replay, cancel } = api.watch(def, opts, (e) => {
    if (streaming) res.write(encode(e));
    else pending.push(e);
  });
  res.writeHead(200, {
    "Content-Type": opts.table
      ? `application/json;as=Table;v=${opts.table.apiVersion.split("/")[1]};g=meta.k8s.io`
      : "application/json",
    "Cache-Control": "no-cache, private",
    "Transfer-Encoding": "chunked",
  });
  res.flushHeaders();
  for (const e of [...replay, ...pending]) res.write(encode(e));
  streaming = true;

  const timeout = setTimeout(() => end(), (opts.timeoutSeconds || defaultTimeoutSeconds()) * 1000);
  const bookmarks =
    opts.allowBookmarks && !opts.table
      ? setInterval(() => {
          const object = {
            kind: def.kind,
            apiVersion: groupVersion(def),
            metadata: { resourceVersion: String(api.store.resourceVersion) },
          };
          res.write(`${JSON.stringify({ type: "BOOKMARK", object })}\n`);
        }, BOOKMARK_INTERVAL_MS)
      : undefined;
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    cancel();
    clearTimeout(timeout);
    if (bookmarks) clearInterval(bookmarks);
    res.end();
  };
  // Not req "close": since Node 16 it fires once the request is read, not when the client goes away.
  res.on("close", end);
  res.on("error", end);
  return end;
}
