// Benchmark: Traceflow completion on the embedded lab — from `create` to phase Succeeded (controller tag
// allocation, every agent installing its flows, the sender's probe injection, packet-ins turned into results, the
// controller's verdict), for a delivered intra-node trace, an inter-node trace and a trace through a Service.

import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, CustomObjectsApi } from "@kubernetes/client-node";
import { parseTraceflow, TRACEFLOW_RESOURCE, type TraceflowSpec } from "../../images/api/traceflow.ts";
import { agnhostPod, waitReady, withBenchLab } from "./bench-lab.ts";
import type { Benchmark } from "./benchmark.ts";

const POLL_MS = 10;

/** Milliseconds from create to Succeeded; throws when the trace fails. */
async function timeTrace(custom: CustomObjectsApi, name: string, spec: TraceflowSpec): Promise<number> {
  const t0 = performance.now();
  await custom.createClusterCustomObject({
    ...TRACEFLOW_RESOURCE,
    body: { apiVersion: "crd.antrea.io/v1beta1", kind: "Traceflow", metadata: { name }, spec },
  });
  try {
    for (;;) {
      const tf = parseTraceflow(await custom.getClusterCustomObject({ ...TRACEFLOW_RESOURCE, name }));
      const phase = tf?.status?.phase;
      if (phase === "Succeeded") return performance.now() - t0;
      if (phase === "Failed") throw new Error(`Traceflow ${name} failed: ${tf?.status?.reason}`);
      if (performance.now() - t0 > 30_000) throw new Error(`Traceflow ${name} still ${phase || "pending"}`);
      await sleep(POLL_MS);
    }
  } finally {
    await custom.deleteClusterCustomObject({ ...TRACEFLOW_RESOURCE, name });
  }
}

export const traceflowCompletion: Benchmark = {
  name: "traceflow",
  description:
    "Traceflow create -> Succeeded: Pod to Pod on one Node, across Nodes, and to a ClusterIP Service",
  targets: { "intra-node (ms)": 1000, "inter-node (ms)": 1000, "to Service (ms)": 1000 },
  async run(runs) {
    return withBenchLab("btf", async ({ kc }) => {
      const core = kc.makeApiClient(CoreV1Api);
      const custom = kc.makeApiClient(CustomObjectsApi);
      for (const [name, node, labels] of [
        ["a", "worker", {}],
        ["b", "worker", {}],
        ["c", "worker2", { app: "web" }],
      ] as const) {
        await core.createNamespacedPod({
          namespace: "default",
          body: agnhostPod(name, node, { bench: "traceflow", ...labels }),
        });
      }
      await core.createNamespacedService({
        namespace: "default",
        body: {
          metadata: { name: "web" },
          spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
        },
      });
      for (const name of ["a", "b", "c"]) await waitReady(core, name);
      const from = { namespace: "default", pod: "a" };
      const cases: [string, TraceflowSpec][] = [
        ["intra-node (ms)", { source: from, destination: { namespace: "default", pod: "b" } }],
        ["inter-node (ms)", { source: from, destination: { namespace: "default", pod: "c" } }],
        [
          "to Service (ms)",
          {
            source: from,
            destination: { namespace: "default", service: "web" },
            packet: { transportHeader: { tcp: { dstPort: 80 } } },
          },
        ],
      ];
      const samples: Record<string, number[]> = Object.fromEntries(cases.map(([figure]) => [figure, []]));
      for (let i = 0; i < runs; i++) {
        for (const [figure, traceSpec] of cases) {
          const ms = await timeTrace(custom, `bench-${i}-${figure.split(" ")[0]}`, traceSpec);
          samples[figure]?.push(ms);
        }
      }
      return samples;
    });
  },
};
