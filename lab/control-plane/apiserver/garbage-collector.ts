// Background cascading deletion: when an object is finally removed, its dependents (objects whose
// ownerReferences name it) are deleted too, unless another owner of theirs still exists.
import { ApiError } from "../errors.ts";
import type { ResourceApi } from "./resource-api.ts";

export function startGarbageCollector(api: ResourceApi): () => void {
  const ownerExists = (uid: string) =>
    api.store.resources().some((key) => api.store.list(key).some((o) => o.metadata.uid === uid));
  return api.store.subscribe((e) => {
    if (e.type !== "DELETED" || !e.object.metadata.uid) return;
    for (const { def, object } of api.dependents(e.object.metadata.uid)) {
      const others = (object.metadata.ownerReferences ?? []).filter((r) => r.uid !== e.object.metadata.uid);
      if (others.some((r) => ownerExists(r.uid))) continue;
      try {
        api.delete(def, object.metadata.namespace, object.metadata.name ?? "");
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 404)) throw err;
      }
    }
  });
}
