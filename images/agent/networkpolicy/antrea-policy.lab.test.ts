// Antrea-native policies end to end on a real lab: an ACNP Drop rule (probes time out), the same rule turned into
// Reject (probes are refused at once: TCP RST from the reject responder, for a Pod on the same Node, on another
// Node and behind a Service), and Pass handing a connection over to a K8s NetworkPolicy below the Application
// Tier's Drop. Every policy is Realized on every Node of its span, at each generation.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentLab, agnhostPod, type Manifest, type RunningPod } from "../testing/agent-lab.ts";

let lab: AgentLab | undefined;
let client: RunningPod;
let webNear: RunningPod;
let webFar: RunningPod;
let serviceIP: string;

const ns = "default";

beforeAll(async () => {
  lab = await AgentLab.up();
  const web = (name: string, node: string) =>
    agnhostPod({ namespace: ns, name, node, labels: { app: "web" } }, ["netexec", "--http-port=8080"]);
  await lab.apply(
    agnhostPod({ namespace: ns, name: "client", node: "worker", labels: { app: "client" } }, ["pause"]),
    web("web-near", "worker"),
    web("web-far", "worker2"),
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: ns },
      spec: { selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
    },
  );
  [client, webNear, webFar] = await lab.running([
    { namespace: ns, name: "client" },
    { namespace: ns, name: "web-near" },
    { namespace: ns, name: "web-far" },
  ]);
  serviceIP = (await lab.core.readNamespacedService({ name: "web", namespace: ns })).spec?.clusterIP ?? "";
}, 120_000);

afterAll(async () => {
  await lab?.down();
}, 60_000);

function acnp(name: string, spec: Record<string, unknown>): Manifest {
  return { apiVersion: "crd.antrea.io/v1beta1", kind: "ClusterNetworkPolicy", metadata: { name }, spec };
}

const fromClient = { podSelector: { matchLabels: { app: "client" } } };
const toWeb = [{ podSelector: { matchLabels: { app: "web" } } }];

describe("ACNP Drop and Reject", () => {
  it("drops, then (new generation) rejects with a TCP RST: same Node, other Node, through a Service", async () => {
    const l = lab!;
    const probeAll = () =>
      Promise.all([
        l.probe(client, webNear.ip, 8080),
        l.probe(client, webFar.ip, 8080),
        l.probe(client, serviceIP, 80),
      ]);
    expect(await l.probeUntil(client, webFar.ip, 8080, "connected")).toBe("connected");

    const drop = acnp("client-to-web", {
      priority: 5,
      appliedTo: toWeb,
      ingress: [{ action: "Drop", from: [fromClient] }],
    });
    const reject = acnp("client-to-web", {
      priority: 5,
      appliedTo: toWeb,
      ingress: [{ action: "Reject", from: [fromClient] }],
    });
    try {
      await l.apply(drop);
      expect((await l.realized(drop)).span).toEqual(["worker", "worker2"]);
      expect(await probeAll()).toEqual(["dropped", "dropped", "dropped"]);
      const dropFlows = await l.flows(webFar.node, "AntreaPolicyIngressRule");
      // Application Tier (250), priority 5, rule 0: 65000 - (250*200 + 5*100 + 0) = 14500.
      expect(
        dropFlows.some((f) =>
          /priority=14500,conj_id=(\d+) actions=set_field:0x[0-9a-f]+->reg3,set_field:0x400\/0x400->reg0,goto_table:IngressMetric$/.test(
            f,
          ),
        ),
        dropFlows.join("\n"),
      ).toBe(true);

      await l.apply(reject);
      const cp = await l.realized(reject);
      expect(cp.metadata.generation).toBeGreaterThan(1);
      expect(await probeAll()).toEqual(["rejected", "rejected", "rejected"]);
      const rejectFlows = await l.flows(webFar.node);
      expect(
        rejectFlows.some((f) =>
          /table=AntreaPolicyIngressRule, .*priority=14500,conj_id=\d+ actions=.*set_field:0x1000\/0x1800->reg0,controller\(max_len=256,userdata=02\.04\),goto_table:IngressMetric$/.test(
            f,
          ),
        ),
      ).toBe(true);
      // The rejected SYNs were counted by the deny flow of the metric table.
      const metric = rejectFlows.find(
        (f) => f.includes("table=IngressMetric") && f.includes("reg0=0x400/0x400"),
      );
      expect(Number(/n_packets=(\d+)/.exec(metric ?? "")?.[1])).toBeGreaterThan(0);
    } finally {
      await l.remove(drop);
    }
  });
});

describe("ACNP Pass", () => {
  it("skips the Application Tier's Drop and leaves the connection to the K8s NetworkPolicy", async () => {
    const l = lab!;
    const allow: Manifest = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "web-allow-client", namespace: ns },
      spec: {
        podSelector: { matchLabels: { app: "web" } },
        ingress: [{ from: [fromClient], ports: [{ port: 8080 }] }],
      },
    };
    const drop = acnp("app-drop-client", {
      priority: 10,
      appliedTo: toWeb,
      ingress: [{ action: "Drop", from: [fromClient] }],
    });
    const pass = acnp("secops-pass-client", {
      tier: "securityops",
      priority: 1,
      appliedTo: toWeb,
      ingress: [{ action: "Pass", from: [fromClient] }],
    });
    try {
      await l.apply(allow, drop);
      await Promise.all([l.realized(allow), l.realized(drop)]);
      expect(await l.probe(client, webFar.ip, 8080)).toBe("dropped");

      await l.apply(pass);
      await l.realized(pass);
      expect(await l.probe(client, webFar.ip, 8080)).toBe("connected");
      // SecurityOps (100), priority 1, rule 0: 65000 - (100*200 + 1*20) = 44980; on to the K8s tables.
      const flows = await l.flows(webFar.node, "AntreaPolicyIngressRule");
      expect(
        flows.some((f) =>
          /priority=44980,conj_id=(\d+) actions=set_field:0x[0-9a-f]+->reg6,goto_table:IngressRule$/.test(f),
        ),
        flows.join("\n"),
      ).toBe(true);
    } finally {
      await l.remove(pass, drop, allow);
    }
  });
});
