// Discovery documents: legacy (/api, /apis, per group-version APIResourceList) and aggregated
// (apidiscovery.k8s.io/v2 APIGroupDiscoveryList, which kubectl prefers: two requests instead of 2+N).
import type { ResourceRegistry } from "../resources/registry.ts";
import { groupVersion, type ResourceDef } from "../resources/types.ts";

export const AGGREGATED_DISCOVERY_V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
export const AGGREGATED_DISCOVERY_V2BETA1 =
  "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

const SUBRESOURCE_VERBS = ["get", "patch", "update"];

function legacyResources(def: ResourceDef): Record<string, unknown>[] {
  const main = {
    name: def.plural,
    singularName: def.singular,
    namespaced: def.namespaced,
    kind: def.kind,
    verbs: [...def.verbs],
    ...(def.shortNames.length > 0 ? { shortNames: [...def.shortNames] } : {}),
    ...(def.categories.length > 0 ? { categories: [...def.categories] } : {}),
  };
  const out: Record<string, unknown>[] = [main];
  if (def.statusSubresource) {
    out.push({
      name: `${def.plural}/status`,
      singularName: "",
      namespaced: def.namespaced,
      kind: def.kind,
      verbs: SUBRESOURCE_VERBS,
    });
  }
  if (def.kind === "Pod" && def.group === "") {
    out.push({
      name: "pods/binding",
      singularName: "",
      namespaced: true,
      kind: "Binding",
      verbs: ["create"],
    });
  }
  return out;
}

export function apiVersions(serverAddress: string): Record<string, unknown> {
  return {
    kind: "APIVersions",
    versions: ["v1"],
    serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
  };
}

function apiGroup(registry: ResourceRegistry, group: string): Record<string, unknown> | undefined {
  const g = registry.groups().find((x) => x.group === group);
  if (!g || group === "") return undefined;
  const versions = g.versions.map((version) => ({ groupVersion: `${group}/${version}`, version }));
  return { name: group, versions, preferredVersion: versions[0] };
}

export function apiGroupList(registry: ResourceRegistry): Record<string, unknown> {
  const groups = registry
    .groups()
    .filter((g) => g.group !== "")
    .map((g) => apiGroup(registry, g.group));
  return { kind: "APIGroupList", apiVersion: "v1", groups };
}

export function apiGroupDocument(
  registry: ResourceRegistry,
  group: string,
): Record<string, unknown> | undefined {
  const g = apiGroup(registry, group);
  return g ? { kind: "APIGroup", apiVersion: "v1", ...g } : undefined;
}

export function apiResourceList(
  registry: ResourceRegistry,
  group: string,
  version: string,
): Record<string, unknown> | undefined {
  const defs = registry.inGroupVersion(group, version);
  if (defs.length === 0) return undefined;
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: groupVersion({ group, version }),
    resources: defs.flatMap(legacyResources),
  };
}

function aggregatedResource(def: ResourceDef): Record<string, unknown> {
  const responseKind = { group: def.group, version: def.version, kind: def.kind };
  const subresources: Record<string, unknown>[] = [];
  if (def.statusSubresource)
    subresources.push({ subresource: "status", responseKind, verbs: SUBRESOURCE_VERBS });
  if (def.scaleSubresource) {
    subresources.push({
      subresource: "scale",
      responseKind: { group: "autoscaling", version: "v1", kind: "Scale" },
      verbs: SUBRESOURCE_VERBS,
    });
  }
  if (def.kind === "Pod" && def.group === "") {
    subresources.push({
      subresource: "binding",
      responseKind: { group: "", version: "v1", kind: "Binding" },
      verbs: ["create"],
    });
  }
  return {
    resource: def.plural,
    responseKind,
    scope: def.namespaced ? "Namespaced" : "Cluster",
    singularResource: def.singular,
    verbs: [...def.verbs],
    ...(def.shortNames.length > 0 ? { shortNames: [...def.shortNames] } : {}),
    ...(def.categories.length > 0 ? { categories: [...def.categories] } : {}),
    ...(subresources.length > 0 ? { subresources } : {}),
  };
}

/** The aggregated document for /api (core only) or /apis (every named group). */
export function aggregatedDiscovery(
  registry: ResourceRegistry,
  legacy: boolean,
  apiVersion: "v2" | "v2beta1",
): Record<string, unknown> {
  const items = registry
    .groups()
    .filter((g) => (g.group === "") === legacy)
    .map((g) => ({
      metadata: { name: g.group, creationTimestamp: null },
      versions: g.versions.map((version) => ({
        version,
        resources: registry.inGroupVersion(g.group, version).map(aggregatedResource),
        freshness: "Current",
      })),
    }));
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: `apidiscovery.k8s.io/${apiVersion}`,
    metadata: {},
    items,
  };
}
