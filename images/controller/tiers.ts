// The static Tiers the antrea-controller creates at startup (pkg/controller/networkpolicy/tier.go), so that
// `kubectl get tiers` lists them and policies can name them.
import { CRD_GROUP, CRD_RESOURCES, CRD_VERSION, STATIC_TIERS } from "../api/crd-policy.ts";
import { apiErrorCode, type CustomObjects, describeApiError } from "./kube/custom-objects.ts";
import type { Logger } from "./log.ts";

/**
 * Creates the static Tiers that do not exist. True when done: each exists, or was refused by validation (e.g.
 * a user Tier already has the priority), which retrying cannot change; false when a retry may succeed.
 */
export async function ensureStaticTiers(objects: CustomObjects, log: Logger): Promise<boolean> {
  const ref = { group: CRD_GROUP, version: CRD_VERSION, plural: CRD_RESOURCES.tier };
  const done = await Promise.all(
    STATIC_TIERS.map(async (t) => {
      try {
        await objects.create(ref, {
          apiVersion: `${CRD_GROUP}/${CRD_VERSION}`,
          kind: "Tier",
          metadata: { name: t.name },
          spec: { priority: t.priority, description: `[READ-ONLY]: System generated ${t.displayName} Tier` },
        });
        log.info(`created static Tier ${t.name} (priority ${t.priority})`);
        return true;
      } catch (err) {
        const code = apiErrorCode(err);
        if (code === 409) return true;
        if (code !== undefined && code >= 400 && code < 500) {
          log.warn(`cannot create static Tier ${t.name}: ${describeApiError(err)}`);
          return true;
        }
        log.warn(`cannot create static Tier ${t.name} (will retry): ${describeApiError(err)}`);
        return false;
      }
    }),
  );
  return done.every(Boolean);
}
