// The embedded lab a benchmark measures on: the default topology brought up under a name of its own, torn down and
// checked for leftovers whatever happens, and the agnhost Pods the benchmarks place on its Nodes.

import { setTimeout as sleep } from "node:timers/promises";
import { type CoreV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { assertNoLeftovers } from "../../lab/netns/leaks.ts";
import { NetnsProvider } from "../../lab/netns/provider.ts";
import { loadTopology } from "../../lab/topology/load.ts";
import { DEFAULT_TOPOLOGY } from "../cli/paths.ts";

const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.52";
/** Short, as a benchmark may time the wait itself (create to Ready). */
const POLL_MS = 20;

export interface BenchLab {
  provider: NetnsProvider;
  /** The lab's name, for provider calls. */
  name: string;
  kc: KubeConfig;
}

/** Runs `use` on a default lab named `<prefix><pid>`, then takes the lab down, even when `use` throws. */
export async function withBenchLab<T>(prefix: string, use: (lab: BenchLab) => Promise<T>): Promise<T> {
  const provider = new NetnsProvider();
  const { spec } = await loadTopology(DEFAULT_TOPOLOGY);
  const name = `${prefix}${process.pid % 10000}`;
  const status = await provider.up(spec, { name });
  try {
    const kc = new KubeConfig();
    kc.loadFromFile(status.kubeconfig ?? "");
    return await use({ provider, name, kc });
  } finally {
    await provider.down(name);
    await assertNoLeftovers(name);
  }
}

/** An agnhost `netexec` Pod (HTTP on 8080, Ready once it listens) on `node`, in the default namespace. */
export function agnhostPod(name: string, node: string, labels: Record<string, string>): V1Pod {
  return {
    metadata: { name, labels },
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

/** The Pod once its Ready condition is True; throws after `timeoutMs`. */
export async function waitReady(api: CoreV1Api, name: string, timeoutMs = 60_000): Promise<V1Pod> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await api.readNamespacedPod({ name, namespace: "default" });
    if (p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True")) return p;
    if (Date.now() > deadline) throw new Error(`pod ${name} not Ready after ${timeoutMs} ms`);
    await sleep(POLL_MS);
  }
}
