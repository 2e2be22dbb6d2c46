// Splits a request path the way kube-apiserver's RequestInfoFactory does.

export type ApiPath =
  | { type: "legacyRoot" }
  | { type: "groupsRoot" }
  | { type: "group"; group: string }
  | { type: "groupVersion"; group: string; version: string }
  | ResourcePath;

export interface ResourcePath {
  type: "resource";
  group: string;
  version: string;
  namespace?: string;
  /** Plural resource name from the URL. */
  resource: string;
  name?: string;
  subresource?: string;
  /** The deprecated `/watch/` path prefix was used. */
  watchPrefix: boolean;
}

/** Namespace subresources that are not namespaced resources (`/namespaces/x/status`). */
const NAMESPACE_SUBRESOURCES = new Set(["status", "finalize"]);

export function parseApiPath(pathname: string): ApiPath | undefined {
  const parts = pathname.split("/").filter((p) => p !== "");
  let group: string;
  let version: string | undefined;
  let rest: string[];
  if (parts[0] === "api") {
    if (parts.length === 1) return { type: "legacyRoot" };
    group = "";
    version = parts[1];
    rest = parts.slice(2);
  } else if (parts[0] === "apis") {
    if (parts.length === 1) return { type: "groupsRoot" };
    group = parts[1] ?? "";
    if (parts.length === 2) return { type: "group", group };
    version = parts[2];
    rest = parts.slice(3);
  } else {
    return undefined;
  }
  if (!version) return undefined;
  if (rest.length === 0) return { type: "groupVersion", group, version };
  let watchPrefix = false;
  if (rest[0] === "watch") {
    watchPrefix = true;
    rest = rest.slice(1);
  }
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length > 1) {
    namespace = rest[1];
    if (rest.length > 2 && !NAMESPACE_SUBRESOURCES.has(rest[2] ?? "")) rest = rest.slice(2);
  }
  const [resource, name, subresource, ...extra] = rest;
  if (!resource || extra.length > 0) return undefined;
  // `/api/v1/namespaces/foo` names the Namespace itself, which is cluster-scoped.
  if (resource === "namespaces" && rest[0] === "namespaces") namespace = undefined;
  return { type: "resource", group, version, namespace, resource, name, subresource, watchPrefix };
}
