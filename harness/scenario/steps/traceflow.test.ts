// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario reference syntax under test
// The traceflow step: the shipped scenarios/traceflow files load; mistakes are reported at file:line:column; and the
// step runs against the project's real Kubernetes API server, with the test playing Antrea's controller and agents
// (it writes each new Traceflow's status), so that the Traceflow the step creates, the resolution of references and
// Node keys, the failure message and the deletion are real.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  parseTraceflow,
  TRACEFLOW_RESOURCE,
  type Traceflow,
  type TraceflowStatus,
} from "../../../images/api/traceflow.ts";
import { InvalidInputError } from "../../../lab/common/source-file.ts";
import { startTestCluster, type TestCluster } from "../../../lab/control-plane/testing/test-cluster.ts";
import { NetnsProvider } from "../../../lab/netns/provider.ts";
import { TOPOLOGY_NODE_LABEL } from "../../../lab/provider.ts";
import { parseTopology } from "../../../lab/topology/load.ts";
import { resolveTopology } from "../../../lab/topology/resolve.ts";
import type { ArtifactSink } from "../artifacts.ts";
import { Kube } from "../kube.ts";
import { LabContext } from "../lab-context.ts";
import { loadScenarioFile, loadScenarios } from "../loader.ts";
import { StepFailure } from "./step-kind.ts";
import { traceflowStep, trafficRequest } from "./traceflow.ts";

const SCENARIOS = new URL("../../../scenarios/traceflow/", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "ovslab-traceflow-step-"));

describe("scenarios/traceflow", () => {
  it("loads every Traceflow scenario, with titles from the step's body", async () => {
    const { scenarios } = await loadScenarios([SCENARIOS]);
    expect(scenarios.map((s) => s.name).sort()).toEqual([
      "traceflow-acnp-drop-reject",
      "traceflow-dropped-by-networkpolicy",
      "traceflow-external",
      "traceflow-inter-node",
      "traceflow-intra-node",
      "traceflow-live-dropped-only",
      "traceflow-live-traffic",
      "traceflow-missing-destination",
      "traceflow-service",
    ]);
    const titles = scenarios.flatMap((s) => s.steps.filter((st) => st.kind.kind === "traceflow"));
    expect(titles.map((st) => [st.title, st.timeoutMs])).toEqual(
      expect.arrayContaining([
        ["traceflow pod/tf/a -> service/tf/web tcp,tcp_dst=80 expect Succeeded", 45_000],
        ["traceflow ${pod/tf/a.ip} -> pod/tf/b icmp live dropped-only expect Succeeded", 45_000],
        ["traceflow pod/tf/a -> pod/tf/missing expect Failed", 45_000],
      ]),
    );
  });
});

