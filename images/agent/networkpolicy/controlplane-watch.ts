// Watches one kind of controlplane.antrea.io object (NetworkPolicy, AddressGroup, AppliedToGroup). The objects
// come in as plain JSON and are checked with the shared zod schemas when read; one that does not parse is
// skipped with a warning (once per resourceVersion) instead of breaking the whole sync.
import type {
  CustomObjectsApi,
  KubeConfig,
  KubernetesListObject,
  KubernetesObject,
} from "@kubernetes/client-node";
import { z } from "zod";
import { CONTROLPLANE_GROUP, CONTROLPLANE_RESOURCES, CONTROLPLANE_VERSION } from "../../api/controlplane.ts";
import type { Logger } from "../log.ts";
import { type WatchedList, watchList } from "../watch.ts";

const listSchema = z.object({
  metadata: z.object({ resourceVersion: z.string().optional() }).optional(),
  items: z.array(z.looseObject({ metadata: z.looseObject({ name: z.string() }) })),
});

export interface ControlplaneList<T> {
  /** The objects that parse. */
  list(): T[];
  stop(): Promise<void>;
}

export async function watchControlplane<T>(opts: {
  kc: KubeConfig;
  custom: CustomObjectsApi;
  resource: keyof typeof CONTROLPLANE_RESOURCES;
  schema: z.ZodType<T>;
  onChange: () => void;
  log: Logger;
}): Promise<ControlplaneList<T>> {
  const plural = CONTROLPLANE_RESOURCES[opts.resource];
  const target = { group: CONTROLPLANE_GROUP, version: CONTROLPLANE_VERSION, plural };
  const watched: WatchedList<KubernetesObject> = await watchList<KubernetesObject>({
    kc: opts.kc,
    path: `/apis/${CONTROLPLANE_GROUP}/${CONTROLPLANE_VERSION}/${plural}`,
    list: async () => {
      const parsed = listSchema.parse(await opts.custom.listClusterCustomObject(target));
      return {
        metadata: parsed.metadata ?? {},
        items: parsed.items,
      } as KubernetesListObject<KubernetesObject>;
    },
    onChange: opts.onChange,
    log: opts.log,
  });
  const warned = new Set<string>();
  return {
    list: () => {
      const out: T[] = [];
      for (const o of watched.list()) {
        const parsed = opts.schema.safeParse(o);
        if (parsed.success) {
          out.push(parsed.data);
          continue;
        }
        const id = `${o.metadata?.name}@${o.metadata?.resourceVersion}`;
        if (!warned.has(id)) {
          warned.add(id);
          opts.log.warn(
            `ignoring ${plural} ${o.metadata?.name}: ${parsed.error.issues[0]?.message ?? "invalid"}`,
          );
        }
      }
      return out;
    },
    stop: () => watched.stop(),
  };
}
