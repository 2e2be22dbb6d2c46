import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { containerEnv, expandVars } from "./container-env.ts";

const pod: V1Pod = {
  metadata: { name: "web-0", namespace: "prod", uid: "u-1", labels: { app: "web" } },
  spec: { containers: [], serviceAccountName: "default" },
};
const ctx = { pod, nodeName: "worker-1", hostIP: "172.18.0.3", podIPs: ["10.244.1.7"] };

describe("container environment", () => {
  it("sets the Pod's name as hostname, resolves fieldRefs and expands $(VAR) in order", () => {
    const result = containerEnv(
      {
        name: "c",
        env: [
          { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
          { name: "NODE", valueFrom: { fieldRef: { fieldPath: "spec.nodeName" } } },
          { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: "URL", value: "http://$(IP):80/$(UNDEFINED)/$$(IP)" },
        ],
      },
      ctx,
      { FROM_IMAGE: "1" },
    );
    expect(result).toMatchObject({
      env: {
        HOSTNAME: "web-0",
        OVSLAB_POD_NAME: "web-0",
        OVSLAB_POD_NAMESPACE: "prod",
        FROM_IMAGE: "1",
        IP: "10.244.1.7",
        NODE: "worker-1",
        APP: "web",
        URL: "http://10.244.1.7:80/$(UNDEFINED)/$(IP)",
      },
    });
  });

  it("refuses what it cannot provide, like CreateContainerConfigError", () => {
    expect(
      containerEnv(
        { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cm", key: "k" } } }] },
        ctx,
      ),
    ).toEqual({ error: "env X: only valueFrom.fieldRef is supported by the embedded kubelet" });
    expect(containerEnv({ name: "c", envFrom: [{ configMapRef: { name: "cm" } }] }, ctx)).toMatchObject({
      error: expect.stringContaining("envFrom"),
    });
  });

  it("expands command arguments like Kubernetes", () => {
    expect(expandVars("$(A)-$(B)-$$(A)-$(", { A: "1" })).toBe("1-$(B)-$(A)-$(");
  });
});
