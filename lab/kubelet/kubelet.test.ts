// The kubelet end to end, as root: a real API server on 127.0.0.1 (client-node over HTTPS), a throwaway
// "node" netns where Debian's bridge + host-local plugins run, Pods as real processes in sandbox netns.
// The kubelet runs in this process with hostNetns pointing at the node netns, and once as `main.ts`.
// Traffic goes only to addresses inside the namespaces created here.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import {
  ApiException,
  CoordinationV1Api,
  CoreV1Api,
  KubeConfig,
  type V1Container,
  type V1Node,
  type V1Pod,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { output, run } from "../../images/common/exec.ts";
import { startTime } from "../common/proc.ts";
import { startTestCluster, type TestCluster } from "../control-plane/testing/test-cluster.ts";
import type { KubeletConfigInput } from "./config.ts";
import { execInPod } from "./exec.ts";
import { type Kubelet, startKubelet } from "./kubelet.ts";
import type { Logger } from "./log.ts";
import { readPodState } from "./pod-state.ts";
import { isRunning, killAllInNetns } from "./processes.ts";

const LAB = `kltest${process.pid}`;
const NODE_NETNS = `ol-${LAB}-node`;
const NODE = "kl-node";
const SUBNET = "10.251.1.";
const NETWORK = "kltest-net";
const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.52";

let cluster: TestCluster;
let core: CoreV1Api;
let coordination: CoordinationV1Api;
let tmp: string;
let confDir: string;
let ipamDir: string;
let config: KubeletConfigInput;
let kubelet: Kubelet | undefined;
/** The kubelet run as main.ts during the restart test. */
let child: ChildProcess | undefined;
const logLines: string[] = [];
const log: Logger = {
  info: (m) => logLines.push(`I ${m}`),
  warn: (m) => logLines.push(`W ${m}`),
  error: (m) => logLines.push(`E ${m}`),
};

const conflist = (plugin = "bridge") =>
  JSON.stringify({
    cniVersion: "1.0.0",
    name: NETWORK,
    plugins: [
      {
        type: plugin,
        bridge: "kltest0",
        isGateway: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: `${SUBNET}0/24`, gateway: `${SUBNET}1` }]],
          dataDir: ipamDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  });

async function sandboxes(): Promise<string[]> {
  const list = await output(["ip", "netns", "list"]);
  return list
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`${NODE_NETNS}-`));
}

/** Processes whose command line mentions the test's temp dir (the container shims do). */
function processesUsingTmp(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, "utf8");
      if (cmd.includes(tmp)) pids.push(Number(entry));
    } catch {
      // exited
    }
  }
  return pids;
}

