// Names of the owners of flows in the desired state: one per thing whose flows come and go together.
export const flowsOwner = {
  pipeline: "pipeline",
  gateway: "gateway",
  pod: (containerId: string) => `pod/${containerId}`,
  peer: (nodeName: string) => `peer/${nodeName}`,
  servicePort: (key: string) => `service/${key}`,
} as const;
