// The minimal OpenAPI v3 that lets `kubectl apply` keep its default `--validate=strict`: an index of
// group-versions, and per group-version one PATCH operation per kind that declares the `fieldValidation`
// query parameter, so kubectl leaves validation to the server (reference/toolchain-node20.md §3.3).
import { createHash } from "node:crypto";
import type { ResourceRegistry } from "../resources/registry.ts";
import type { ResourceDef } from "../resources/types.ts";

function gvPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

function objectPath(def: ResourceDef): string {
  const prefix = `/${gvPath(def.group, def.version)}`;
  return def.namespaced
    ? `${prefix}/namespaces/{namespace}/${def.plural}/{name}`
    : `${prefix}/${def.plural}/{name}`;
}

export function openApiDocument(
  registry: ResourceRegistry,
  group: string,
  version: string,
): string | undefined {
  const defs = registry.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  for (const def of defs) {
    paths[objectPath(def)] = {
      patch: {
        "x-kubernetes-group-version-kind": { group: def.group, version: def.version, kind: def.kind },
        parameters: [
          { name: "fieldValidation", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "fieldManager", in: "query", schema: { type: "string", uniqueItems: true } },
          { name: "dryRun", in: "query", schema: { type: "string", uniqueItems: true } },
        ],
        responses: {},
      },
    };
  }
  return JSON.stringify({
    openapi: "3.0.0",
    info: { title: "Kubernetes", version: "v1.32.0" },
    paths,
    components: { schemas: {} },
  });
}

export interface OpenApiIndex {
  /** `/openapi/v3` body. */
  index: string;
  /** Group-version path (`api/v1`, `apis/apps/v1`) to its document. */
  documents: Map<string, string>;
}

export function buildOpenApi(registry: ResourceRegistry): OpenApiIndex {
  const documents = new Map<string, string>();
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const g of registry.groups()) {
    for (const version of g.versions) {
      const doc = openApiDocument(registry, g.group, version);
      if (!doc) continue;
      const path = gvPath(g.group, version);
      const hash = createHash("sha512").update(doc).digest("hex").slice(0, 128).toUpperCase();
      documents.set(path, doc);
      paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hash}` };
    }
  }
  return { index: JSON.stringify({ paths }), documents };
}
