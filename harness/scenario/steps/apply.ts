// apply: server-side apply (field manager "ovslab", forced, as `kubectl apply --server-side --force-conflicts`)
// of the objects of a manifest file or inline manifests. Namespaces as written in the scenario become the run's
// own namespaces; objects without one go to the step's `namespace` (default: the scenario's first).
import { stringify } from "yaml";
import { z } from "zod";
import { apiErrorMessage } from "../kube.ts";
import {
  checkManifestFile,
  countSources,
  describeSource,
  ManifestShape,
  manifestObjects,
} from "./manifests.ts";
import { defineStep, STEP_COMMON, StepFailure } from "./step-kind.ts";

export const FIELD_MANAGER = "ovslab";

const Apply = z.strictObject({ ...STEP_COMMON, ...ManifestShape }).superRefine((a, ctx) => {
  if (countSources(a) !== 1) {
    ctx.addIssue({ code: "custom", path: [], message: "give exactly one of file, manifest or manifests" });
  }
});

export const applyStep = defineStep({
  kind: "apply",
  description: "Server-side apply of Kubernetes objects from a file or inline",
  schema: Apply,
  defaultTimeoutMs: 30_000,
  title: (a) => `apply ${describeSource(a)}`,
  check: (a, env) => checkManifestFile(a, env),
  async run(a, ctx) {
    const objects = await manifestObjects(a, ctx.scenario.dir);
    const kube = await ctx.kube();
    const defaultNamespace = ctx.namespace(a.namespace);
    for (const obj of objects) {
      if (obj.metadata.namespace) obj.metadata.namespace = ctx.namespace(obj.metadata.namespace);
      const yaml = stringify(obj);
      await ctx.artifacts.attach(`${obj.kind}-${obj.metadata.name}.yaml`, yaml, "text/yaml");
      try {
        const applied = await kube.apply(obj, obj.metadata.namespace ?? defaultNamespace, FIELD_MANAGER);
        if (!applied.metadata?.namespace) ctx.rememberClusterObject(obj);
      } catch (err) {
        throw new StepFailure({
          summary: `apply ${obj.kind} ${obj.metadata.name} failed`,
          expected: "the API server accepts the object",
          seen: apiErrorMessage(err),
          reproduce: [
            `${kube.kubectl(["apply", "--server-side", "--force-conflicts", "-n", obj.metadata.namespace ?? defaultNamespace, "-f", "-"])} <<'EOF'\n${yaml}EOF`,
          ],
        });
      }
    }
  },
});
