// The embedded cluster's controllers (kube-controller-manager and kube-scheduler in one place), run in the
// control-plane process against the in-process API, with the same admission as any HTTP client.

import type { Logger } from "../apiserver/log.ts";
import type { ResourceApi } from "../apiserver/resource-api.ts";
import { type ControllerContext, runController } from "./controller.ts";
import { deploymentController } from "./deployment.ts";
import { endpointsController } from "./endpoints.ts";
import { type NodeIpamOptions, nodeIpamController } from "./nodeipam.ts";
import { type NodeLifecycleOptions, nodeLifecycleController } from "./nodelifecycle.ts";
import { replicaSetController } from "./replicaset.ts";
import { schedulerController } from "./scheduler.ts";

export interface ControllersOptions {
  ipam: NodeIpamOptions;
  lifecycle?: NodeLifecycleOptions;
  log: Logger;
  now?: () => Date;
}

/** Starts every controller; returns a function that stops them all. */
export function startControllers(api: ResourceApi, opts: ControllersOptions): () => void {
  const ctx: ControllerContext = { api, log: opts.log, now: opts.now ?? (() => new Date()) };
  const specs = [
    nodeIpamController(ctx, opts.ipam),
    nodeLifecycleController(ctx, opts.lifecycle ?? { gracePeriodMs: 10_000 }),
    schedulerController(ctx),
    deploymentController(ctx),
    replicaSetController(ctx),
    endpointsController(ctx),
  ];
  const stops = specs.map((s) => runController(s, ctx));
  return () => {
    for (const stop of stops) stop();
  };
}