async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out waiting for ${what}${last ? `: ${String(last)}` : ""}\nkubelet log:\n${logLines.slice(-40).join("\n")}`,
      );
    }
    await sleep(100);
  }
}

async function getPod(name: string): Promise<V1Pod | undefined> {
  try {
    return await core.readNamespacedPod({ name, namespace: "default" });
  } catch (err) {
    if (err instanceof ApiException && err.code === 404) return undefined;
    throw err;
  }
}

async function createPod(
  name: string,
  container: Partial<V1Container>,
  opts: { restartPolicy?: string; hostNetwork?: boolean; more?: V1Container[]; init?: V1Container[] } = {},
): Promise<V1Pod> {
  return core.createNamespacedPod({
    namespace: "default",
    body: {
      metadata: { name },
      spec: {
        nodeName: NODE,
        restartPolicy: opts.restartPolicy ?? "Always",
        hostNetwork: opts.hostNetwork,
        initContainers: opts.init,
        terminationGracePeriodSeconds: 5,
        containers: [{ name: "c", image: "busybox", ...container }, ...(opts.more ?? [])],
      },
    },
  });
}

/** The Pod once `ok` holds for it. */
function waitForPod(
  name: string,
  what: string,
  ok: (p: V1Pod) => boolean,
  timeoutMs?: number,
): Promise<V1Pod> {
  return eventually(
    `pod ${name} ${what}`,
    async () => {
      const p = await getPod(name);
      return p && ok(p) ? p : undefined;
    },
    timeoutMs,
  );
}

const condition = (o: V1Pod | V1Node, type: string) =>
  (
    o.status?.conditions as { type: string; status: string; reason?: string; message?: string }[] | undefined
  )?.find((c) => c.type === type);
const isReady = (p: V1Pod) => condition(p, "Ready")?.status === "True";

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "ol-kltest-"));
  confDir = join(tmp, "net.d");
  ipamDir = join(tmp, "ipam");
  await mkdir(confDir);
  await run(["ip", "netns", "add", NODE_NETNS]);
  await run(["ip", "link", "set", "lo", "up"], { netns: NODE_NETNS });
  cluster = await startTestCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  core = kc.makeApiClient(CoreV1Api);
  coordination = kc.makeApiClient(CoordinationV1Api);
  config = {
    nodeName: NODE,
    kubeconfig: cluster.kubeconfigPath,
    address: "172.31.251.10",
    lab: LAB,
    controlPlane: true,
    labels: { "ovslab.dev/test": "yes" },
    taints: [{ key: "ovslab.dev/test", effect: "PreferNoSchedule" }],
    sandboxPrefix: NODE_NETNS,
    stateDir: join(tmp, "state"),
    cni: { confDir, pluginDirs: ["/usr/lib/cni"] },
    hostNetns: NODE_NETNS,
    heartbeatIntervalSeconds: 0.5,
    nodeStatusReportSeconds: 2,
    podSyncIntervalSeconds: 0.2,
    maxGracePeriodSeconds: 5,
    restartBackoff: { initialSeconds: 0.5, maxSeconds: 2 },
  };
  kubelet = await startKubelet(config, { log });
});

afterAll(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  await kubelet?.stop();
  if (process.env.KUBELET_TEST_LOG) await writeFile(process.env.KUBELET_TEST_LOG, logLines.join("\n"));
  // Independent of the kubelet: everything in the sandboxes and the node netns dies, then the netns go.
  for (const ns of [...(await sandboxes()), NODE_NETNS]) {
    if (existsSync(`/var/run/netns/${ns}`)) await killAllInNetns(ns);
    await run(["ip", "netns", "delete", ns], { allowFailure: true });
  }
  await cluster?.close();
  const leftover = tmp ? processesUsingTmp() : [];
  if (tmp) await rm(tmp, { recursive: true, force: true });
  expect(await sandboxes()).toEqual([]);
  expect(existsSync(`/var/run/netns/${NODE_NETNS}`)).toBe(false);
  expect(leftover).toEqual([]);
  if (tmp) expect(existsSync(tmp)).toBe(false);
});

describe("kubelet", () => {
  it("registers the node, NotReady until the CNI config exists, and renews its Lease", async () => {
    const notReady = await eventually("node registered NotReady", async () => {
      const n = await core.readNode({ name: NODE });
      return condition(n, "Ready")?.status === "False" ? n : undefined;
    });
    expect(condition(notReady, "Ready")).toMatchObject({ reason: "KubeletNotReady" });
    expect(condition(notReady, "Ready")?.message).toContain("cni plugin not initialized");
    expect(notReady.metadata?.labels).toMatchObject({
      "kubernetes.io/hostname": NODE,
      "kubernetes.io/os": "linux",
      "node-role.kubernetes.io/control-plane": "",
      "ovslab.dev/test": "yes",
    });
    expect(notReady.spec?.taints).toEqual([{ key: "ovslab.dev/test", effect: "PreferNoSchedule" }]);
    expect(notReady.status?.addresses).toEqual([
      { type: "InternalIP", address: "172.31.251.10" },
      { type: "Hostname", address: NODE },
    ]);
    expect(notReady.status?.nodeInfo).toMatchObject({
      kubeletVersion: "v1.32.0",
      containerRuntimeVersion: "ovslab://0.1.0",
      operatingSystem: "linux",
    });
    expect(notReady.status?.capacity?.pods).toBe("110");
    expect(Number(notReady.status?.allocatable?.cpu)).toBeGreaterThan(0);
    for (const type of ["MemoryPressure", "DiskPressure", "PIDPressure"]) {
      expect(condition(notReady, type)?.status).toBe("False");
    }

    const lease = await eventually("lease", () =>
      coordination.readNamespacedLease({ name: NODE, namespace: "kube-node-lease" }),
    );
    expect(lease.spec?.holderIdentity).toBe(NODE);
    const first = String(lease.spec?.renewTime);
    await eventually("lease renewal", async () => {
      const l = await coordination.readNamespacedLease({ name: NODE, namespace: "kube-node-lease" });
      return String(l.spec?.renewTime) !== first ? l : undefined;
    });

    await writeFile(join(confDir, "10-kltest.conflist"), conflist());
    const ready = await eventually("node Ready", async () => {
      const n = await core.readNode({ name: NODE });
      return condition(n, "Ready")?.status === "True" ? n : undefined;
    });
    expect(condition(ready, "Ready")).toMatchObject({ reason: "KubeletReady" });
    expect(condition(ready, "NetworkUnavailable")?.status).toBe("False");
  });

  it("runs agnhost netexec to Running and Ready behind httpGet and tcpSocket readiness probes", async () => {
    await createPod(
      "netexec",
      {
        image: AGNHOST,
        args: ["netexec", "--http-port=8080"],
        ports: [{ containerPort: 8080, name: "http", hostPort: 18080 }],
        readinessProbe: { httpGet: { path: "/healthz", port: "http" }, periodSeconds: 1 },
      },
      {
        more: [
          {
            name: "sidecar",
            image: "busybox:1.36",
            command: ["sleep", "3600"],
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 },
          },
        ],
      },
    );
    const pod = await waitForPod("netexec", "Ready", isReady, 30_000);
    expect(pod.status?.phase).toBe("Running");
    const ip = pod.status?.podIP ?? "";
    expect(ip.startsWith(SUBNET)).toBe(true);
    expect(pod.status?.podIPs).toEqual([{ ip }]);
    expect(pod.status?.hostIP).toBe("172.31.251.10");
    expect(pod.status?.startTime).toBeTruthy();
    for (const type of ["PodScheduled", "Initialized", "ContainersReady", "Ready"]) {
      expect(condition(pod, type)?.status, type).toBe("True");
    }
    const [cs, sidecar] = pod.status?.containerStatuses ?? [];
    expect(cs).toMatchObject({ name: "c", image: AGNHOST, ready: true, started: true, restartCount: 0 });
    expect(sidecar).toMatchObject({ name: "sidecar", ready: true, started: true });
    expect(cs?.containerID).toMatch(/^ovslab:\/\/[0-9a-f]{64}$/);
    expect(cs?.state?.running?.startedAt).toBeTruthy();

    const table = await cluster.kubectl(["get", "pod", "netexec", "-o", "wide", "--no-headers"]);
    expect(table.stdout).toMatch(
      new RegExp(`^netexec\\s+2/2\\s+Running\\s+0\\s+\\S+\\s+${ip.replaceAll(".", "\\.")}\\s+${NODE}\\s`),
    );
    const hostname = await output(["curl", "-sS", "--max-time", "5", `http://${ip}:8080/hostname`], {
      netns: NODE_NETNS,
    });
    expect(hostname).toBe("netexec");
    // hostPort, through the portmap plugin's DNAT in the node netns (the gateway is a node address).
    const viaHostPort = await output(["curl", "-sS", "--max-time", "5", `http://${SUBNET}1:18080/hostname`], {
      netns: NODE_NETNS,
    });
    expect(viaHostPort).toBe("netexec");
    const inPod = await execInPod(config.stateDir, "default", "netexec", ["cat", "/proc/net/dev"]);
    expect(inPod.code).toBe(0);
    expect(inPod.stdout).toContain("eth0");
  });

  it("runs busybox Pods: exec probe and env, exit codes, restart policies, hostNetwork", async () => {
    await createPod("sleeper", {
      command: ["sleep", "3600"],
      env: [
        { name: "MY_IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
        { name: "GREETING", value: "hello $(MY_IP)" },
      ],
      // Proves the probe runs inside the sandbox: only there is eth0 in the Pod subnet.
      readinessProbe: {
        exec: { command: ["sh", "-c", `ip -o addr show eth0 | grep -q ' ${SUBNET}'`] },
        periodSeconds: 1,
      },
    });
    await createPod("unready", {
      command: ["sleep", "3600"],
      readinessProbe: { tcpSocket: { port: 9999 }, periodSeconds: 1, failureThreshold: 1 },
    });
    await createPod("fail-never", { command: ["sh", "-c", "exit 1"] }, { restartPolicy: "Never" });
    await createPod("succeed", { command: ["true"] }, { restartPolicy: "Never" });
    await createPod("fail-onfailure", { command: ["sh", "-c", "exit 1"] }, { restartPolicy: "OnFailure" });
    await createPod("host", { command: ["sleep", "3600"] }, { hostNetwork: true });
    const init = (code: number): V1Container => ({
      name: "init",
      image: "busybox",
      command: ["sh", "-c", `exit ${code}`],
    });
    await createPod("init-ok", { command: ["sleep", "3600"] }, { init: [init(0)] });
    await createPod(
      "init-fails",
      { command: ["sleep", "3600"] },
      { init: [init(3)], restartPolicy: "Never" },
    );

    const sleeper = await waitForPod("sleeper", "Ready", isReady);
    expect(sleeper.status?.phase).toBe("Running");
    const env = await execInPod(config.stateDir, "default", "sleeper", [
      "sh",
      "-c",
      "echo $GREETING $HOSTNAME",
    ]);
    expect(env.stdout.trim()).toBe(`hello ${sleeper.status?.podIP} sleeper`);

    const failed = await waitForPod("fail-never", "Failed", (p) => p.status?.phase === "Failed");
    expect(failed.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 1,
      reason: "Error",
    });
    expect(condition(failed, "Ready")).toMatchObject({ status: "False", reason: "PodCompleted" });
    expect(failed.status?.podIP?.startsWith(SUBNET)).toBe(true);
    // A finished Pod gives its sandbox back.
    const failedState = await eventually("released network", async () => {
      const s = await readPodState(join(tmp, "state"), failed.metadata?.uid ?? "");
      return s?.networkReleased ? s : undefined;
    });
    expect(existsSync(`/var/run/netns/${failedState.sandbox}`)).toBe(false);

    const succeeded = await waitForPod("succeed", "Succeeded", (p) => p.status?.phase === "Succeeded");
    expect(succeeded.status?.containerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: "Completed",
    });

    const restarted = await waitForPod(
      "fail-onfailure",
      "restarted twice",
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 2,
    );
    expect(restarted.status?.phase).toBe("Running");
    expect(restarted.status?.containerStatuses?.[0]?.lastState?.terminated).toMatchObject({ exitCode: 1 });

    const host = await waitForPod("host", "Ready", isReady);
    expect(host.status?.podIP).toBe("172.31.251.10");
    const hostState = await readPodState(join(tmp, "state"), host.metadata?.uid ?? "");
    expect(hostState?.sandbox).toBeUndefined();
    const netnsOf = (path: string) => statSync(path).ino;
    expect(netnsOf(`/proc/${hostState?.containers.c?.process?.pid}/ns/net`)).toBe(
      netnsOf(`/var/run/netns/${NODE_NETNS}`),
    );

    const initOk = await waitForPod("init-ok", "Ready", isReady);
    expect(initOk.status?.initContainerStatuses?.[0]).toMatchObject({
      ready: true,
      state: { terminated: { exitCode: 0, reason: "Completed" } },
    });
    expect(condition(initOk, "Initialized")?.status).toBe("True");
    const initFailed = await waitForPod("init-fails", "Failed", (p) => p.status?.phase === "Failed");
    expect(initFailed.status?.initContainerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    expect(condition(initFailed, "Initialized")).toMatchObject({
      status: "False",
      reason: "ContainersNotInitialized",
    });
    expect(initFailed.status?.containerStatuses?.[0]?.state?.waiting?.reason).toBe("PodInitializing");

    // The failing tcpSocket probe keeps the Pod running but not Ready, and says why.
    await eventually("Unhealthy event", async () => {
      const events = await core.listNamespacedEvent({ namespace: "default" });
      return events.items.find((e) => e.involvedObject.name === "unready" && e.reason === "Unhealthy");
    });
    const unready = await waitForPod("unready", "Running", (p) => p.status?.phase === "Running");
    expect(condition(unready, "Ready")).toMatchObject({ status: "False", reason: "ContainersNotReady" });
    expect(unready.status?.containerStatuses?.[0]).toMatchObject({ ready: false, started: true });
  });

  it("gives an unsupported image a clear waiting reason", async () => {
    await createPod("unknown-image", { image: "quay.io/nobody/does-not-exist:1.0" });
    const pod = await waitForPod(
      "unknown-image",
      "ErrImagePull",
      (p) => p.status?.containerStatuses?.[0]?.state?.waiting?.reason === "ErrImagePull",
    );
    expect(pod.status?.phase).toBe("Pending");
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain(
      'image "quay.io/nobody/does-not-exist:1.0" is not supported',
    );
  });

  it("survives a restart (also as main.ts): running Pods keep their processes and IPs", async () => {
    const before = await getPod("netexec");
    const uid = before?.metadata?.uid ?? "";
    const stateBefore = await readPodState(join(tmp, "state"), uid);
    const proc = stateBefore?.containers.c?.process;
    expect(proc && (await isRunning(proc))).toBe(true);
    const sleeperUid = (await getPod("sleeper"))?.metadata?.uid ?? "";
    const sleeperSandbox = (await readPodState(join(tmp, "state"), sleeperUid))?.sandbox ?? "";

    await kubelet?.stop();
    kubelet = undefined;
    // While the kubelet is away, one Pod is force-deleted: the next kubelet must clean up after it,
    // and after a sandbox that no state knows (with a process in it).
    await core.deleteNamespacedPod({ name: "sleeper", namespace: "default", gracePeriodSeconds: 0 });
    const stray = `${NODE_NETNS}-0badcafe`;
    await run(["ip", "netns", "add", stray]);
    await run(["sh", "-c", "sleep 3600 >/dev/null 2>&1 &"], { netns: stray });
    const strayPid = Number(await output(["ip", "netns", "pids", stray]));
    const strayProcess = { pid: strayPid, startTime: (await startTime(strayPid)) ?? "" };
    expect(await isRunning(strayProcess)).toBe(true);

    const configFile = join(tmp, "kubelet.json");
    await writeFile(configFile, JSON.stringify(config));
    const kubeletProcess = spawn(
      process.execPath,
      ["--import", "tsx", join(import.meta.dirname, "main.ts"), "--config", configFile],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child = kubeletProcess;
    let childOut = "";
    kubeletProcess.stdout?.on("data", (d: Buffer) => {
      childOut += d.toString();
    });
    kubeletProcess.stderr?.on("data", (d: Buffer) => {
      childOut += d.toString();
    });
    const exited = new Promise<number | null>((resolve) =>
      kubeletProcess.once("exit", (code) => resolve(code)),
    );
    try {
      await eventually("orphan sandbox removed", async () =>
        existsSync(`/var/run/netns/${sleeperSandbox}`) ? undefined : true,
      );
      await eventually("orphan state removed", async () =>
        (await readPodState(join(tmp, "state"), sleeperUid)) ? undefined : true,
      );
      await eventually("stray sandbox removed", async () =>
        existsSync(`/var/run/netns/${stray}`) ? undefined : true,
      );
      expect(await isRunning(strayProcess)).toBe(false);
      // Let it sync the adopted Pods a few times: a broken adoption would restart them (checked below).
      await sleep(1000);
    } finally {
      kubeletProcess.kill("SIGTERM");
    }
    expect(await exited, childOut).toBe(0);
    expect(childOut).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z I kubelet for node kl-node/m);

    kubelet = await startKubelet(config, { log });
    await sleep(1500); // as above: time to (wrongly) restart anything

    const after = await waitForPod("netexec", "Ready", isReady);
    expect(after.status?.podIP).toBe(before?.status?.podIP);
    expect(after.status?.containerStatuses?.[0]?.containerID).toBe(
      before?.status?.containerStatuses?.[0]?.containerID,
    );
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    // Readiness did not flap across the restart.
    expect(condition(after, "Ready")?.status).toBe("True");
    expect(String((condition(after, "Ready") as { lastTransitionTime?: unknown })?.lastTransitionTime)).toBe(
      String((condition(before as V1Pod, "Ready") as { lastTransitionTime?: unknown })?.lastTransitionTime),
    );
    const stateAfter = await readPodState(join(tmp, "state"), uid);
    expect(stateAfter?.containers.c?.process).toEqual(proc);
    expect(proc && (await isRunning(proc))).toBe(true);
    const hostname = await output(
      ["curl", "-sS", "--max-time", "5", `http://${after.status?.podIP}:8080/hostname`],
      {
        netns: NODE_NETNS,
      },
    );
    expect(hostname).toBe("netexec");
  });

  it("deletes a Pod: processes, IP, sandbox, state and the object go", async () => {
    const pod = await getPod("netexec");
    const uid = pod?.metadata?.uid ?? "";
    const ip = pod?.status?.podIP ?? "";
    const state = await readPodState(join(tmp, "state"), uid);
    const proc = state?.containers.c?.process;
    expect(existsSync(join(ipamDir, NETWORK, ip))).toBe(true);

    // Real kubectl waits until the kubelet confirms the graceful deletion.
    const deleted = await cluster.kubectl(["delete", "pod", "netexec", "--timeout=20s"]);
    expect(deleted.stderr).toBe("");
    expect(deleted.stdout).toContain('pod "netexec" deleted');
    expect(await output(["iptables", "-w", "-t", "nat", "-S"], { netns: NODE_NETNS })).not.toContain("18080");
    expect(await getPod("netexec")).toBeUndefined();
    expect(proc && (await isRunning(proc))).toBe(false);
    expect(existsSync(`/var/run/netns/${state?.sandbox}`)).toBe(false);
    expect(existsSync(join(ipamDir, NETWORK, ip))).toBe(false);
    expect(await readPodState(join(tmp, "state"), uid)).toBeUndefined();
    const cache = await readdir(join(tmp, "state", "cni", "results")).catch(() => []);
    expect(cache.filter((f) => f.includes(state?.sandbox ?? "-"))).toEqual([]);
  });

  it("reports a CNI failure on the Pod, and recovers once the network configuration is fixed", async () => {
    await writeFile(join(confDir, "10-kltest.conflist"), conflist("no-such-plugin"));
    await createPod("cni-broken", { command: ["sleep", "3600"] });
    const pod = await waitForPod("cni-broken", "sandbox failure", (p) =>
      Boolean(p.status?.containerStatuses?.[0]?.state?.waiting?.message?.includes("no-such-plugin")),
    );
    expect(pod.status?.phase).toBe("Pending");
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting).toMatchObject({ reason: "ContainerCreating" });
    expect(pod.status?.containerStatuses?.[0]?.state?.waiting?.message).toContain(
      'no executable plugin "no-such-plugin"',
    );
    expect(condition(pod, "PodReadyToStartContainers")?.status).toBe("False");
    const events = await core.listNamespacedEvent({ namespace: "default" });
    const failure = events.items.find(
      (e) => e.involvedObject.name === "cni-broken" && e.reason === "FailedCreatePodSandBox",
    );
    expect(failure?.message).toContain("no-such-plugin");

    await writeFile(join(confDir, "10-kltest.conflist"), conflist());
    const fixed = await waitForPod("cni-broken", "Ready", isReady);
    expect(fixed.status?.podIP?.startsWith(SUBNET)).toBe(true);
  });

  it("cleans up every Pod it is asked to delete", async () => {
    const pods = await core.listNamespacedPod({ namespace: "default" });
    for (const p of pods.items)
      await core.deleteNamespacedPod({ name: p.metadata?.name ?? "", namespace: "default" });
    await eventually("all pods gone", async () => {
      const left = await core.listNamespacedPod({ namespace: "default" });
      return left.items.length === 0 ? true : undefined;
    });
    expect(await sandboxes()).toEqual([]);
    expect(await readdir(join(ipamDir, NETWORK)).then((f) => f.filter((n) => n.startsWith(SUBNET)))).toEqual(
      [],
    );
    expect(await readdir(join(tmp, "state", "pods"))).toEqual([]);
  });
});
