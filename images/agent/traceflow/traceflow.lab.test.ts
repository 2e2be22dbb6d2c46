// Traceflow end to end on a real lab (controller + agents of this tree, real OVS, real packets): injected traces
// within a Node, across Nodes and through a Service, with the observations Antrea reports; a drop by a K8s
// NetworkPolicy at the destination (the Pod stays Ready: kubelet probes pass the policy); live traffic; and no
// Traceflow flow left on any Node after a trace succeeded or timed out.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type NodeResult,
  parseTraceflow,
  TRACEFLOW_RESOURCE,
  type Traceflow,
  type TraceflowSpec,
} from "../../api/traceflow.ts";
import { AgentLab, eventually, type Manifest, type RunningPod } from "../testing/agent-lab.ts";

const ns = "default";
const NODES = ["control-plane", "worker", "worker2"];
let lab: AgentLab | undefined;
let a: RunningPod;
let b: RunningPod;
let c: RunningPod;
let serviceIP: string;
let worker2IP: string;

function webPod(name: string, node: string, labels: Record<string, string>): Manifest {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: {
      nodeSelector: { "ovslab.dev/topology-node": node },
      containers: [
        {
          name: "agnhost",
          image: "registry.k8s.io/e2e-test-images/agnhost:2.52",
          args: ["netexec", "--http-port=8080"],
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1, failureThreshold: 1 },
        },
      ],
    },
  };
}

beforeAll(async () => {
  lab = await AgentLab.up();
  await lab.apply(
    webPod("a", "worker", { pod: "a" }),
    webPod("b", "worker", { pod: "b" }),
    webPod("c", "worker2", { pod: "c", app: "web" }),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: ns },
      spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  );
  [a, b, c] = await lab.running([
    { namespace: ns, name: "a" },
    { namespace: ns, name: "b" },
    { namespace: ns, name: "c" },
  ]);
  serviceIP = (await lab.core.readNamespacedService({ name: "web", namespace: ns })).spec?.clusterIP ?? "";
  const node = await lab.core.readNode({ name: "worker2" });
  worker2IP = node.status?.addresses?.find((x) => x.type === "InternalIP")?.address ?? "";
}, 180_000);

afterAll(async () => {
  await lab?.down();
}, 60_000);

let seq = 0;
/** Cookie category 7 (Traceflow), whatever the round and object id. */
const TRACEFLOW_COOKIE = "cookie=0x70000000000/0xff0000000000";

/** Creates a Traceflow, waits until it is Succeeded or Failed, deletes it; returns it and how long it took. */
async function trace(spec: TraceflowSpec, whileRunning?: () => Promise<void>) {
  const l = lab!;
  const name = `tf-${++seq}`;
  const started = Date.now();
  await l.custom.createClusterCustomObject({
    ...TRACEFLOW_RESOURCE,
    body: { apiVersion: "crd.antrea.io/v1beta1", kind: "Traceflow", metadata: { name }, spec },
  });
  try {
    let ms = 0;
    const running = whileRunning?.();
    const tf = await eventually(async () => {
      const got = parseTraceflow(await l.custom.getClusterCustomObject({ ...TRACEFLOW_RESOURCE, name }));
      if (got?.status?.phase !== "Succeeded" && got?.status?.phase !== "Failed")
        throw new Error(`${name}: ${JSON.stringify(got?.status)}`);
      ms = Date.now() - started;
      return got;
    }, 40_000);
    await running;
    return { tf, ms };
  } finally {
    await l.custom.deleteClusterCustomObject({ ...TRACEFLOW_RESOURCE, name }).catch(() => undefined);
  }
}

/** `Component/Info/Action` per Node, the way Antrea's e2e compares results. */
function compact(tf: Traceflow): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const r of tf.status?.results ?? ([] as NodeResult[])) {
    out[r.node ?? "?"] = (r.observations ?? []).map((o) =>
      [o.component, o.componentInfo, o.action].filter(Boolean).join("/"),
    );
  }
  return out;
}

/** Traceflow flows (cookie category 7) on every Node. */
async function traceflowFlows(): Promise<string[]> {
  const all = await Promise.all(NODES.map((n) => lab!.flows(n, undefined, TRACEFLOW_COOKIE)));
  return all.flat();
}

