// Strategic-merge strategies of the built-in kinds, transcribed from the `patchStrategy`/`patchMergeKey` tags of
// the Kubernetes API types (k8s.io/api). Lists not named here are atomic: a patch replaces them whole.
import type { PatchSchema } from "../patch/strategic-merge.ts";

const conditions = { mergeKey: "type" } as const;

export const objectMetaSchema: PatchSchema = {
  finalizers: { setMerge: true },
  ownerReferences: { mergeKey: "uid" },
};

const containerSchema: PatchSchema = {
  ports: { mergeKey: "containerPort" },
  env: { mergeKey: "name" },
  volumeMounts: { mergeKey: "mountPath" },
  volumeDevices: { mergeKey: "devicePath" },
};

export const podSpecSchema: PatchSchema = {
  volumes: { mergeKey: "name" },
  initContainers: { mergeKey: "name", fields: containerSchema },
  containers: { mergeKey: "name", fields: containerSchema },
  ephemeralContainers: { mergeKey: "name", fields: containerSchema },
  imagePullSecrets: { mergeKey: "name" },
  hostAliases: { mergeKey: "ip" },
  topologySpreadConstraints: { mergeKey: "topologyKey" },
  schedulingGates: { mergeKey: "name" },
  resourceClaims: { mergeKey: "name" },
};

const podTemplateSchema: PatchSchema = {
  metadata: { fields: objectMetaSchema },
  spec: { fields: podSpecSchema },
};

/** Schema for a kind with no merging lists besides those in its metadata. */
export function withMetadata(rest: PatchSchema = {}): PatchSchema {
  return { metadata: { fields: objectMetaSchema }, ...rest };
}

export const podSchema = withMetadata({
  spec: { fields: podSpecSchema },
  status: { fields: { conditions, podIPs: { mergeKey: "ip" }, hostIPs: { mergeKey: "ip" } } },
});

export const workloadSchema = withMetadata({
  spec: { fields: { template: { fields: podTemplateSchema } } },
  status: { fields: { conditions } },
});

export const serviceSchema = withMetadata({
  spec: { fields: { ports: { mergeKey: "port" } } },
  status: { fields: { conditions } },
});

export const nodeSchema = withMetadata({
  spec: { fields: { podCIDRs: { setMerge: true } } },
  status: { fields: { conditions, addresses: { mergeKey: "type" } } },
});

export const namespaceSchema = withMetadata({ status: { fields: { conditions } } });

export const serviceAccountSchema = withMetadata({ secrets: { mergeKey: "name" } });
