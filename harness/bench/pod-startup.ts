// Benchmark: Pod start latency on the embedded lab — from `create` to Ready (scheduling, sandbox, CNI ADD through
// the reference plugin and agent, container start, readiness probe), and until a Pod on the other worker reaches it.

import { CoreV1Api } from "@kubernetes/client-node";
import { agnhostPod, waitReady, withBenchLab } from "./bench-lab.ts";
import type { Benchmark } from "./benchmark.ts";

const LABELS = { bench: "pod-startup" };

export const podStartup: Benchmark = {
  name: "pod-startup",
  description:
    "one agnhost Pod on a worker: create -> Ready, and create -> reachable from a Pod on the other worker",
  targets: { "create to Ready (ms)": 2000, "create to reachable (ms)": 2500 },
  async run(runs) {
    return withBenchLab("bpod", async ({ provider, name: lab, kc }) => {
      const api = kc.makeApiClient(CoreV1Api);
      await api.createNamespacedPod({ namespace: "default", body: agnhostPod("client", "worker2", LABELS) });
      await waitReady(api, "client");
      const ready: number[] = [];
      const reachable: number[] = [];
      for (let i = 0; i < runs; i++) {
        const name = `server-${i}`;
        const t0 = performance.now();
        await api.createNamespacedPod({ namespace: "default", body: agnhostPod(name, "worker", LABELS) });
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
    });
  },
};