describe("traceflow step schema", () => {
  async function problems(steps: string[]): Promise<string[]> {
    const file = join(dir, "steps.yaml");
    const head = [
      "apiVersion: ovslab.dev/v1alpha1",
      "kind: Scenario",
      "metadata: { name: bad }",
      "spec:",
      "  steps:",
    ];
    writeFileSync(file, [...head, ...steps, ""].join("\n"));
    const err = await loadScenarioFile(file).catch((e: unknown) => e);
    if (!(err instanceof InvalidInputError)) throw new Error(`expected invalid input, got ${String(err)}`);
    return err.problems.map((p) => `${basename(p.file)}:${p.line}:${p.column}: ${p.message}`);
  }

  it("reports bad observations, Node keys, packets and values where they are", async () => {
    const at = "spec.steps[0].traceflow";
    expect(
      await problems([
        "  - traceflow:",
        "      source: pod/x/a",
        "      destination: pod/x/b",
        "      packet: tcp,tcp_dport=80",
        "      expect:",
        "        results:",
        '          "${pod/x/a.nod}": [SpoofGuard/Forwarded]',
        "          worker:",
        "            - SpoofGard/Forwarded",
        "            - Forwarding/Output/Delivred",
        "            - Forwarding-Output",
        "            - { component: Forwarding, componentInfo: Output, action: Forwarded, tunelDstIP: 1.2.3.4 }",
        '            - { component: LB, action: Forwarded, translatedDstIP: "/10\\\\.(/" }',
        "            - 5",
      ]),
    ).toEqual([
      `steps.yaml:9:15: ${at}.packet: unknown flow field "tcp_dport" (known: icmp, tcp, udp, ipv6, tcp_src, tcp_dst, tcp_flags, udp_src, udp_dst)`,
      `steps.yaml:12:11: ${at}.expect.results.\${pod/x/a.nod}: name bad reference "\${pod/x/a.nod}": pod has no field "nod" (fields: ip, node, nodeIP)`,
      `steps.yaml:14:15: ${at}.expect.results.worker[0]: "SpoofGard" is not a Traceflow component (SpoofGuard, LB, Routing, NetworkPolicy, Forwarding, Egress)`,
      `steps.yaml:15:15: ${at}.expect.results.worker[1]: "Delivred" is not a Traceflow action (Delivered, Received, Forwarded, Dropped, Rejected, ForwardedOutOfNetwork, MarkedForSNAT, ForwardedToEgressNode, ForwardedOutOfOverlay)`,
      `steps.yaml:16:15: ${at}.expect.results.worker[2]: "Forwarding-Output" is not Component/Action or Component/Info/Action (e.g. Forwarding/Output/Delivered)`,
      `steps.yaml:17:82: unknown field "tunelDstIP" in ${at}.expect.results.worker[3]`,
      `steps.yaml:18:15: ${at}.expect.results.worker[4]: translatedDstIP: invalid regular expression: Invalid regular expression: /10\\.(/: Unterminated group`,
      `steps.yaml:19:15: ${at}.expect.results.worker[5]: expected Component/Info/Action or an observation object {component, componentInfo, action, ...}`,
    ]);
  });

  it("reports rules that span fields: sources, live traffic, ports and timeouts", async () => {
    expect(
      await problems([
        "  - traceflow: { source: service/x/web, destination: pod/x/b }",
        '  - traceflow: { source: "${pod/a.ip}", destination: pod/b }',
        "  - traceflow: { source: pod/a, destination: pod/b, droppedOnly: true, traffic: {} }",
        '  - traceflow: { source: "${pod/a.ip}", destination: service/web, liveTraffic: true }',
        '  - traceflow: { source: "${pod/a.ip}", destination: pod/b, liveTraffic: true, traffic: { port: 80 } }',
        "  - traceflow: { source: pod/a, destination: pod/b, liveTraffic: true, packet: tcp, traffic: {} }",
        "  - traceflow: { source: pod/a, destination: pod/b, traceTimeout: 1500ms }",
        "  - traceflow: { source: pod/a, destination: pod/b, traceTimeout: 30s, timeout: 30s }",
      ]),
    ).toEqual([
      "steps.yaml:6:26: spec.steps[0].traceflow.source: a Traceflow starts at a Pod (pod/...), not a service",
      "steps.yaml:7:26: spec.steps[1].traceflow.source: an IP as source is only for liveTraffic; use pod/...",
      "steps.yaml:8:66: spec.steps[2].traceflow.droppedOnly: droppedOnly is only for liveTraffic",
      "steps.yaml:8:81: spec.steps[2].traceflow.traffic: traffic is only for liveTraffic (an injected packet needs none)",
      "steps.yaml:9:26: spec.steps[3].traceflow.source: one of source and destination must be a Pod (pod/...)",
      "steps.yaml:9:80: spec.steps[3].traceflow.liveTraffic: a live-traffic Traceflow needs traffic: the packets it captures",
      "steps.yaml:10:89: spec.steps[4].traceflow.traffic: traffic needs from: the source is not a Pod",
      "steps.yaml:10:89: spec.steps[4].traceflow.traffic: icmp traffic takes no port",
      "steps.yaml:11:94: spec.steps[5].traceflow.traffic: tcp traffic needs a port (traffic.port, or tcp_dst/udp_dst in packet)",
      "steps.yaml:12:67: spec.steps[6].traceflow.traceTimeout: must be whole seconds from 1s to 300s",
      "steps.yaml:13:81: spec.steps[7].traceflow.timeout: the step's timeout must be longer than the Traceflow's (traceTimeout, default 20s)",
    ]);
  });
});

// ---- runs against a real API server ----

let cluster: TestCluster;
let kube: Kube;
let custom: CustomObjectsApi;
const attachments: { name: string; content: string }[] = [];
const sink: ArtifactSink = {
  attach: async (name, content) => {
    attachments.push({ name, content });
  },
  step: (_name, fn) => fn(),
};

