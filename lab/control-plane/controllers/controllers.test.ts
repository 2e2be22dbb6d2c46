// The controllers against a real in-process API server, driven through real kubectl where a user would.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { silentLogger } from "../apiserver/log.ts";
import { startTestCluster, type TestCluster } from "../testing/test-cluster.ts";
import { startControllers } from "./index.ts";
import type { Lease, Node, Pod, ReplicaSet } from "./types.ts";

let cluster: TestCluster;
let stop: () => void;
let clock = Date.now();
const now = () => new Date(clock);

function node(name: string, role: "control-plane" | "worker"): Node {
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name,
      labels: {
        "kubernetes.io/hostname": name,
        ...(role === "control-plane" ? { "node-role.kubernetes.io/control-plane": "" } : {}),
      },
    },
    spec:
      role === "control-plane"
        ? { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" as const }] }
        : {},
  };
}

/** What a kubelet would report: Ready, or a Pod Running with an IP and Ready. */
function setNodeReady(name: string) {
  const nodes = cluster.server.api.client<Node>("nodes");
  const n = nodes.get(name);
  nodes.updateStatus({
    ...n,
    status: { conditions: [{ type: "Ready", status: "True", reason: "KubeletReady" }] },
  });
}
function runPod(p: Pod, ip: string) {
  cluster.server.api.client<Pod>("pods").updateStatus({
    ...p,
    status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: "True" }] },
  });
}
const pods = () => cluster.server.api.client<Pod>("pods");

beforeAll(async () => {
  cluster = await startTestCluster();
  stop = startControllers(cluster.server.api, {
    ipam: {
      clusterCIDR: "10.244.0.0/16",
      nodeMaskSize: 24,
      preferred: { cp: "10.244.0.0/24", w1: "10.244.1.0/24" },
    },
    lifecycle: { gracePeriodMs: 10_000 },
    log: silentLogger,
    now,
  });
  for (const [name, role] of [
    ["cp", "control-plane"],
    ["w1", "worker"],
    ["w2", "worker"],
  ] as const) {
    cluster.server.api.client<Node>("nodes").create(node(name, role));
    setNodeReady(name);
  }
});

afterAll(async () => {
  stop?.();
  await cluster?.close();
});

