// Benchmark: how long the default embedded lab takes to come up and to go down.

import { assertNoLeftovers } from "../../lab/netns/leaks.ts";
import { NetnsProvider } from "../../lab/netns/provider.ts";
import { loadTopology } from "../../lab/topology/load.ts";
import { DEFAULT_TOPOLOGY } from "../cli/paths.ts";
import type { Benchmark } from "./benchmark.ts";

export const labLifecycle: Benchmark = {
  name: "lab-lifecycle",
  description:
    "default embedded lab (1 control-plane, 2 workers, 1 external host): up until every node is Ready " +
    "(OVS, API server, kubelets, agents), and down",
  targets: { "up (ms)": 10000, "down (ms)": 2000 },
  async run(runs) {
    const provider = new NetnsProvider();
    const { spec } = await loadTopology(DEFAULT_TOPOLOGY);
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < runs; i++) {
      const name = `bench${process.pid % 10000}`;
      let t0 = performance.now();
      await provider.up(spec, { name });
      up.push(performance.now() - t0);
      t0 = performance.now();
      await provider.down(name);
      down.push(performance.now() - t0);
      await assertNoLeftovers(name);
    }
    return { "up (ms)": up, "down (ms)": down };
  },
};
