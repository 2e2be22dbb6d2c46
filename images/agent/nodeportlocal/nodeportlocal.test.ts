// NodePortLocal end to end: a lab built by `ovslab up`, the reference agent of node worker with NodePortLocal enabled
// (its agent.json rewritten, the agent restarted), real kubectl, agnhost-compatible Pods, and real TCP and UDP
// traffic to <worker IP>:<node port> from the external host and from a Pod on worker2.
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CoreV1Api, KubeConfig, type V1Pod } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertNoLeftovers } from "../../../lab/netns/leaks.ts";
import { NetnsProvider } from "../../../lab/netns/provider.ts";
import type { ExecTarget } from "../../../lab/provider.ts";
import { runCli, uniqueLabName } from "../../../lab/testing/lab-fixture.ts";
import { run } from "../../common/exec.ts";
import { parseAgentConfig } from "../config.ts";
import { NPL_ANNOTATION, type NplAnnotation, parseNplAnnotation } from "./annotation.ts";
import { PORTS_EXHAUSTED_REASON } from "./controller.ts";
import { dnatRule, NPL_CHAIN } from "./rules.ts";

const MANIFEST = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 2
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      nodeSelector: { kubernetes.io/hostname: worker }
      containers:
      - name: agnhost
        image: registry.k8s.io/e2e-test-images/agnhost:2.52
        args: ["netexec", "--http-port=8080", "--udp-port=8081"]
        ports:
        - { name: http, containerPort: 8080 }
        - { name: udp, containerPort: 8081, protocol: UDP }
        readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
  annotations: { nodeportlocal.antrea.io/enabled: "true" }
spec:
  selector: { app: web }
  ports:
  - { name: http, port: 80, targetPort: http }
  - { name: udp, port: 81, targetPort: 8081, protocol: UDP }
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: default }
spec:
  nodeSelector: { kubernetes.io/hostname: worker2 }
  containers:
  - { name: client, image: registry.k8s.io/e2e-test-images/agnhost:2.52, args: ["pause"] }
`;

const lab = uniqueLabName();
const provider = new NetnsProvider();
const EXT: ExecTarget = { kind: "external", name: "ext" };
const WORKER: ExecTarget = { kind: "node", name: "worker" };
const CLIENT: ExecTarget = { kind: "pod", namespace: "default", name: "client" };
let kubeconfig = "";
let stateDir = "";
let workerIP = "";
let core: CoreV1Api;

async function exec(target: ExecTarget, argv: string[], input?: string): Promise<string> {
  const r = await provider.exec(lab, target, argv, { timeoutMs: 10_000, ...(input ? { input } : {}) });
  return r.stdout.trim();
}

async function kubectl(args: string[], input?: string): Promise<string> {
  return (
    await run(["kubectl", "--kubeconfig", kubeconfig, ...args], {
      timeoutMs: 30_000,
      ...(input ? { input } : {}),
    })
  ).stdout;
}

/** Polls `probe` until it returns something other than undefined. */
async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

/** The ready web Pods, i.e. serving (Pods being deleted are left out). */
async function webPods(): Promise<V1Pod[]> {
  const list = await core.listNamespacedPod({ namespace: "default", labelSelector: "app=web" });
  return list.items.filter(
    (p) =>
      !p.metadata?.deletionTimestamp &&
      p.status?.podIP &&
      p.status.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
  );
}

const nameOf = (p: V1Pod) => p.metadata?.name ?? "";
const rawAnnotation = (p: V1Pod) => p.metadata?.annotations?.[NPL_ANNOTATION];
const entries = (p: V1Pod): NplAnnotation[] => parseNplAnnotation(rawAnnotation(p)) ?? [];
const nodePort = (p: V1Pod, protocol: "tcp" | "udp") =>
  entries(p).find((e) => e.protocol === protocol)!.nodePort;

/** The two web Pods once each has node ports for exactly these (podPort, protocol) pairs within the range. */
function annotatedWith(podPorts: string[], range: [number, number], replicas = 2) {
  return waitFor(
    `${replicas} web Pods annotated with ${podPorts.join(", ")} in ${range.join("-")}`,
    async () => {
      const pods = await webPods();
      const ok = (p: V1Pod) => {
        const e = entries(p);
        return (
          e.map((x) => `${x.podPort}/${x.protocol}`).join(",") === podPorts.join(",") &&
          e.every((x) => x.nodePort >= range[0] && x.nodePort <= range[1])
        );
      };
      return pods.length === replicas && pods.every(ok) ? pods : undefined;
    },
  );
}

/** The DNAT rules of the chain in the worker's nat table. */
async function nplRules(): Promise<string[]> {
  const lines = (await exec(WORKER, ["iptables", "-t", "nat", "-S"])).split("\n");
  return lines.filter((l) => l.startsWith(`-A ${NPL_CHAIN} `)).sort();
}

/** The rules the Pods' annotations call for: one per entry. */
const expectedRules = (pods: V1Pod[]) =>
  pods.flatMap((p) => entries(p).map((e) => dnatRule({ ...e, podIP: p.status!.podIP! }))).sort();

/** Waits until the chain holds exactly the rules the annotations call for. */
const rulesMatch = (pods: V1Pod[]) =>
  waitFor("one iptables rule per mapping", async () => {
    const rules = await nplRules();
    return JSON.stringify(rules) === JSON.stringify(expectedRules(pods)) ? rules : undefined;
  });

/** What netexec answers to /hostname over TCP (curl's error when it fails). */
async function httpHostname(from: ExecTarget, port: number): Promise<string> {
  const argv = ["curl", "-sS", "-m", "5", `http://${workerIP}:${port}/hostname`];
  const r = await provider.exec(lab, from, argv, { timeoutMs: 10_000 });
  return r.stdout.trim() || r.stderr.trim();
}