describe("controllers", () => {
  it("node IPAM gives each node its preferred Pod CIDR, others the first free one", async () => {
    const nodes = cluster.server.api.client<Node>("nodes");
    await expect
      .poll(() => nodes.list().map((n) => [n.metadata.name, n.spec?.podCIDR]))
      .toEqual([
        ["cp", "10.244.0.0/24"],
        ["w1", "10.244.1.0/24"],
        ["w2", "10.244.2.0/24"],
      ]);
  });

  it("a Deployment applied with kubectl gets a ReplicaSet and Pods spread over the workers, not the tainted control plane", async () => {
    const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 4
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.52
        args: [netexec, --http-port=8080]
        ports: [{ name: http, containerPort: 8080 }]
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default }
spec:
  selector: { app: web }
  ports: [{ name: http, port: 80, targetPort: http }]
`;
    const res = await cluster.kubectl(["apply", "-f", "-"], manifest);
    expect(res.code, res.stderr).toBe(0);
    await expect
      .poll(
        () =>
          pods()
            .list({ labelSelector: "app=web" })
            .filter((p) => p.spec?.nodeName).length,
      )
      .toBe(4);
    const placed = pods()
      .list({ labelSelector: "app=web" })
      .map((p) => p.spec?.nodeName);
    expect(placed.filter((n) => n === "w1")).toHaveLength(2);
    expect(placed.filter((n) => n === "w2")).toHaveLength(2);
    const rs = cluster.server.api.client<ReplicaSet>("replicasets").list({ namespace: "default" });
    expect(rs).toHaveLength(1);
    expect(rs[0]!.metadata.name).toMatch(/^web-[0-9a-f]{10}$/);
  });

  it("Endpoints and EndpointSlices follow Pod readiness and resolve named target ports", async () => {
    const web = pods().list({ labelSelector: "app=web" });
    for (const [i, p] of web.entries()) runPod(p, `10.244.${p.spec?.nodeName === "w1" ? 1 : 2}.${10 + i}`);
    const endpoints = cluster.server.api.client("endpoints");
    await expect
      .poll(
        () =>
          (
            (endpoints.find("web", "default")?.subsets as { addresses?: unknown[] }[] | undefined)?.[0]
              ?.addresses ?? []
          ).length,
      )
      .toBe(4);
    const subset = (endpoints.get("web", "default").subsets as { ports: unknown[] }[])[0]!;
    expect(subset.ports).toEqual([{ name: "http", port: 8080, protocol: "TCP" }]);
    const slices = cluster.server.api
      .client("endpointslices")
      .list({ labelSelector: "kubernetes.io/service-name=web" });
    expect(slices).toHaveLength(1);
    expect((slices[0]!.endpoints as unknown[]).length).toBe(4);
    const get = await cluster.kubectl(["get", "endpoints", "web"]);
    expect(get.stdout).toMatch(/web\s+10\.244\.\d+\.\d+:8080,10\.244/);
  });

  it("kubectl rollout status sees the Deployment complete; scaling down removes Pods", async () => {
    const rollout = await cluster.kubectl(["rollout", "status", "deployment/web", "--timeout=20s"]);
    expect(rollout.code, rollout.stdout + rollout.stderr).toBe(0);
    expect(rollout.stdout).toContain('deployment "web" successfully rolled out');
    const scale = await cluster.kubectl(["scale", "deployment/web", "--replicas=1"]);
    expect(scale.code, scale.stderr).toBe(0);
    await expect
      .poll(
        () =>
          pods()
            .list({ labelSelector: "app=web" })
            .filter((p) => !p.metadata.deletionTimestamp).length,
      )
      .toBe(1);
  });

  it("a changed template rolls out a new ReplicaSet and retires the old one", async () => {
    const res = await cluster.kubectl(["set", "env", "deployment/web", "COLOUR=blue"]);
    expect(res.code, res.stderr).toBe(0);
    const rsets = cluster.server.api.client<ReplicaSet>("replicasets");
    await expect.poll(() => rsets.list({ namespace: "default" }).length).toBe(2);
    // act as the kubelet for the new Pod
    await expect
      .poll(() => {
        for (const p of pods().list({ labelSelector: "app=web" }))
          if (p.spec?.nodeName && !p.status?.podIP) runPod(p, "10.244.1.99");
        return rsets
          .list({ namespace: "default" })
          .map((r) => r.spec?.replicas)
          .sort();
      })
      .toEqual([0, 1]);
  });

  it("an unschedulable Pod says why", async () => {
    pods().create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "picky", namespace: "default" },
      spec: { nodeSelector: { disk: "ssd" }, containers: [{ name: "c", image: "busybox" }] },
    } as Pod);
    await expect
      .poll(
        () =>
          pods()
            .get("picky", "default")
            .status?.conditions?.find((c) => c.type === "PodScheduled")?.message,
      )
      .toBe(
        "0/3 nodes are available: 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector.",
      );
  });

  it("a node whose lease is not renewed becomes Unknown and tainted unreachable", async () => {
    const leases = cluster.server.api.client<Lease>("leases");
    const renew = (name: string) => {
      const existing = leases.find(name, "kube-node-lease");
      const spec = {
        holderIdentity: name,
        renewTime: now()
          .toISOString()
          .replace(/\.(\d{3})Z$/, ".$1000Z"),
        leaseDurationSeconds: 40,
      };
      if (existing) leases.update({ ...existing, spec });
      else
        leases.create({
          apiVersion: "coordination.k8s.io/v1",
          kind: "Lease",
          metadata: { name, namespace: "kube-node-lease" },
          spec,
        });
    };
    for (const n of ["cp", "w1", "w2"]) renew(n);
    clock += 11_000;
    renew("cp");
    renew("w1");
    const nodes = cluster.server.api.client<Node>("nodes");
    await expect
      .poll(() => nodes.get("w2").status?.conditions?.find((c) => c.type === "Ready")?.status, {
        timeout: 5000,
      })
      .toBe("Unknown");
    await expect
      .poll(() => nodes.get("w2").spec?.taints?.map((t) => t.key), { timeout: 5000 })
      .toContain("node.kubernetes.io/unreachable");
    expect(nodes.get("w1").status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });
});
