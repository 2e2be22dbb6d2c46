// delete: the objects of a manifest file or inline manifests, or objects named by kind and name or selector.
// Deletion is requested, not awaited: follow with `wait: {for: deleted}` where it matters.
import type { KubernetesObject } from "@kubernetes/client-node";
import { z } from "zod";
import { apiErrorMessage, isNotFound } from "../kube.ts";
import {
  checkManifestFile,
  countSources,
  describeSource,
  ManifestShape,
  manifestObjects,
} from "./manifests.ts";
import {
  describeResource,
  fetchObjects,
  kubectlGet,
  ResourceShape,
  resolveResource,
  resourceIssues,
} from "./objects.ts";
import { defineStep, STEP_COMMON, StepFailure } from "./step-kind.ts";

const Delete = z
  .strictObject({
    ...STEP_COMMON,
    ...ManifestShape,
    ...ResourceShape,
    ignoreNotFound: z.boolean().default(false).describe("succeed when an object does not exist"),
  })
  .superRefine((d, ctx) => {
    const sources = countSources(d) + (d.resource !== undefined || d.selector !== undefined ? 1 : 0);
    if (sources !== 1) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "give exactly one of file, manifest, manifests or resource",
      });
    } else if (d.resource !== undefined || d.selector !== undefined) {
      resourceIssues(d, ctx);
    }
  });

export const deleteStep = defineStep({
  kind: "delete",
  description: "Deletes Kubernetes objects named by manifests, by KIND/NAME or by KIND and label selector",
  schema: Delete,
  defaultTimeoutMs: 30_000,
  title: (d) =>
    `delete ${d.resource !== undefined ? `${d.resource}${d.selector ? ` -l ${d.selector}` : ""}` : describeSource(d)}`,
  check: (d, env) => checkManifestFile(d, env),
  async run(d, ctx) {
    const kube = await ctx.kube();
    const api = kube.objects(ctx.namespace(d.namespace));
    let objects: KubernetesObject[];
    if (d.resource !== undefined) {
      const resource = resolveResource(d, ctx);
      objects = await fetchObjects(kube, resource);
      if (!objects.length && resource.name !== undefined && !d.ignoreNotFound) {
        throw new StepFailure({
          summary: `delete ${describeResource(resource)} failed`,
          expected: "the object exists",
          seen: "not found",
          reproduce: [kube.kubectl(kubectlGet(resource))],
        });
      }
    } else {
      objects = await manifestObjects(d, ctx.scenario.dir);
      for (const obj of objects) {
        if (obj.metadata?.namespace) obj.metadata.namespace = ctx.namespace(obj.metadata.namespace);
      }
    }
    for (const obj of objects) {
      const name = `${obj.kind} ${obj.metadata?.namespace ? `${obj.metadata.namespace}/` : ""}${obj.metadata?.name}`;
      try {
        await api.delete(obj, undefined, undefined, undefined, undefined, "Background");
      } catch (err) {
        if (isNotFound(err) && d.ignoreNotFound) continue;
        throw new StepFailure({
          summary: `delete ${name} failed`,
          expected: "the API server deletes the object",
          seen: apiErrorMessage(err),
          reproduce: [
            kube.kubectl([
              "delete",
              String(obj.kind).toLowerCase(),
              String(obj.metadata?.name),
              ...(obj.metadata?.namespace ? ["-n", obj.metadata.namespace] : []),
            ]),
          ],
        });
      }
    }
  },
});
