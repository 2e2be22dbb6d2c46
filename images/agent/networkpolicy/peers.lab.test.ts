// K8s NetworkPolicy peers and ports end to end on a real lab: a named port resolved per Pod (the same name is
// 8080 on one Pod and 80 on another), and an egress rule to an ipBlock with an exception.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AgentLab, agnhostPod, type Manifest, type RunningPod } from "../testing/agent-lab.ts";

let lab: AgentLab | undefined;
let client: RunningPod;
let webA: RunningPod;
let webB: RunningPod;

const ns = "default";

beforeAll(async () => {
  lab = await AgentLab.up();
  await lab.apply(
    agnhostPod({ namespace: ns, name: "client", node: "worker", labels: { app: "client" } }, ["pause"]),
    // "http" is 8080 on web-a, which also listens on UDP 8081 only: TCP 8081 is refused until a policy drops it.
    agnhostPod(
      { namespace: ns, name: "web-a", node: "worker2", labels: { app: "web" } },
      ["netexec", "--http-port=8080", "--udp-port=8081"],
      [{ name: "http", containerPort: 8080 }],
    ),
    agnhostPod(
      { namespace: ns, name: "web-b", node: "worker", labels: { app: "web" } },
      ["netexec", "--http-port=80", "--udp-port=8081"],
      [{ name: "http", containerPort: 80 }],
    ),
  );
  [client, webA, webB] = await lab.running([
    { namespace: ns, name: "client" },
    { namespace: ns, name: "web-a" },
    { namespace: ns, name: "web-b" },
  ]);
}, 120_000);

afterAll(async () => {
  await lab?.down();
}, 60_000);

const namedPort: Manifest = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "web-http", namespace: ns },
  spec: { podSelector: { matchLabels: { app: "web" } }, ingress: [{ ports: [{ port: "http" }] }] },
};

describe("named port", () => {
  it("allows each Pod's own number for the name and drops other ports", async () => {
    const l = lab!;
    expect(await l.probeUntil(client, webA.ip, 8081, "rejected")).toBe("rejected");
    await l.apply(namedPort);
    await l.realized(namedPort);
    expect(
      await Promise.all([
        l.probe(client, webA.ip, 8080),
        l.probe(client, webB.ip, 80),
        l.probe(client, webA.ip, 8081),
      ]),
    ).toEqual(["connected", "connected", "dropped"]);
    const near = (await l.flows(webB.node, "IngressRule")).join("\n");
    const far = (await l.flows(webA.node, "IngressRule")).join("\n");
    expect(near).toMatch(/priority=200,tcp,tp_dst=80 actions=conjunction\(\d+,3\/3\)/);
    expect(near).not.toContain("tp_dst=8080");
    expect(far).toMatch(/priority=200,tcp,tp_dst=8080 actions=conjunction\(\d+,3\/3\)/);
    expect(far).toMatch(/priority=200,ip actions=conjunction\(\d+,1\/3\)/);
  });
});

describe("egress to an ipBlock with except", () => {
  it("reaches the block but not the excepted address", async () => {
    const l = lab!;
    const egress: Manifest = {
      apiVersion: "networking.k8s.io/v1",
      kind: "NetworkPolicy",
      metadata: { name: "client-egress", namespace: ns },
      spec: {
        podSelector: { matchLabels: { app: "client" } },
        policyTypes: ["Egress"],
        egress: [{ to: [{ ipBlock: { cidr: "10.244.0.0/16", except: [`${webA.ip}/32`] } }] }],
      },
    };
    try {
      await l.apply(egress);
      expect((await l.realized(egress)).span).toEqual([client.node]);
      expect(await Promise.all([l.probe(client, webA.ip, 8080), l.probe(client, webB.ip, 80)])).toEqual([
        "dropped",
        "connected",
      ]);
      const flows = await l.flows(client.node);
      const to = flows.filter((f) => f.includes("table=EgressRule") && f.includes("nw_dst="));
      expect(to.length).toBeGreaterThan(10);
      expect(to.some((f) => f.includes(`nw_dst=${webA.ip} `))).toBe(false);
      expect(
        flows.some(
          (f) =>
            f.includes("table=EgressDefaultRule") &&
            f.endsWith(`priority=200,ip,nw_src=${client.ip} actions=drop`),
        ),
      ).toBe(true);
    } finally {
      await l.remove(egress, namedPort);
    }
  });
});
