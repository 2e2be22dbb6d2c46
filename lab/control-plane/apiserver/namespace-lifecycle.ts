// Namespace deletion as kube-apiserver and the namespace controller do it together: the Namespace gets a
// deletionTimestamp and phase Terminating, everything in it is deleted, and once it is empty its
// spec.finalizers are cleared so that storage removes it.
import { ApiError } from "../errors.ts";
import { isObject, type KubeObject } from "../object.ts";
import { resourceKey } from "../resources/types.ts";
import type { ResourceApi } from "./resource-api.ts";

/** For the Store's `holdsObject` option: a Namespace stays while its spec.finalizers are non-empty. */
export function namespaceHeld(resource: string, o: KubeObject): boolean {
  return (
    resource === "namespaces" &&
    isObject(o.spec) &&
    Array.isArray(o.spec.finalizers) &&
    o.spec.finalizers.length > 0
  );
}

function isEmpty(api: ResourceApi, namespace: string): boolean {
  return api.registry.all
    .filter((d) => d.namespaced)
    .every((d) => api.store.list(resourceKey(d), namespace).length === 0);
}

function finalize(api: ResourceApi, namespace: string): void {
  const ns = api.store.get("namespaces", undefined, namespace);
  if (!ns?.metadata.deletionTimestamp || !isEmpty(api, namespace)) return;
  api.store.update("namespaces", { ...ns, spec: { ...(isObject(ns.spec) ? ns.spec : {}), finalizers: [] } });
}

/** Deletes a Namespace and its content; returns the Namespace as it is after the delete. */
export function deleteNamespace(api: ResourceApi, name: string): KubeObject {
  const ns = api.get(api.resolve("namespaces"), undefined, name);
  if (!ns.metadata.deletionTimestamp) {
    api.store.update("namespaces", {
      ...ns,
      status: { ...(isObject(ns.status) ? ns.status : {}), phase: "Terminating" },
    });
    api.store.delete("namespaces", undefined, name);
  }
  for (const def of api.registry.all.filter((d) => d.namespaced)) {
    for (const o of api.store.list(resourceKey(def), name)) {
      try {
        api.delete(def, name, o.metadata.name ?? "");
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
  }
  finalize(api, name);
  return api.store.get("namespaces", undefined, name) ?? { ...ns, status: { phase: "Terminating" } };
}

/** Finishes terminating namespaces as their last objects go away. */
export function startNamespaceFinalizer(api: ResourceApi): () => void {
  return api.store.subscribe((e) => {
    const ns = e.object.metadata.namespace;
    if (e.type === "DELETED" && ns) finalize(api, ns);
  });
}
