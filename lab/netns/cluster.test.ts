// The lab's Kubernetes side, end to end: `ovslab up` runs the API server and kubelets, and the machine's real
// kubectl drives it with the lab's kubeconfig. Pods get their network from the CNI configuration on each node.
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../images/common/exec.ts";
import { contains, mustParseCidr, parseIp } from "../common/ipv4.ts";
import { startProcess } from "../control-plane/testing/test-cluster.ts";
import { sandboxName } from "../kubelet/sandbox.ts";
import type { LabStatus } from "../provider.ts";
import { runCli, uniqueLabName } from "../testing/lab-fixture.ts";
import { loadTopology } from "../topology/load.ts";
import { describeLeftovers, findLeftovers } from "./leaks.ts";
import { NetnsProvider } from "./provider.ts";

const provider = new NetnsProvider();
const lab = uniqueLabName();
let status: LabStatus;
let kubeconfig: string;

const kubectl = (args: string[], input?: string) =>
  run(["kubectl", "--kubeconfig", kubeconfig, ...args], {
    allowFailure: true,
    timeoutMs: 60_000,
    ...(input !== undefined ? { input } : {}),
  });

const manifest = `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 4
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.52
        args: ["netexec", "--http-port=8080"]
        readinessProbe: {httpGet: {path: /healthz, port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

interface PodSummary {
  name: string;
  node: string;
  ip: string;
  phase: string;
  restarts: number;
}

async function webPods(): Promise<PodSummary[]> {
  const res = await kubectl(["get", "pods", "-l", "app=web", "-o", "json"]);
  expect(res.code, res.stderr).toBe(0);
  const list = JSON.parse(res.stdout) as {
    items: {
      metadata: { name: string; deletionTimestamp?: string };
      spec: { nodeName?: string };
      status: { podIP?: string; phase?: string; containerStatuses?: { restartCount: number }[] };
    }[];
  };
  return list.items
    .filter((p) => !p.metadata.deletionTimestamp)
    .map((p) => ({
      name: p.metadata.name,
      node: p.spec.nodeName ?? "",
      ip: p.status.podIP ?? "",
      phase: p.status.phase ?? "",
      restarts: p.status.containerStatuses?.[0]?.restartCount ?? -1,
    }));
}

beforeAll(async () => {
  const { spec } = await loadTopology(new URL("../topologies/default.yaml", import.meta.url).pathname);
  status = await provider.up(spec, { name: lab });
  const res = await runCli(["kubeconfig", "--name", lab]);
  expect(res.code, res.stderr).toBe(0);
  kubeconfig = res.stdout.trim();
}, 120_000);

afterAll(async () => {
  await provider.down(lab);
  expect(describeLeftovers(await findLeftovers(lab))).toBe("");
});

describe("lab Kubernetes API and kubelets", () => {
  it("registers every node Ready with its podCIDR; the control plane is tainted like kubeadm's", async () => {
    const res = await kubectl(["get", "nodes", "-o", "wide"]);
    expect(res.code, res.stderr).toBe(0);
    for (const host of status.hosts.filter((h) => h.role !== "external")) {
      expect(res.stdout).toMatch(
        new RegExp(`^${host.name}\\s+Ready\\s+.*\\s${host.address.replaceAll(".", "\\.")}\\s`, "m"),
      );
    }
    const cidrs = await kubectl([
      "get",
      "nodes",
      "-o",
      "jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR} {end}",
    ]);
    for (const host of status.hosts.filter((h) => h.podCIDR))
      expect(cidrs.stdout).toContain(`${host.name}=${host.podCIDR}`);
    const taints = await kubectl(["get", "node", "control-plane", "-o", "jsonpath={.spec.taints[*].key}"]);
    expect(taints.stdout).toBe("node-role.kubernetes.io/control-plane");
  });

  it("applies a Deployment + Service (client-side, then --server-side); Pods spread over the workers", async () => {
    const apply = await kubectl(["apply", "-f", "-"], manifest);
    expect(apply.code, apply.stderr).toBe(0);
    const wait = await kubectl(["wait", "--for=condition=Ready", "pod", "-l", "app=web", "--timeout=60s"]);
    expect(wait.code, wait.stderr).toBe(0);
    const pods = await webPods();
    expect(pods).toHaveLength(4);
    const nodes = new Set(pods.map((p) => p.node));
    expect([...nodes].sort()).toEqual(["worker", "worker2"]);
    for (const pod of pods) {
      const cidr = status.hosts.find((h) => h.name === pod.node)?.podCIDR ?? "";
      expect(contains(mustParseCidr(cidr), parseIp(pod.ip) ?? -1), `${pod.name} ${pod.ip} in ${cidr}`).toBe(
        true,
      );
    }
    const ssa = await kubectl(["apply", "--server-side", "-f", "-"], manifest);
    expect(ssa.code, ssa.stderr).toBe(0);
    expect(ssa.stdout).toContain("deployment.apps/web serverside-applied");
    const wide = await kubectl(["get", "pods", "-A", "-o", "wide"]);
    expect(wide.stdout).toMatch(/^NAMESPACE\s+NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE/m);
    for (const kind of ["networkpolicies", "traceflows", "tf", "egresses"]) {
      const get = await kubectl(["get", kind]);
      expect(get.code, `${kind}: ${get.stderr}`).toBe(0);
    }
  });

  it("runs commands inside a Pod and passes their exit code through (ovslab exec pod/NS/NAME)", async () => {
    const [pod] = await webPods();
    if (!pod) throw new Error("no web pod");
    const addr = await runCli([
      "exec",
      "--name",
      lab,
      `pod/default/${pod.name}`,
      "--",
      "ip",
      "-4",
      "-br",
      "addr",
      "show",
      "eth0",
    ]);
    expect(addr.code, addr.stderr).toBe(0);
    expect(addr.stdout).toContain(pod.ip);
    const failing = await runCli([
      "exec",
      "--name",
      lab,
      `pod/default/${pod.name}`,
      "--",
      "sh",
      "-c",
      "exit 7",
    ]);
    expect(failing.code).toBe(7);
    const missing = await runCli(["exec", "--name", lab, "pod/default/no-such-pod", "--", "true"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("pod default/no-such-pod not found");
  });

  it("keeps Pods running across a kubelet restart", async () => {
    const before = await webPods();
    const onWorker = before.filter((p) => p.node === "worker");
    expect(onWorker.length).toBeGreaterThan(0);
    await provider.fault(lab, { type: "restart", node: "worker", process: "kubelet" });
    // the restarted kubelet renews the node's heartbeat and reports the same Pods, unrestarted
    const log = await readFile(`${status.stateDir}/hosts/worker/kubelet.log`, "utf8");
    expect(log.match(/received SIGTERM/g)?.length).toBe(1);
    const wait = await kubectl(["wait", "--for=condition=Ready", "pod", "-l", "app=web", "--timeout=30s"]);
    expect(wait.code, wait.stderr).toBe(0);
    const after = await webPods();
    expect(after.map((p) => [p.name, p.ip, p.restarts])).toEqual(before.map((p) => [p.name, p.ip, 0]));
    expect((await provider.status(lab))?.hosts.find((h) => h.name === "worker")?.state).toBe("running");
  });

  it("streams changes with get -w; deleting a Pod removes its sandbox namespace", async () => {
    const [pod] = await webPods();
    if (!pod) throw new Error("no web pod");
    const uid = (await kubectl(["get", "pod", pod.name, "-o", "jsonpath={.metadata.uid}"])).stdout;
    const sandbox = sandboxName(`ol-${lab}-${pod.node}`, uid);
    expect(await sandboxes(pod.node)).toContain(sandbox);
    const watch = startProcess(["kubectl", "--kubeconfig", kubeconfig, "get", "pods", "-w", "--no-headers"]);
    try {
      await watch.waitFor(pod.name);
      const del = await kubectl(["delete", "pod", pod.name, "--wait=true", "--timeout=30s"]);
      expect(del.code, del.stderr).toBe(0);
      await watch.waitFor(new RegExp(`${pod.name}\\s+\\S+\\s+Terminating`));
    } finally {
      await watch.stop();
    }
    expect(await sandboxes(pod.node)).not.toContain(sandbox);
    const gone = await kubectl(["get", "pod", pod.name]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain(`pods "${pod.name}" not found`);
  });

  it("deletes the Deployment and Service with delete -f", async () => {
    const del = await kubectl(["delete", "-f", "-", "--wait=true"], manifest);
    expect(del.code, del.stderr).toBe(0);
    const wait = await kubectl(["wait", "--for=delete", "pod", "-l", "app=web", "--timeout=30s"]);
    expect(wait.code, wait.stderr).toBe(0);
    expect(await sandboxes("worker")).toEqual([]);
    expect(await sandboxes("worker2")).toEqual([]);
  });
});

async function sandboxes(node: string): Promise<string[]> {
  const res = await run(["ip", "netns", "list"]);
  return res.stdout
    .split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(`ol-${lab}-${node}-`));
}
