import type { V1Pod, V1Service } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { nplPodIP, podTargets, wantsNodePortLocal } from "./targets.ts";

const pod = (over: Partial<{ ns: string; labels: Record<string, string>; node: string }> = {}): V1Pod => ({
  metadata: { name: "web-0", namespace: over.ns ?? "default", labels: over.labels ?? { app: "web" } },
  spec: {
    nodeName: over.node ?? "worker",
    containers: [
      {
        name: "c",
        ports: [
          { name: "http", containerPort: 8080 },
          { name: "dns", containerPort: 5353, protocol: "UDP" },
        ],
      },
    ],
  },
  status: { phase: "Running", podIP: "10.244.1.2" },
});

const svc = (over: {
  ann?: string | undefined;
  type?: string;
  selector?: Record<string, string>;
  ports?: NonNullable<V1Service["spec"]>["ports"];
}): V1Service => ({
  metadata: {
    name: "web",
    namespace: "default",
    annotations: over.ann === undefined ? {} : { "nodeportlocal.antrea.io/enabled": over.ann },
  },
  spec: {
    ...(over.type ? { type: over.type } : {}),
    selector: over.selector ?? { app: "web" },
    ports: over.ports ?? [{ port: 80, targetPort: 8080 }],
  },
});

describe("NodePortLocal targets", () => {
  it("takes annotated ClusterIP and LoadBalancer Services with a selector only", () => {
    expect(wantsNodePortLocal(svc({ ann: "true" }))).toBe(true);
    expect(wantsNodePortLocal(svc({ ann: "true", type: "LoadBalancer" }))).toBe(true);
    expect(wantsNodePortLocal(svc({ ann: "true", type: "NodePort" }))).toBe(false);
    expect(wantsNodePortLocal(svc({ ann: "false" }))).toBe(false);
    expect(wantsNodePortLocal(svc({}))).toBe(false);
    expect(wantsNodePortLocal(svc({ ann: "true", selector: {} }))).toBe(false);
  });

  it("resolves numeric, named and missing target ports per protocol, once each", () => {
    const services = [
      svc({
        ann: "true",
        ports: [
          { port: 80, targetPort: "http" },
          { port: 81, targetPort: 8080 }, // same Pod port and protocol: one mapping
          { port: 53, targetPort: "dns", protocol: "UDP" },
          { port: 9000, protocol: "UDP" }, // no targetPort: the Service port
          { port: 54, targetPort: "dns" }, // "dns" is a UDP port: nothing for TCP
          { port: 55, targetPort: "nope" },
          { port: 132, protocol: "SCTP" },
        ],
      }),
    ];
    expect(podTargets(pod(), services)).toEqual([
      { podPort: 5353, protocol: "udp" },
      { podPort: 8080, protocol: "tcp" },
      { podPort: 9000, protocol: "udp" },
    ]);
  });

  it("needs the Service's namespace and every selector label", () => {
    const s = [svc({ ann: "true", selector: { app: "web", tier: "fe" } })];
    expect(podTargets(pod(), s)).toEqual([]);
    expect(podTargets(pod({ labels: { app: "web", tier: "fe" } }), s)).toEqual([
      { podPort: 8080, protocol: "tcp" },
    ]);
    expect(podTargets(pod({ ns: "other", labels: { app: "web", tier: "fe" } }), s)).toEqual([]);
  });

  it("serves running Pods of its own Node with an IPv4 address", () => {
    expect(nplPodIP(pod(), "worker")).toBe("10.244.1.2");
    expect(nplPodIP(pod(), "worker2")).toBeUndefined();
    expect(
      nplPodIP({ ...pod(), status: { phase: "Succeeded", podIP: "10.244.1.2" } }, "worker"),
    ).toBeUndefined();
    expect(nplPodIP({ ...pod(), status: { phase: "Pending" } }, "worker")).toBeUndefined();
    const hostNet = pod();
    hostNet.spec!.hostNetwork = true;
    expect(nplPodIP(hostNet, "worker")).toBeUndefined();
  });
});
