// The embedded kubelet: registers the node and keeps it alive (NodeAgent), watches the Pods bound to the
// node and runs a PodWorker per Pod. Started with the state of an earlier run, it adopts the Pods whose
// processes still run, and cleans up after Pods that vanished while it was down. Stopping it leaves the
// Pods running, as a kubelet restart does.
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  ListWatch,
  PatchStrategy,
  setHeaderOptions,
  type V1Pod,
  type V1PodList,
  Watch,
} from "@kubernetes/client-node";
import { describeApiError } from "../../images/common/api-error.ts";
import { type KubeletConfig, type KubeletConfigInput, parseKubeletConfig } from "./config.ts";
import { errorMessage, type Logger, stdoutLogger } from "./log.ts";
import { NodeAgent } from "./node-agent.ts";
import { listPodStates, type PodState, removePodDir } from "./pod-state.ts";
import type { PodStatusJson } from "./pod-status.ts";
import { type PodApi, PodWorker } from "./pod-worker.ts";
import { assertNetnsMountsVisible, type CniSettings, listSandboxes, removeSandbox } from "./sandbox.ts";

export interface Kubelet {
  readonly config: KubeletConfig;
  /** Stops watching and heartbeating; the Pods' processes keep running. */
  stop(): Promise<void>;
}

export interface KubeletOptions {
  log?: Logger;
}

const MERGE_PATCH = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

export async function startKubelet(input: KubeletConfigInput, opts: KubeletOptions = {}): Promise<Kubelet> {
  const config = parseKubeletConfig(input);
  const log = opts.log ?? stdoutLogger();
  const kc = new KubeConfig();
  kc.loadFromFile(config.kubeconfig);
  const core = kc.makeApiClient(CoreV1Api);
  const cni: CniSettings = {
    confDir: config.cni.confDir,
    pluginDirs: config.cni.pluginDirs,
    cacheDir: join(config.stateDir, "cni"),
    hostNetns: config.hostNetns,
    timeoutMs: config.cni.timeoutSeconds * 1000,
  };
  await assertNetnsMountsVisible();
  await mkdir(config.stateDir, { recursive: true });
  log.info(`kubelet for node ${config.nodeName} of lab ${config.lab} starting (state ${config.stateDir})`);

  const workers = new Map<string, PodWorker>();
  const finished = new Set<string>();
  const api = podApi(core, config.nodeName);
  const newWorker = (uid: string, state?: PodState) => {
    const worker = new PodWorker({ config, cni, api, log }, uid, state, (done) => {
      workers.delete(done);
      finished.add(done);
    });
    workers.set(uid, worker);
    worker.start();
    return worker;
  };

  // Pods of the previous run: adopted once the first Pod list says they still exist.
  const { states, broken } = await listPodStates(config.stateDir);
  for (const b of broken) {
    log.warn(`removing unreadable pod state ${b.uid}: ${b.error}`);
    await removePodDir(config.stateDir, b.uid);
  }
  for (const state of states) newWorker(state.uid, state);
  await removeOrphanSandboxes(
    config,
    cni,
    new Set(states.flatMap((s) => (s.sandbox ? [s.sandbox] : []))),
    log,
  );

  const node = new NodeAgent({ config, core, coordination: kc.makeApiClient(CoordinationV1Api), log });
  node.start();

  const fieldSelector = `spec.nodeName=${config.nodeName}`;
  let failures = 0;
  const list = async (): Promise<V1PodList> => {
    const pods = await core.listPodForAllNamespaces({ fieldSelector });
    failures = 0;
    // Pods with state on disk that the API no longer has were deleted while the kubelet was away.
    const present = new Set(pods.items.map((p) => p.metadata?.uid));
    for (const [uid, worker] of workers) if (!present.has(uid)) worker.markGone();
    return pods;
  };
  const informer = new ListWatch<V1Pod>("/api/v1/pods", new Watch(kc), list, false, undefined, fieldSelector);
  const onPod = (pod: V1Pod) => {
    const uid = pod.metadata?.uid;
    if (!uid || finished.has(uid)) return;
    (workers.get(uid) ?? newWorker(uid)).update(pod);
  };
  informer.on("add", onPod);
  informer.on("update", onPod);
  informer.on("delete", (pod) => {
    const uid = pod.metadata?.uid;
    if (uid) workers.get(uid)?.markGone(pod);
  });
  let stopped = false;
  let retry: NodeJS.Timeout | undefined;
  informer.on("error", (err: unknown) => {
    if (stopped) return;
    failures++;
    const delay = Math.min(1000 * 2 ** (failures - 1), 10_000);
    log.warn(`pod watch failed (${describeApiError(err)}); retrying in ${delay} ms`);
    retry = setTimeout(() => {
      informer.start().catch((e: unknown) => log.warn(`pod watch: ${errorMessage(e)}`));
    }, delay);
  });
  informer.start().catch((e: unknown) => log.warn(`pod watch: ${errorMessage(e)}`));

  return {
    config,
    stop: async () => {
      stopped = true;
      clearTimeout(retry);
      await informer.stop();
      await node.stop();
      await Promise.all([...workers.values()].map((w) => w.stop()));
      log.info(`kubelet for node ${config.nodeName} stopped (Pods keep running)`);
    },
  };
}

/** Sandboxes with this kubelet's prefix that no Pod state refers to: leftovers of a crash. */
async function removeOrphanSandboxes(
  config: KubeletConfig,
  cni: CniSettings,
  known: ReadonlySet<string>,
  log: Logger,
): Promise<void> {
  for (const sandbox of await listSandboxes(config.sandboxPrefix)) {
    if (known.has(sandbox)) continue;
    log.warn(`removing orphan sandbox ${sandbox}`);
    try {
      await removeSandbox(cni, sandbox);
    } catch (err) {
      log.error(`orphan sandbox ${sandbox}: ${errorMessage(err)}`);
    }
  }
}

function podApi(core: CoreV1Api, nodeName: string): PodApi {
  return {
    patchStatus: async (namespace: string, name: string, status: PodStatusJson) => {
      try {
        await core.patchNamespacedPodStatus({ name, namespace, body: { status } }, MERGE_PATCH);
      } catch (err) {
        throw new Error(`updating the status: ${describeApiError(err)}`);
      }
    },
    deletePod: async (namespace, name, uid) => {
      try {
        await core.deleteNamespacedPod({
          name,
          namespace,
          gracePeriodSeconds: 0,
          body: { preconditions: { uid } },
        });
      } catch (err) {
        // Gone already, or a new Pod of the same name (uid precondition failed): nothing to confirm.
        if (err instanceof ApiException && (err.code === 404 || err.code === 409)) return;
        throw new Error(`confirming the deletion: ${describeApiError(err)}`);
      }
    },
    event: async (pod, type, reason, message) => {
      const now = new Date();
      await core.createNamespacedEvent({
        namespace: pod.namespace,
        body: {
          metadata: {
            name: `${pod.name}.${now.getTime().toString(16)}${Math.random().toString(16).slice(2, 6)}`,
            namespace: pod.namespace,
          },
          involvedObject: {
            apiVersion: "v1",
            kind: "Pod",
            namespace: pod.namespace,
            name: pod.name,
            uid: pod.uid,
          },
          reason,
          message,
          type,
          source: { component: "kubelet", host: nodeName },
          reportingComponent: "kubelet",
          reportingInstance: nodeName,
          firstTimestamp: now,
          lastTimestamp: now,
          count: 1,
        },
      });
    },
  };
}
