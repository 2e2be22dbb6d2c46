// The controller's writes of objects outside the core API groups (crd.antrea.io, controlplane.antrea.io),
// through client-node's CustomObjectsApi. Responses are untyped JSON, checked for an object's shape.

import {
  ApiException,
  CustomObjectsApi,
  type KubeConfig,
  type KubernetesObject,
  PatchStrategy,
  setHeaderOptions,
} from "@kubernetes/client-node";
import { z } from "zod";

export { describeApiError } from "../../common/api-error.ts";

/** An object of any kind as the API returns it. */
export interface ApiObject extends KubernetesObject {
  [field: string]: unknown;
}

export interface ResourceRef {
  group: string;
  version: string;
  plural: string;
}

const objectSchema = z.looseObject({ metadata: z.looseObject({ name: z.string() }) });

function asObject(v: unknown): ApiObject {
  return objectSchema.parse(v) as ApiObject;
}

/** The HTTP status of a failed API call, undefined for transport errors. */
export function apiErrorCode(err: unknown): number | undefined {
  return err instanceof ApiException ? err.code : undefined;
}

export type StatusPatchType = "merge" | "strategic";

export class CustomObjects {
  private readonly api: CustomObjectsApi;

  constructor(kc: KubeConfig) {
    this.api = kc.makeApiClient(CustomObjectsApi);
  }

  async create(res: ResourceRef, body: ApiObject): Promise<ApiObject> {
    return asObject(await this.api.createClusterCustomObject({ ...res, body }));
  }

  async replace(res: ResourceRef, name: string, body: ApiObject): Promise<ApiObject> {
    return asObject(await this.api.replaceClusterCustomObject({ ...res, name, body }));
  }

  async remove(res: ResourceRef, name: string): Promise<void> {
    await this.api.deleteClusterCustomObject({ ...res, name });
  }

  /** Patches the status subresource of a cluster-scoped object, or of a namespaced one when `namespace` is set. */
  async patchStatus(
    res: ResourceRef,
    target: { namespace?: string; name: string },
    body: unknown,
    type: StatusPatchType,
  ): Promise<ApiObject> {
    const options = setHeaderOptions(
      "Content-Type",
      type === "merge" ? PatchStrategy.MergePatch : PatchStrategy.StrategicMergePatch,
    );
    const result = target.namespace
      ? await this.api.patchNamespacedCustomObjectStatus(
          { ...res, namespace: target.namespace, name: target.name, body },
          options,
        )
      : await this.api.patchClusterCustomObjectStatus({ ...res, name: target.name, body }, options);
    return asObject(result);
  }
}