describe("injected traces", () => {
  it("within a Node, across Nodes and through a Service: Antrea's observations, and no flow left behind", async () => {
    const intra = await trace({
      source: { namespace: ns, pod: "a" },
      destination: { namespace: ns, pod: "b" },
    });
    expect(intra.tf.status?.phase).toBe("Succeeded");
    expect(compact(intra.tf)).toEqual({ worker: ["SpoofGuard/Forwarded", "Forwarding/Output/Delivered"] });
    expect(intra.tf.status?.results?.[0]?.observations?.[0]?.srcPodIP).toBe(a.ip);

    const inter = await trace({
      source: { namespace: ns, pod: "a" },
      destination: { namespace: ns, pod: "c" },
    });
    expect(compact(inter.tf)).toEqual({
      worker: ["SpoofGuard/Forwarded", "Forwarding/Output/Forwarded"],
      worker2: ["Forwarding/Received", "Forwarding/Output/Delivered"],
    });
    const output = inter.tf.status?.results?.find((r) => r.node === "worker")?.observations?.at(-1);
    expect(output?.tunnelDstIP).toBe(worker2IP);

    const svc = await trace({
      source: { namespace: ns, pod: "b" },
      destination: { namespace: ns, service: "web" },
      packet: { transportHeader: { tcp: { dstPort: 80 } } },
    });
    expect(compact(svc.tf).worker).toEqual([
      "SpoofGuard/Forwarded",
      "LB/Forwarded",
      "Forwarding/Output/Forwarded",
    ]);
    const lb = svc.tf.status?.results?.find((r) => r.node === "worker")?.observations?.[1];
    expect(lb).toMatchObject({ translatedDstIP: c.ip, pod: `${ns}/c` });
    expect(serviceIP).not.toBe("");

    console.log(
      `Traceflow completion: intra-node ${intra.ms} ms, inter-node ${inter.ms} ms, Service ${svc.ms} ms`,
    );
    await eventually(async () => expect(await traceflowFlows()).toEqual([]), 5_000);
  }, 120_000);

  it("dropped at the destination by a K8s NetworkPolicy, whose isolation does not stop kubelet probes", async () => {
    const l = lab!;
    const deny: Manifest = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "deny-c", namespace: ns },
      spec: { podSelector: { matchLabels: { pod: "c" } }, policyTypes: ["Ingress"] },
    };
    await l.apply(deny);
    try {
      await l.realized(deny);
      const dropped = await trace({
        source: { namespace: ns, pod: "a" },
        destination: { namespace: ns, pod: "c" },
      });
      expect(dropped.tf.status?.phase).toBe("Succeeded");
      expect(compact(dropped.tf).worker2).toEqual([
        "Forwarding/Received",
        "NetworkPolicy/IngressDefaultRule/Dropped",
      ]);
      // The readiness probe (every second, one failure makes the Pod unready) keeps passing.
      await new Promise((r) => setTimeout(r, 4000));
      const pod = await l.core.readNamespacedPod({ name: "c", namespace: ns });
      expect(pod.status?.conditions?.find((x) => x.type === "Ready")?.status).toBe("True");
      expect(await l.probe(b, c.ip, 8080)).toBe("dropped");
    } finally {
      await l.remove(deny);
      await l.probeUntil(b, c.ip, 8080, "connected");
    }
  }, 120_000);
});

describe("live traffic and timeouts", () => {
  it("captures the first packet of a real connection: sender and receiver results and capturedPacket", async () => {
    const live = await trace(
      {
        source: { namespace: ns, pod: "a" },
        destination: { namespace: ns, pod: "c" },
        liveTraffic: true,
        packet: { transportHeader: { tcp: { dstPort: 8080 } } },
        timeout: 30,
      },
      async () => {
        // The flows must be in before the connection; a few attempts cover a slow start.
        await new Promise((r) => setTimeout(r, 1000));
        for (let i = 0; i < 3; i++) await lab!.probe(a, c.ip, 8080);
      },
    );
    expect(live.tf.status?.phase).toBe("Succeeded");
    expect(compact(live.tf)).toEqual({
      worker: ["SpoofGuard/Forwarded", "Forwarding/Output/Forwarded"],
      worker2: ["Forwarding/Received", "Forwarding/Output/Delivered"],
    });
    expect(live.tf.status?.capturedPacket).toMatchObject({
      srcIP: a.ip,
      dstIP: c.ip,
      transportHeader: { tcp: { dstPort: 8080, flags: 2 } },
    });
    await eventually(async () => expect(await traceflowFlows()).toEqual([]), 5_000);
  }, 120_000);

  it("a trace that sees nothing fails with 'Traceflow timeout'; its flows carried the hard timeout and are gone", async () => {
    let during: string[] = [];
    const idle = await trace(
      {
        source: { namespace: ns, pod: "a" },
        destination: { namespace: ns, pod: "c" },
        liveTraffic: true,
        timeout: 3,
      },
      async () => {
        during = await eventually(async () => {
          const flows = await traceflowFlows();
          if (flows.length < NODES.length * 2) throw new Error(`only ${flows.length} Traceflow flows`);
          return flows;
        }, 3_000);
      },
    );
    expect(idle.tf.status).toMatchObject({ phase: "Failed", reason: "Traceflow timeout" });
    expect(during.every((f) => f.includes("hard_timeout=3"))).toBe(true);
    await eventually(async () => expect(await traceflowFlows()).toEqual([]), 5_000);
  }, 60_000);
});