/** netexec's UDP "hostname" command; a lost datagram is retried. */
async function udpHostname(from: ExecTarget, port: number): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const answer = await exec(from, ["socat", "-t", "1", "-", `UDP:${workerIP}:${port}`], "hostname\n");
    if (answer) return answer;
  }
  return "(no answer)";
}

async function expectTraffic(pods: V1Pod[], from: ExecTarget[]): Promise<void> {
  for (const p of pods) {
    for (const f of from) {
      expect(await httpHostname(f, nodePort(p, "tcp"))).toBe(nameOf(p));
      expect(await udpHostname(f, nodePort(p, "udp"))).toBe(nameOf(p));
    }
  }
}

const agentLog = () => join(stateDir, "hosts", "worker", "agent.log");
const readyCount = async () =>
  (await readFile(agentLog(), "utf8")).split("\n").filter((l) => l.endsWith("for Node worker ready")).length;

/** Enables NodePortLocal with `portRange` in the worker's agent config and restarts that agent. */
async function restartAgent(portRange: string): Promise<void> {
  const file = join(stateDir, "hosts", "worker", "agent.json");
  const config = parseAgentConfig(JSON.parse(await readFile(file, "utf8")));
  await writeFile(file, JSON.stringify({ ...config, nodePortLocal: { enable: true, portRange } }, null, 2));
  const before = await readyCount();
  await provider.fault(lab, { type: "restart", node: "worker", process: "agent" });
  await waitFor("the worker's agent to be ready", async () =>
    (await readyCount()) > before ? true : undefined,
  );
}

beforeAll(async () => {
  const up = await runCli(["up", "--name", lab]);
  if (up.code !== 0) throw new Error(`ovslab up failed: ${up.stderr}`);
  const status = await provider.status(lab);
  kubeconfig = status?.kubeconfig ?? "";
  stateDir = status?.stateDir ?? "";
  workerIP = status?.hosts.find((h) => h.name === "worker")?.address ?? "";
  const kc = new KubeConfig();
  kc.loadFromFile(kubeconfig);
  core = kc.makeApiClient(CoreV1Api);
  await restartAgent("61000-62000");
  await kubectl(["apply", "-f", "-"], MANIFEST);
  await waitFor("the client Pod to run", async () => {
    const pod = await core.readNamespacedPod({ namespace: "default", name: "client" });
    return pod.status?.phase === "Running" ? pod : undefined;
  });
}, 60_000);

