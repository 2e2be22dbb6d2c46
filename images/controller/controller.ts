// The reference antrea-controller: static Tiers, the NetworkPolicy computation that agents realize, Egress IP
// allocation from ExternalIPPools, and Traceflow dataplane tags and phases.
import { KubeConfig } from "@kubernetes/client-node";
import { type ControllerConfigInput, parseControllerConfig } from "./config.ts";
import { startEgressIPController } from "./egress/controller.ts";
import { CustomObjects } from "./kube/custom-objects.ts";
import { type Logger, stdoutLogger } from "./log.ts";
import { startNetworkPolicyController } from "./networkpolicy/controller.ts";
import { ensureStaticTiers } from "./tiers.ts";
import { startTraceflowController } from "./traceflow/controller.ts";

export interface Controller {
  stop(): Promise<void>;
}

export interface ControllerOptions extends ControllerConfigInput {
  /** Default: stdout at the configured logLevel. */
  log?: Logger;
}

/** Starts watching and publishing; resolves once the initial lists are loaded (or being retried). */
export async function startController(opts: ControllerOptions): Promise<Controller> {
  const { log: given, ...input } = opts;
  const config = parseControllerConfig(input);
  const log = given ?? stdoutLogger(config.logLevel);
  const kc = new KubeConfig();
  kc.loadFromFile(config.kubeconfig);
  const objects = new CustomObjects(kc);
  log.info(`antrea-controller starting (API ${kc.getCurrentCluster()?.server ?? "?"})`);

  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  let attempts = 0;
  let creatingTiers: Promise<void> | undefined;
  const createTiers = () => {
    creatingTiers = ensureStaticTiers(objects, log).then((done) => {
      if (!done && !stopped) retry = setTimeout(createTiers, Math.min(1000 * 2 ** attempts++, 10_000));
    });
  };
  createTiers();

  const networkPolicies = await startNetworkPolicyController({ kc, objects, log });
  const egressIPs = await startEgressIPController({ kc, log });
  const traceflows = await startTraceflowController({ kc, log });
  return {
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await creatingTiers;
      await networkPolicies.stop();
      await egressIPs.stop();
      await traceflows.stop();
      log.info("antrea-controller stopped");
    },
  };
}
