// Benchmark: Pod start latency on the embedded lab — from `create` to Ready (scheduling, sandbox, CNI ADD through
// the reference plugin and agent, container start, readiness probe), and until a Pod on the other worker reaches it.

import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { assertNoLeftovers } from "../../lab/netns/leaks.ts";
import { NetnsProvider } from "../../lab/netns/provider.ts";
import { loadTopology } from "../../lab/topology/load.ts";
import { DEFAULT_TOPOLOGY } from "../cli/paths.ts";
import type { Benchmark } from "./benchmark.ts";

const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.52";

function pod(name: string, node: string): V1Pod {
  return {
    metadata: { name, labels: { bench: "pod-startup" } },
    spec: {
      nodeName: node,
      containers: [
        {
          name: "agnhost",
          image: AGNHOST,
          args: ["netexec", "--http-port=8080"],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  };
}

async function waitReady(api: CoreV1Api, name: string, timeoutMs = 60_000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await api.readNamespacedPod({ name, namespace: "default" });
    if (p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) return p;
    if (Date.now() > deadline) throw new Error(`pod ${name} not Ready after ${timeoutMs} ms`);
    await sleep(20);
  }
}

export const podStartup: Benchmark = {
  name: "pod-startup",
  description:
    "one agnhost Pod on a worker: create -> Ready, and create -> reachable from a Pod on the other worker",
  targets: { "create to Ready (ms)": 2000, "create to reachable (ms)": 2500 },
  async run(runs) {
    const provider = new NetnsProvider();
    const { spec } = await loadTopology(DEFAULT_TOPOLOGY);
    const lab = `bpod${process.pid % 10000}`;
    const status = await provider.up(spec, { name: lab });
    try {
      const kc = new KubeConfig();
      kc.loadFromFile(status.kubeconfig ?? "");
      const api = kc.makeApiClient(CoreV1Api);
      await api.createNamespacedPod({ namespace: "default", body: pod("client", "worker2") });
      await waitReady(api, "client");
      const ready: number[] = [];
      const reachable: number[] = [];
      for (let i = 0; i < runs; i++) {
        const name = `server-${i}`;
        const t0 = performance.now();
        await api.createNamespacedPod({ namespace: "default", body: pod(name, "worker") });
        const p = await waitReady(api, name);
        ready.push(performance.now() - t0);
        const ip = p.status?.podIP ?? "";
        for (;;) {
          const res = await provider.exec(lab, { kind: "pod", namespace: "default", name: "client" }, [
            "curl",
            "-s",
            "-m",
            "1",
            `http://${ip}:8080/hostname`,
          ]);
          if (res.code === 0 && res.stdout.trim() === name) break;
          if (performance.now() - t0 > 60_000)
            throw new Error(
              `${name} (${ip}) never became reachable from client: ${res.code} ${res.stdout} ${res.stderr}`,
            );
        }
        reachable.push(performance.now() - t0);
        await api.deleteNamespacedPod({ name, namespace: "default", gracePeriodSeconds: 0 });
      }
      return { "create to Ready (ms)": ready, "create to reachable (ms)": reachable };
    } finally {
      await provider.down(lab);
      await assertNoLeftovers(lab);
    }
  },
};