afterAll(async () => {
  // The Pods go first: `down` stops kubelets and containers together, and a kubelet that sees its container exit
  // first may start it again (seen once: a Pod process outlived `down`).
  if (kubeconfig) {
    await run(["kubectl", "--kubeconfig", kubeconfig, "delete", "deployment/web", "--wait=true"], {
      allowFailure: true,
      timeoutMs: 30_000,
    });
    await run(
      ["kubectl", "--kubeconfig", kubeconfig, "delete", "pods", "--all", "--wait=true", "--timeout=20s"],
      { allowFailure: true, timeoutMs: 30_000 },
    );
  }
  await runCli(["down", "--name", lab]);
  await assertNoLeftovers(lab);
}, 60_000);

describe("NodePortLocal", () => {
  it("annotates each selected Pod with Antrea's JSON: a node port per target port and protocol, distinct per Pod", async () => {
    const pods = await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]);
    for (const p of pods) {
      expect(rawAnnotation(p)).toBe(
        `[{"podPort":8080,"nodeIP":"${workerIP}","nodePort":${nodePort(p, "tcp")},"protocol":"tcp","ipFamily":"IPv4"},` +
          `{"podPort":8081,"nodeIP":"${workerIP}","nodePort":${nodePort(p, "udp")},"protocol":"udp","ipFamily":"IPv4"}]`,
      );
    }
    expect(new Set(pods.map((p) => nodePort(p, "tcp"))).size).toBe(2);
    expect(new Set(pods.map((p) => nodePort(p, "udp"))).size).toBe(2);
    // Every node port is held by a socket on 0.0.0.0 in the node.
    const tcp = await exec(WORKER, ["ss", "-H", "-n", "-4", "--listening", "--tcp"]);
    const udp = await exec(WORKER, ["ss", "-H", "-n", "-4", "--listening", "--udp"]);
    for (const p of pods) {
      expect(tcp).toMatch(new RegExp(`LISTEN .* 0\\.0\\.0\\.0:${nodePort(p, "tcp")}\\s`));
      expect(udp).toMatch(new RegExp(`UNCONN .* 0\\.0\\.0\\.0:${nodePort(p, "udp")}\\s`));
    }
  });

  it("installs exactly one DNAT rule per mapping, jumped to from PREROUTING and OUTPUT", async () => {
    const pods = await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]);
    expect(await rulesMatch(pods)).toHaveLength(4);
    const jumps = (await exec(WORKER, ["iptables", "-t", "nat", "-S"]))
      .split("\n")
      .filter((l) => l.endsWith(`-j ${NPL_CHAIN}`));
    expect(jumps).toEqual([
      `-A PREROUTING -m addrtype --dst-type LOCAL -j ${NPL_CHAIN}`,
      `-A OUTPUT -m addrtype --dst-type LOCAL -j ${NPL_CHAIN}`,
    ]);
  });

  it("carries TCP and UDP from the external host and from a Pod on another Node to the right Pod", async () => {
    const pods = await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]);
    await expectTraffic(pods, [EXT, CLIENT]);
  });

  it("follows targetPort changes", async () => {
    const ports = (tcpTarget: number | string) =>
      JSON.stringify({
        spec: {
          ports: [
            { name: "http", port: 80, targetPort: tcpTarget, protocol: "TCP" },
            { name: "udp", port: 81, targetPort: 8081, protocol: "UDP" },
          ],
        },
      });
    await kubectl(["patch", "service", "web", "--type=merge", "-p", ports(9090)]);
    await rulesMatch(await annotatedWith(["8081/udp", "9090/tcp"], [61000, 62000]));
    await kubectl(["patch", "service", "web", "--type=merge", "-p", ports("http")]);
    const pods = await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]);
    await rulesMatch(pods);
    expect(await httpHostname(EXT, nodePort(pods[0]!, "tcp"))).toBe(nameOf(pods[0]!));
  });

  it("removes mappings, rules and annotations when the Service annotation goes, and restores them when it is back", async () => {
    await kubectl(["annotate", "service", "web", "nodeportlocal.antrea.io/enabled-"]);
    await waitFor("annotations and rules to go", async () => {
      const pods = await webPods();
      const annotated = pods.some((p) => rawAnnotation(p) !== undefined);
      return !annotated && (await nplRules()).length === 0 ? true : undefined;
    });
    await kubectl(["annotate", "service", "web", "nodeportlocal.antrea.io/enabled=true"]);
    await rulesMatch(await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]));
  });

  it("removes a deleted Pod's rules and maps its replacement", async () => {
    const [gone, kept] = await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]);
    await kubectl(["delete", "pod", nameOf(gone!), "--wait=true"]);
    const pods = await waitFor("the replacement Pod", async () => {
      const ps = await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]);
      return ps.some((p) => nameOf(p) === nameOf(gone!)) ? undefined : ps;
    });
    const rules = await rulesMatch(pods);
    expect(rules).toHaveLength(4);
    if (!pods.some((p) => p.status?.podIP === gone!.status?.podIP)) {
      expect(rules.join("\n")).not.toContain(`${gone!.status?.podIP}:`);
    }
    // The Pod that stayed kept its ports.
    expect(rawAnnotation(pods.find((p) => nameOf(p) === nameOf(kept!))!)).toBe(rawAnnotation(kept!));
  });

  it("keeps ports, annotations and traffic over an agent restart, and puts back a deleted rule", async () => {
    const pods = await annotatedWith(["8080/tcp", "8081/udp"], [61000, 62000]);
    const before = new Map(pods.map((p) => [nameOf(p), rawAnnotation(p)]));
    const rules = await rulesMatch(pods);
    await exec(WORKER, ["iptables", "-t", "nat", ...rules[0]!.replace(/^-A /, "-D ").split(" ")]);
    expect(await nplRules()).toHaveLength(3);
    await restartAgent("61000-62000");
    expect(await nplRules()).toEqual(rules);
    const after = await webPods();
    expect(new Map(after.map((p) => [nameOf(p), rawAnnotation(p)]))).toEqual(before);
    await expectTraffic(after, [EXT]);
  });

  it("moves every mapping into a new port range, and reports a Pod the range has no room for", async () => {
    await restartAgent("62100-62101");
    const pods = await annotatedWith(["8080/tcp", "8081/udp"], [62100, 62101]);
    await rulesMatch(pods);
    await expectTraffic(pods, [EXT]);

    const readyBefore = await readyCount();
    await kubectl(["scale", "deployment", "web", "--replicas=3"]);
    const third = await waitFor("a third web Pod", async () => {
      const ps = await webPods();
      return ps.find((p) => !pods.some((q) => nameOf(q) === nameOf(p)));
    });
    const reasons = await waitFor("a Warning Event on the third Pod", async () => {
      const events = await core.listNamespacedEvent({ namespace: "default" });
      const mine = events.items.filter(
        (e) => e.involvedObject.name === nameOf(third) && e.reason === PORTS_EXHAUSTED_REASON,
      );
      return mine.length ? mine.map((e) => `${e.type} ${e.message}`) : undefined;
    });
    expect(reasons).toContain(
      `Warning no free node port in range 62100-62101 for tcp port 8080 of Pod default/${nameOf(third)}`,
    );
    expect(rawAnnotation(await core.readNamespacedPod({ namespace: "default", name: nameOf(third) }))).toBe(
      undefined,
    );
    // The agent carried on: same run, the two mapped Pods unchanged.
    expect(await readyCount()).toBe(readyBefore);
    const mapped = (await webPods()).filter((p) => rawAnnotation(p) !== undefined);
    expect(mapped.map(nameOf).sort()).toEqual(pods.map(nameOf).sort());
    expect(await nplRules()).toEqual(expectedRules(mapped));
  });
});
