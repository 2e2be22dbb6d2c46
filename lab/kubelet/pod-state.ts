// What the kubelet knows about each of its Pods, kept on disk so that a restarted kubelet adopts running
// Pods instead of recreating them: `<stateDir>/pods/<uid>/state.json`, next to the Pod's container logs
// (`<container>/<restartCount>.log`) and the shims' pid and exit files (`run/`).
import { mkdir, readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { readJsonFile, writeFileAtomic } from "../common/json-file.ts";

const processSchema = z.object({ pid: z.number().int().positive(), startTime: z.string() });

const terminatedSchema = z.object({
  exitCode: z.number().int(),
  reason: z.string(),
  message: z.string().optional(),
  startedAt: z.string(),
  finishedAt: z.string(),
  containerId: z.string(),
});
export type TerminatedState = z.infer<typeof terminatedSchema>;

const containerSchema = z.object({
  /** Current instance: 64 hex digits, reported as `ovslab://<id>`. */
  id: z.string(),
  image: z.string(),
  restartCount: z.number().int().nonnegative(),
  startedAt: z.string(),
  /** Absent when the container could not be started (it is then terminated with StartError). */
  shim: processSchema.optional(),
  process: processSchema.optional(),
  /** The environment the container got (also used by `exec` into the Pod). */
  env: z.record(z.string(), z.string()),
  /** Set once the current instance has exited. */
  terminated: terminatedSchema.optional(),
  lastTerminated: terminatedSchema.optional(),
});
export type ContainerState = z.infer<typeof containerSchema>;

export const podStateSchema = z.object({
  version: z.literal(1),
  uid: z.string(),
  namespace: z.string(),
  name: z.string(),
  /** When the kubelet accepted the Pod (status.startTime). */
  startTime: z.string(),
  /** terminationGracePeriodSeconds, for a Pod that vanished while the kubelet was down. */
  gracePeriodSeconds: z.number().int().nonnegative(),
  /** Network namespace of the sandbox (also its CNI container id); absent for hostNetwork Pods. */
  sandbox: z.string().optional(),
  /** Set once CNI ADD succeeded: the network attached and the Pod's IPs. */
  network: z.object({ name: z.string(), ips: z.array(z.string()) }).optional(),
  /** The sandbox's network was torn down (a finished Pod keeps its IPs in its status). */
  networkReleased: z.boolean().default(false),
  containers: z.record(z.string(), containerSchema),
  /** Succeeded or Failed: final, containers are not started again. */
  finalPhase: z.enum(["Succeeded", "Failed"]).optional(),
});
export type PodState = z.infer<typeof podStateSchema>;

export function podDir(stateDir: string, uid: string): string {
  return join(stateDir, "pods", uid);
}

export function runDir(stateDir: string, uid: string): string {
  return join(podDir(stateDir, uid), "run");
}

export function containerLogFile(
  stateDir: string,
  uid: string,
  container: string,
  restartCount: number,
): string {
  return join(podDir(stateDir, uid), container, `${restartCount}.log`);
}

export async function writePodState(stateDir: string, state: PodState): Promise<void> {
  const dir = podDir(stateDir, state.uid);
  await mkdir(dir, { recursive: true });
  await writeFileAtomic(join(dir, "state.json"), `${JSON.stringify(state, null, 2)}\n`);
}

export async function readPodState(stateDir: string, uid: string): Promise<PodState | undefined> {
  return readJsonFile(join(podDir(stateDir, uid), "state.json"), podStateSchema, "pod state file");
}

/** Every Pod state in the state dir; unreadable files are reported, not fatal. */
export async function listPodStates(
  stateDir: string,
): Promise<{ states: PodState[]; broken: { uid: string; error: string }[] }> {
  let uids: string[];
  try {
    uids = await readdir(join(stateDir, "pods"));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { states: [], broken: [] };
    throw err;
  }
  const states: PodState[] = [];
  const broken: { uid: string; error: string }[] = [];
  for (const uid of uids.sort()) {
    try {
      const state = await readPodState(stateDir, uid);
      if (state) states.push(state);
      else broken.push({ uid, error: "no state.json" });
    } catch (err) {
      broken.push({ uid, error: (err as Error).message });
    }
  }
  return { states, broken };
}

export async function removePodDir(stateDir: string, uid: string): Promise<void> {
  await rm(podDir(stateDir, uid), { recursive: true, force: true });
}