beforeAll(async () => {
  cluster = await startTestCluster();
  kube = new Kube(cluster.kubeconfigPath);
  custom = kube.kc.makeApiClient(CustomObjectsApi);
  // On kind, Kubernetes Node names are not topology node names; the label links them.
  for (const [name, topology] of [
    ["kind-worker", "worker"],
    ["kind-worker2", "worker2"],
  ] as const) {
    await kube.core.createNode({ body: { metadata: { name, labels: { [TOPOLOGY_NODE_LABEL]: topology } } } });
  }
});
afterAll(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

function context(name: string): LabContext {
  const { spec } = parseTopology(
    "inline.yaml",
    "name: tf\ntopology:\n  nodes:\n    n1: { role: control-plane }\n",
  );
  const topology = resolveTopology(spec, { underlay: "172.31.0.0/24" });
  return new LabContext(
    {
      provider: new NetnsProvider(),
      name: "tf",
      status: { name: "tf", provider: "netns", topology, hosts: [], kubeconfig: cluster.kubeconfigPath },
    },
    { name, file: join(dir, `${name}.yaml`), dir, namespaces: ["tf"] },
    sink,
  );
}

/** Pods a (kind-worker) and c (kind-worker2) with IPs, as a kubelet and CNI would report them. */
async function podsAC(ctx: LabContext): Promise<void> {
  await ctx.kube();
  const namespace = ctx.namespace("tf");
  for (const [name, nodeName, podIP, hostIP] of [
    ["a", "kind-worker", "10.244.1.5", "172.18.0.2"],
    ["c", "kind-worker2", "10.244.2.7", "172.18.0.3"],
  ] as const) {
    const pod = await kube.core.createNamespacedPod({
      namespace,
      body: { metadata: { name }, spec: { nodeName, containers: [{ name: "c", image: "agnhost" }] } },
    });
    await kube.core.replaceNamespacedPodStatus({
      name,
      namespace,
      body: { ...pod, status: { phase: "Running", podIP, hostIP } },
    });
  }
}

/** Plays Antrea: writes `answer(traceflow)` as the status of every new Traceflow, and records what it saw. */
function playAntrea(answer: (tf: Traceflow) => TraceflowStatus) {
  const seen: Traceflow[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const list = (await custom.listClusterCustomObject(TRACEFLOW_RESOURCE)) as { items: unknown[] };
      for (const tf of list.items.map(parseTraceflow)) {
        if (!tf || tf.status?.phase || seen.some((s) => s.metadata.name === tf.metadata.name)) continue;
        seen.push(tf);
        await custom
          .replaceClusterCustomObjectStatus({
            ...TRACEFLOW_RESOURCE,
            name: tf.metadata.name,
            body: { ...tf, status: answer(tf) },
          })
          .catch(() => undefined); // deleted in between: nothing to answer
      }
      await sleep(50);
    }
  })();
  return {
    seen,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function runStep(ctx: LabContext, body: unknown): Promise<void> {
  const parsed = traceflowStep.schema.parse(body);
  const ms = parsed.timeout ?? traceflowStep.defaultTimeoutMs;
  await traceflowStep.run(parsed, ctx, {
    timeoutMs: ms,
    deadline: Date.now() + ms,
    signal: new AbortController().signal,
  });
}

async function traceflowsLeft(): Promise<string[]> {
  const list = (await custom.listClusterCustomObject(TRACEFLOW_RESOURCE)) as { items: Traceflow[] };
  return list.items.map((t) => t.metadata.name);
}

const INTER_NODE: TraceflowStatus = {
  phase: "Succeeded",
  results: [
    {
      node: "kind-worker",
      timestamp: 1717171717,
      observations: [
        { component: "SpoofGuard", action: "Forwarded", srcPodIP: "10.244.1.5" },
        { component: "Forwarding", componentInfo: "Output", action: "Forwarded", tunnelDstIP: "172.18.0.3" },
      ],
    },
    {
      node: "kind-worker2",
      timestamp: 1717171717,
      observations: [
        { component: "Forwarding", action: "Received" },
        { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
      ],
    },
  ],
};

describe("traceflow step run", () => {
  it("creates the Traceflow from references, matches Node keys by name or reference, and deletes it", async () => {
    const ctx = context("tf-pass");
    const antrea = playAntrea(() => INTER_NODE);
    try {
      await podsAC(ctx);
      attachments.length = 0;
      await runStep(ctx, {
        source: "pod/tf/a",
        destination: "pod/c",
        packet: "tcp,tcp_dst=8080",
        traceTimeout: "5s",
        timeout: "10s",
        expect: {
          exact: true,
          results: {
            worker: [
              "SpoofGuard/Forwarded",
              {
                component: "Forwarding",
                componentInfo: "Output",
                action: "Forwarded",
                tunnelDstIP: "${pod/tf/c.nodeIP}",
              },
            ],
            "${pod/tf/c.node}": ["Forwarding/Received", "Forwarding/Output/Delivered"],
          },
        },
      });
      const ns = ctx.namespace("tf");
      expect(antrea.seen).toHaveLength(1);
      const tf = antrea.seen[0]!;
      expect(tf.metadata.name).toMatch(new RegExp(`^${ns}-a-to-${ns}-c-[a-z0-9]{8}$`));
      expect(tf.spec).toEqual({
        source: { namespace: ns, pod: "a" },
        destination: { namespace: ns, pod: "c" },
        packet: { ipHeader: { protocol: 6 }, transportHeader: { tcp: { dstPort: 8080 } } },
        timeout: 5,
      });
      expect(await traceflowsLeft()).toEqual([]);
      const yaml = attachments.find((a) => a.name === "traceflow.yaml")?.content;
      expect(yaml).toContain(`name: ${tf.metadata.name}`);
      expect(yaml).toContain("tunnelDstIP: 172.18.0.3");
    } finally {
      await antrea.stop();
      await ctx.cleanup(20_000);
    }
  });

  it("fails with expected and seen observations per Node, and commands to reproduce", async () => {
    const ctx = context("tf-mismatch");
    const dropped = structuredClone(INTER_NODE);
    dropped.results![1]!.observations![1] = {
      component: "NetworkPolicy",
      componentInfo: "IngressDefaultRule",
      action: "Dropped",
    };
    const antrea = playAntrea(() => dropped);
    try {
      await podsAC(ctx);
      const err = await runStep(ctx, {
        source: "pod/a",
        destination: "pod/tf/c",
        traceTimeout: "5s",
        timeout: "10s",
        expect: { results: { "${pod/tf/c.node}": ["Forwarding/Received", "Forwarding/Output/Delivered"] } },
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StepFailure);
      const name = antrea.seen[0]!.metadata.name;
      const lines = (err as StepFailure).message.split("\n");
      expect(lines.slice(0, 10)).toEqual([
        "traceflow pod/a -> pod/tf/c: kind-worker2: no Forwarding/Output/Delivered after Forwarding/Received",
        "  expected:",
        "      phase Succeeded",
        "      kind-worker2 (${pod/tf/c.node}): Forwarding/Received, Forwarding/Output/Delivered",
        "      (in this order per Node; others may come between)",
        "  seen:",
        "      phase Succeeded",
        "      kind-worker: SpoofGuard/Forwarded, Forwarding/Output/Forwarded",
        "      kind-worker2: Forwarding/Received, NetworkPolicy/IngressDefaultRule/Dropped",
        expect.stringMatching(/^ {6}after \d+(\.\d)? m?s$/),
      ]);
      expect(lines.slice(10, 12)).toEqual([
        "      problems:",
        "      - kind-worker2: no Forwarding/Output/Delivered after Forwarding/Received",
      ]);
      expect(lines[12]).toMatch(
        new RegExp(
          `^ {2}reproduce: echo '\\{"apiVersion":"crd.antrea.io/v1beta1","kind":"Traceflow","metadata":\\{"name":"${name}"\\},"spec":\\{.*\\}\\}' \\| kubectl --kubeconfig \\S+ create -f -$`,
        ),
      );
      expect(lines[13]).toBe(
        `  reproduce: kubectl --kubeconfig ${cluster.kubeconfigPath} get traceflow ${name} -o yaml`,
      );
      expect(await traceflowsLeft()).toEqual([]);
    } finally {
      await antrea.stop();
      await ctx.cleanup(20_000);
    }
  });

  it("accepts a Failed Traceflow whose reason matches, and resolves Service and IP destinations", async () => {
    const ctx = context("tf-failed");
    const antrea = playAntrea((tf) =>
      tf.spec.destination?.pod === "missing"
        ? {
            phase: "Failed",
            reason: 'Node: kind-worker, error: failed to get the destination Pod: pods "missing" not found',
          }
        : { phase: "Failed", reason: "Traceflow timeout" },
    );
    try {
      await podsAC(ctx);
      await ctx.kube();
      const ns = ctx.namespace("tf");
      await kube.core.createNamespacedService({
        namespace: ns,
        body: { metadata: { name: "web" }, spec: { selector: { pod: "c" }, ports: [{ port: 80 }] } },
      });
      const base = { source: "pod/tf/a", traceTimeout: "5s", timeout: "10s" };
      await runStep(ctx, {
        ...base,
        destination: "pod/tf/missing",
        expect: { phase: "Failed", reason: "/missing.*not found/" },
      });
      await runStep(ctx, { ...base, destination: "service/web", expect: { phase: "Failed" } });
      await runStep(ctx, { ...base, destination: "${pod/tf/c.ip}", expect: { phase: "Failed" } });
      expect(antrea.seen.map((tf) => tf.spec.destination)).toEqual([
        { namespace: ns, pod: "missing" },
        { namespace: ns, service: "web" },
        { ip: "10.244.2.7" },
      ]);
      const wrongReason = await runStep(ctx, {
        ...base,
        destination: "pod/tf/missing",
        expect: { phase: "Failed", reason: "Traceflow timeout" },
      }).catch((e: unknown) => e);
      expect((wrongReason as Error).message).toMatch(
        /^traceflow pod\/tf\/a -> pod\/tf\/missing: reason "Node: kind-worker, error: .*not found", expected "Traceflow timeout"\n/,
      );
      expect(await traceflowsLeft()).toEqual([]);
    } finally {
      await antrea.stop();
      await ctx.cleanup(20_000);
    }
  });

  it("sends live traffic from the source Pod to the destination, with the packet's protocol and port", async () => {
    const ctx = context("tf-traffic");
    try {
      await podsAC(ctx);
      const ns = ctx.namespace("tf");
      const live = { source: "pod/tf/a", destination: "pod/tf/c", liveTraffic: true };
      const request = async (body: Record<string, unknown>) =>
        trafficRequest(
          ctx,
          traceflowStep.schema.parse({ ...live, ...body }) as Parameters<typeof trafficRequest>[1],
        );
      expect(await request({ packet: "tcp,tcp_dst=8080", traffic: {} })).toEqual({
        source: { kind: "pod", namespace: ns, name: "a" },
        ip: "10.244.2.7",
        port: 8080,
        protocol: "tcp",
      });
      expect(await request({ traffic: {} })).toMatchObject({
        ip: "10.244.2.7",
        port: undefined,
        protocol: "icmp",
      });
      expect(
        await request({
          source: "${pod/tf/a.ip}",
          traffic: { from: "pod/c", to: "${pod/tf/a.ip}", protocol: "udp", port: 53 },
        }),
      ).toEqual({
        source: { kind: "pod", namespace: ns, name: "c" },
        ip: "10.244.1.5",
        port: 53,
        protocol: "udp",
      });
      expect(await request({ liveTraffic: false, traffic: undefined })).toBeUndefined();
    } finally {
      await ctx.cleanup(20_000);
    }
  });

  it("gives up at the step's deadline on a Traceflow that stays Running, and still deletes it", async () => {
    const ctx = context("tf-running");
    const antrea = playAntrea(() => ({ phase: "Running", dataplaneTag: 7 }));
    try {
      await podsAC(ctx);
      const started = Date.now();
      const err = await runStep(ctx, {
        source: "pod/tf/a",
        destination: "pod/tf/c",
        traceTimeout: "1s",
        timeout: "2s",
      }).catch((e: unknown) => e);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(err).toBeInstanceOf(StepFailure);
      expect((err as Error).message).toMatch(
        /^traceflow pod\/tf\/a -> pod\/tf\/c: phase Running, expected Succeeded\n/,
      );
      expect(antrea.seen).toHaveLength(1);
      expect(await traceflowsLeft()).toEqual([]);
    } finally {
      await antrea.stop();
      await ctx.cleanup(20_000);
    }
  });
});
