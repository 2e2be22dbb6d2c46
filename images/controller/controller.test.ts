// The controller in-process against a real API server: policies, Pods and groups are created through the API,
// the controlplane objects are read back from it, and fake agents report realization over HTTPS as agents do.
// Pods are bound to fake Node names and given an IP through the status subresource; no kubelet runs.
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../lab/control-plane/object.ts";
import { startTestCluster, type TestCluster } from "../../lab/control-plane/testing/test-cluster.ts";
import {
  type AddressGroup,
  type AppliedToGroup,
  type ControlplaneNetworkPolicy,
  nodeStatusPatch,
} from "../api/controlplane.ts";
import { type Controller, startController } from "./controller.ts";
import { stdoutLogger } from "./log.ts";
import { selectorGroupName } from "./networkpolicy/group-names.ts";
import { newGroupSelector } from "./networkpolicy/group-selector.ts";

let cluster: TestCluster;
let controller: Controller | undefined;
let agentApi: CustomObjectsApi;

beforeAll(async () => {
  cluster = await startTestCluster();
  controller = await startController({ kubeconfig: cluster.kubeconfigPath, log: stdoutLogger("warn") });
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  agentApi = kc.makeApiClient(CustomObjectsApi);
});

afterAll(async () => {
  await controller?.stop();
  await cluster?.close();
});

const client = (resource: string) => cluster.server.api.client(resource);
const policies = () => client("networkpolicies.controlplane.antrea.io");

/** Retries `probe` (which throws while its expectations fail) until it passes or the time is up. */
async function eventually<T>(probe: () => T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function namespace(name: string, labels: Record<string, string> = {}): void {
  client("namespaces").create({ apiVersion: "v1", kind: "Namespace", metadata: { name, labels } });
}

let nextIP = 1;
/** A Pod bound to `node` with a fresh 10.200.x.y address; returns the address. */
function pod(
  ns: string,
  name: string,
  node: string,
  labels: Record<string, string>,
  ports: { name: string; containerPort: number }[] = [],
): string {
  const ip = `10.200.${Math.floor(nextIP / 250)}.${(nextIP++ % 250) + 2}`;
  const pods = client("pods");
  pods.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: ns, labels },
    spec: { nodeName: node, containers: [{ name: "c", image: "agnhost", ports }] },
  });
  const created = pods.get(name, ns);
  pods.updateStatus({ ...created, status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } });
  return ip;
}

function k8sPolicy(ns: string, name: string, spec: Record<string, unknown>): KubeObject {
  return client("networkpolicies.networking.k8s.io").create({
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name, namespace: ns },
    spec,
  });
}

function acnp(name: string, spec: Record<string, unknown>): KubeObject {
  return client("clusternetworkpolicies.crd.antrea.io").create({
    apiVersion: "crd.antrea.io/v1beta1",
    kind: "ClusterNetworkPolicy",
    metadata: { name },
    spec,
  });
}

/** The published policy computed from `source` (found by its sourceRef, as the harness does). */
function published(source: KubeObject): ControlplaneNetworkPolicy {
  const found = policies().list({ fieldSelector: `sourceRef.uid=${source.metadata.uid ?? ""}` });
  expect(found).toHaveLength(1);
  return found[0] as unknown as ControlplaneNetworkPolicy;
}

function group(kind: "addressgroups" | "appliedtogroups", name: string): AddressGroup | AppliedToGroup {
  const g = client(`${kind}.controlplane.antrea.io`).find(name);
  expect(g, `${kind} ${name}`).toBeDefined();
  return g as unknown as AddressGroup;
}

const member = (ns: string, name: string, ip: string) => ({ pod: { name, namespace: ns }, ips: [ip] });
const rv = (o: { metadata: { resourceVersion?: string } }) => o.metadata.resourceVersion;

/** Reports realization of `policyName` on `nodeName` the way an agent does: a strategic merge patch of status. */
async function report(
  policyName: string,
  nodeName: string,
  generation: number,
  failure?: string,
): Promise<void> {
  await agentApi.patchClusterCustomObjectStatus(
    {
      group: "controlplane.antrea.io",
      version: "v1beta2",
      plural: "networkpolicies",
      name: policyName,
      body: nodeStatusPatch(
        failure
          ? { nodeName, generation, realizationFailure: true, message: failure }
          : { nodeName, generation },
      ),
    },
    setHeaderOptions("Content-Type", PatchStrategy.StrategicMergePatch),
  );
}

describe("K8s NetworkPolicy", () => {
  it("computes the seed policy nginx-allow with one shared group and its span", async () => {
    namespace("np-seed");
    const ip0 = pod("np-seed", "nginx-0", "node-a", { app: "nginx" });
    const ip1 = pod("np-seed", "nginx-1", "node-b", { app: "nginx" });
    pod("np-seed", "busybox", "node-c", { app: "busybox" });
    const np = k8sPolicy("np-seed", "nginx-allow", {
      podSelector: { matchLabels: { app: "nginx" } },
      ingress: [
        {
          from: [{ podSelector: { matchLabels: { app: "nginx" } } }],
          ports: [{ protocol: "TCP", port: 80 }],
        },
      ],
    });
    // uuid5 of "namespace=np-seed And podSelector=app=nginx": the same selector names both groups.
    const nginx = "b869159e-d1ae-5f6d-b0a8-c0137c99a09d";
    const cp = await eventually(() => {
      const p = published(np);
      expect(p.span).toEqual(["node-a", "node-b"]);
      return p;
    });
    expect(cp.metadata.name).toBe(np.metadata.uid);
    expect(cp).toMatchObject({
      appliedToGroups: [nginx],
      sourceRef: {
        type: "K8sNetworkPolicy",
        namespace: "np-seed",
        name: "nginx-allow",
        uid: np.metadata.uid,
      },
      rules: [
        {
          direction: "In",
          from: { addressGroups: [nginx] },
          to: {},
          services: [{ protocol: "TCP", port: 80 }],
          priority: -1,
          action: "Allow",
          enableLogging: false,
        },
      ],
    });
    expect(cp.priority).toBeUndefined();
    expect(cp.tierPriority).toBeUndefined();
    const members = [member("np-seed", "nginx-0", ip0), member("np-seed", "nginx-1", ip1)];
    expect(group("appliedtogroups", nginx)).toMatchObject({
      groupMembers: members,
      span: ["node-a", "node-b"],
    });
    expect(group("addressgroups", nginx)).toMatchObject({
      groupMembers: members,
      span: ["node-a", "node-b"],
    });
  });

  it("isolates without rules, keeps ipBlock excepts and port ranges, and logs per Namespace annotation", async () => {
    namespace("np-iso");
    pod("np-iso", "db", "node-a", { app: "db" });
    const deny = k8sPolicy("np-iso", "deny-ingress", { podSelector: {}, policyTypes: ["Ingress"] });
    const egress = k8sPolicy("np-iso", "egress", {
      podSelector: { matchLabels: { app: "db" } },
      policyTypes: ["Egress"],
      egress: [
        {
          to: [{ ipBlock: { cidr: "10.0.0.0/8", except: ["10.1.0.0/16"] } }],
          ports: [{ protocol: "UDP", port: 1000, endPort: 2000 }],
        },
      ],
    });
    await eventually(() => {
      expect(published(deny).rules).toEqual([{ direction: "In", from: {}, to: {}, enableLogging: false }]);
      expect(published(deny).span).toEqual(["node-a"]);
      expect(published(egress).rules).toEqual([
        {
          direction: "Out",
          from: {},
          to: {
            ipBlocks: [
              { cidr: { ip: "10.0.0.0", prefixLength: 8 }, except: [{ ip: "10.1.0.0", prefixLength: 16 }] },
            ],
          },
          services: [{ protocol: "UDP", port: 1000, endPort: 2000 }],
          priority: -1,
          action: "Allow",
          enableLogging: false,
        },
      ]);
    });
    client("namespaces").patch("np-iso", {
      metadata: { annotations: { "networkpolicy.antrea.io/enable-logging": "true" } },
    });
    await eventually(() => expect(published(egress).rules[0]?.enableLogging).toBe(true));
  });

  it("moves a Pod between AddressGroups on a label change, touching only those groups", async () => {
    namespace("np-move");
    pod("np-move", "web", "node-a", { app: "web" });
    const ipX = pod("np-move", "client-x", "node-b", { role: "a" });
    const ipY = pod("np-move", "client-y", "node-c", { role: "b" });
    const fromRole = (role: string) => ({
      podSelector: { matchLabels: { app: "web" } },
      ingress: [{ from: [{ podSelector: { matchLabels: { role } } }] }],
    });
    const npA = k8sPolicy("np-move", "from-a", fromRole("a"));
    const npB = k8sPolicy("np-move", "from-b", fromRole("b"));
    const web = "d41de56b-a911-5404-9d66-18857a590f08";
    const roleA = "1e5da4ec-f3ed-5e56-bda6-f74f908043bd";
    const roleB = "29270181-30f7-512a-a039-2998316ddad3";
    await eventually(() => {
      expect(published(npA).status?.phase).toBe("Realizing");
      expect(published(npB).status?.phase).toBe("Realizing");
      expect(group("addressgroups", roleA).groupMembers).toEqual([member("np-move", "client-x", ipX)]);
      expect(group("addressgroups", roleB).groupMembers).toEqual([member("np-move", "client-y", ipY)]);
      expect(group("appliedtogroups", web).span).toEqual(["node-a"]);
    });
    const versions = () =>
      new Map(
        ["networkpolicies", "addressgroups", "appliedtogroups"].flatMap((kind) =>
          client(`${kind}.controlplane.antrea.io`)
            .list()
            .map((o) => [`${kind}/${o.metadata.name}`, rv(o)] as const),
        ),
      );
    const changedSince = (before: Map<string, string | undefined>) =>
      [...versions()].filter(([k, v]) => before.get(k) !== v).map(([k]) => k);

    const before = versions();
    client("pods").patch("client-x", { metadata: { labels: { role: "b" } } }, { namespace: "np-move" });
    await eventually(() => {
      expect(group("addressgroups", roleA).groupMembers).toEqual([]);
      expect(group("addressgroups", roleB).groupMembers).toEqual([
        member("np-move", "client-x", ipX),
        member("np-move", "client-y", ipY),
      ]);
    });
    expect(changedSince(before).sort()).toEqual([`addressgroups/${roleA}`, `addressgroups/${roleB}`]);

    const beforeNew = versions();
    const ipZ = pod("np-move", "client-z", "node-d", { role: "a" });
    await eventually(() =>
      expect(group("addressgroups", roleA).groupMembers).toEqual([member("np-move", "client-z", ipZ)]),
    );
    expect(changedSince(beforeNew)).toEqual([`addressgroups/${roleA}`]);
    // An AddressGroup's span is that of the policies using it, not of its members.
    expect(group("addressgroups", roleA).span).toEqual(["node-a"]);
  });

  it("publishes named container ports so agents can resolve named policy ports", async () => {
    namespace("np-named");
    const ip = pod("np-named", "srv", "node-a", { app: "srv" }, [{ name: "http", containerPort: 8080 }]);
    const np = k8sPolicy("np-named", "named", {
      podSelector: { matchLabels: { app: "srv" } },
      ingress: [{ ports: [{ port: "http" }] }],
      egress: [{ ports: [{ port: "http" }] }],
    });
    const srvMember = {
      ...member("np-named", "srv", ip),
      ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    };
    const srv = selectorGroupName(newGroupSelector("np-named", { matchLabels: { app: "srv" } }, undefined));
    const allPods = "946d5846-ff34-5a8c-ab0b-2c6c271b0778"; // namespaceSelector= (every Pod of every Namespace)
    const anywhere = [{ cidr: { ip: "0.0.0.0", prefixLength: 0 } }, { cidr: { ip: "::", prefixLength: 0 } }];
    await eventually(() => {
      const rules = published(np).rules;
      expect(rules[0]).toMatchObject({
        direction: "In",
        from: { ipBlocks: anywhere },
        services: [{ port: "http" }],
      });
      expect(rules[0]?.from.addressGroups).toBeUndefined();
      expect(rules[1]).toMatchObject({
        direction: "Out",
        to: { ipBlocks: anywhere, addressGroups: [allPods] },
        services: [{ protocol: "TCP", port: "http" }],
      });
      expect(group("appliedtogroups", srv).groupMembers).toEqual([srvMember]);
      expect(group("addressgroups", allPods).groupMembers).toContainEqual(srvMember);
    });
  });

  it("garbage-collects groups nobody uses when policies are deleted", async () => {
    namespace("np-gc");
    pod("np-gc", "app", "node-a", { app: "x" });
    pod("np-gc", "peer", "node-b", { peer: "y" });
    const spec = (peer: Record<string, string>) => ({
      podSelector: { matchLabels: { app: "x" } },
      ingress: [{ from: [{ podSelector: { matchLabels: peer } }] }],
    });
    const one = k8sPolicy("np-gc", "one", spec({ peer: "y" }));
    const two = k8sPolicy("np-gc", "two", spec({ peer: "z" }));
    const name = (labels: Record<string, string>) =>
      selectorGroupName(newGroupSelector("np-gc", { matchLabels: labels }, undefined));
    const exists = (kind: string, n: string) =>
      client(`${kind}.controlplane.antrea.io`).find(n) !== undefined;
    await eventually(() => {
      expect(exists("networkpolicies", one.metadata.uid ?? "")).toBe(true);
      expect(exists("networkpolicies", two.metadata.uid ?? "")).toBe(true);
      expect(exists("addressgroups", name({ peer: "z" }))).toBe(true);
    });
    client("networkpolicies.networking.k8s.io").delete("one", "np-gc");
    await eventually(() => {
      expect(exists("networkpolicies", one.metadata.uid ?? "")).toBe(false);
      expect(exists("addressgroups", name({ peer: "y" }))).toBe(false);
    });
    expect(exists("appliedtogroups", name({ app: "x" }))).toBe(true); // still used by "two"
    expect(exists("addressgroups", name({ peer: "z" }))).toBe(true);
    client("networkpolicies.networking.k8s.io").delete("two", "np-gc");
    await eventually(() => {
      expect(exists("networkpolicies", two.metadata.uid ?? "")).toBe(false);
      expect(exists("appliedtogroups", name({ app: "x" }))).toBe(false);
      expect(exists("addressgroups", name({ peer: "z" }))).toBe(false);
    });
  });
});

describe("Antrea-native policies", () => {
  it("creates the static Tiers", async () => {
    await eventually(() => {
      const tiers = Object.fromEntries(
        client("tiers.crd.antrea.io")
          .list()
          .map((t) => [t.metadata.name, (t.spec as { priority: number }).priority]),
      );
      expect(tiers).toMatchObject({
        emergency: 50,
        securityops: 100,
        networkops: 150,
        platform: 200,
        application: 250,
        baseline: 253,
      });
    });
  });

  it("maps tiers, priorities and Drop/Reject/Pass/Allow actions to the policy and its rules", async () => {
    namespace("acnp", { test: "acnp" });
    pod("acnp", "a", "node-a", { app: "a" });
    pod("acnp", "b", "node-b", { app: "b" });
    client("tiers.crd.antrea.io").create({
      apiVersion: "crd.antrea.io/v1beta1",
      kind: "Tier",
      metadata: { name: "lab-tier" },
      spec: { priority: 20 },
    });
    const sec = acnp("acnp-sec", {
      tier: "SecurityOps",
      priority: 5,
      appliedTo: [
        { podSelector: { matchLabels: { app: "a" } }, namespaceSelector: { matchLabels: { test: "acnp" } } },
      ],
      ingress: [
        {
          name: "drop-b",
          action: "Drop",
          from: [{ podSelector: { matchLabels: { app: "b" } } }],
          ports: [{ port: 80 }],
        },
        { action: "Reject", from: [{ ipBlock: { cidr: "192.168.1.0/24" } }] },
        { action: "Pass", from: [{ namespaceSelector: { matchLabels: { test: "acnp" } } }] },
      ],
      egress: [{ action: "Allow", to: [{ podSelector: { matchLabels: { app: "b" } } }] }],
    });
    const user = acnp("acnp-user", {
      tier: "lab-tier",
      priority: 1.5,
      appliedTo: [{ podSelector: { matchLabels: { app: "b" } } }],
      ingress: [{ action: "Drop", from: [] }],
    });
    const annp = client("networkpolicies.crd.antrea.io").create({
      apiVersion: "crd.antrea.io/v1beta1",
      kind: "NetworkPolicy",
      metadata: { name: "annp", namespace: "acnp" },
      spec: {
        priority: 3,
        ingress: [
          {
            action: "Allow",
            appliedTo: [{ podSelector: { matchLabels: { app: "b" } } }],
            from: [{ podSelector: { matchLabels: { app: "a" } } }],
          },
        ],
      },
    });
    const appliedToA = "85b8d6c2-2a31-5c49-9fa3-492f3f07b418"; // namespaceSelector=test=acnp And podSelector=app=a
    const anyB = selectorGroupName(newGroupSelector("", { matchLabels: { app: "b" } }, undefined));
    const nsAcnp = selectorGroupName(newGroupSelector("", undefined, { matchLabels: { test: "acnp" } }));
    const cp = await eventually(() => {
      const p = published(sec);
      expect(p.span).toEqual(["node-a"]);
      return p;
    });
    expect(cp).toMatchObject({
      appliedToGroups: [appliedToA],
      priority: 5,
      tierPriority: 100,
      sourceRef: { type: "AntreaClusterNetworkPolicy", name: "acnp-sec", uid: sec.metadata.uid },
      rules: [
        {
          direction: "In",
          name: "drop-b",
          action: "Drop",
          priority: 0,
          from: { addressGroups: [anyB] },
          services: [{ protocol: "TCP", port: 80 }],
        },
        {
          direction: "In",
          action: "Reject",
          priority: 1,
          from: { ipBlocks: [{ cidr: { ip: "192.168.1.0", prefixLength: 24 } }] },
        },
        { direction: "In", action: "Pass", priority: 2, from: { addressGroups: [nsAcnp] } },
        {
          direction: "Out",
          action: "Allow",
          priority: 0,
          to: { addressGroups: [anyB] },
          enableLogging: false,
        },
      ],
    });
    expect(cp.sourceRef.namespace).toBeUndefined();
    expect(cp.rules[1]?.name).toMatch(/^ingress-reject-[0-9a-f]{7}$/);
    expect(cp.rules[0]?.appliedToGroups).toBeUndefined();
    // Selectors of cluster-scoped policies are not limited to a Namespace.
    expect(group("addressgroups", anyB).groupMembers.map((m) => m.pod?.name)).toEqual(["b"]);

    const userCp = await eventually(() => published(user));
    expect(userCp).toMatchObject({ tierPriority: 20, priority: 1.5 });
    const annpCp = await eventually(() => published(annp));
    const appliedToB = selectorGroupName(newGroupSelector("acnp", { matchLabels: { app: "b" } }, undefined));
    expect(annpCp).toMatchObject({
      tierPriority: 250,
      priority: 3,
      appliedToGroups: [appliedToB],
      span: ["node-b"],
      sourceRef: { type: "AntreaNetworkPolicy", namespace: "acnp", name: "annp", uid: annp.metadata.uid },
      rules: [
        {
          direction: "In",
          action: "Allow",
          appliedToGroups: [appliedToB],
          from: {
            addressGroups: [
              selectorGroupName(newGroupSelector("acnp", { matchLabels: { app: "a" } }, undefined)),
            ],
          },
        },
      ],
    });
    await eventually(() =>
      expect(client("networkpolicies.crd.antrea.io").get("annp", "acnp").status).toMatchObject({
        phase: "Realizing",
        observedGeneration: 1,
        currentNodesRealized: 0,
        desiredNodesRealized: 1,
      }),
    );
  });

  it("resolves ClusterGroups with childGroups into an AddressGroup plus the children's ipBlocks", async () => {
    namespace("cg", { test: "cg" });
    const ip1 = pod("cg", "one", "node-a", { app: "cg-a" });
    const policy = acnp("acnp-cg", {
      priority: 10,
      appliedTo: [{ group: "cg-pods" }],
      ingress: [{ action: "Allow", from: [{ group: "cg-parent" }] }],
    });
    // The groups come after the policy: it is recomputed when they appear.
    await eventually(() => {
      const p = published(policy);
      expect(p.appliedToGroups).toEqual([]);
      expect(p.rules[0]?.from).toEqual({});
    });
    const cg = (name: string, spec: Record<string, unknown>) =>
      client("clustergroups.crd.antrea.io").create({
        apiVersion: "crd.antrea.io/v1beta1",
        kind: "ClusterGroup",
        metadata: { name },
        spec,
      });
    cg("cg-pods", {
      podSelector: { matchLabels: { app: "cg-a" } },
      namespaceSelector: { matchLabels: { test: "cg" } },
    });
    cg("cg-net", { ipBlocks: [{ cidr: "172.16.0.0/16" }] });
    cg("cg-parent", { childGroups: ["cg-pods", "cg-net"] });
    await eventually(() => {
      const p = published(policy);
      expect(p.appliedToGroups).toEqual(["cg-pods"]);
      expect(p.rules[0]?.from).toEqual({
        addressGroups: ["cg-parent"],
        ipBlocks: [{ cidr: { ip: "172.16.0.0", prefixLength: 16 } }],
      });
      expect(p.span).toEqual(["node-a"]);
      expect(group("appliedtogroups", "cg-pods").groupMembers).toEqual([member("cg", "one", ip1)]);
      expect(group("addressgroups", "cg-parent").groupMembers).toEqual([member("cg", "one", ip1)]);
    });
    const ip2 = pod("cg", "two", "node-b", { app: "cg-a" });
    await eventually(() => {
      expect(group("addressgroups", "cg-parent").groupMembers).toEqual([
        member("cg", "one", ip1),
        member("cg", "two", ip2),
      ]);
      expect(published(policy).span).toEqual(["node-a", "node-b"]);
    });
    client("clustergroups.crd.antrea.io").patch("cg-net", {
      spec: { ipBlocks: [{ cidr: "172.17.0.0/16" }] },
    });
    await eventually(() =>
      expect(published(policy).rules[0]?.from.ipBlocks).toEqual([
        { cidr: { ip: "172.17.0.0", prefixLength: 16 } },
      ]),
    );
  });
  it("turns nodeSelector peers into AddressGroups of Node addresses", async () => {
    client("nodes").create({
      apiVersion: "v1",
      kind: "Node",
      metadata: { name: "lab-node-x", labels: { role: "lab-x" } },
      status: {
        addresses: [
          { type: "InternalIP", address: "172.18.0.9" },
          { type: "Hostname", address: "x" },
        ],
      },
    });
    const policy = acnp("acnp-nodes", {
      priority: 2,
      appliedTo: [{ podSelector: { matchLabels: { app: "nodes-x" } } }],
      egress: [{ action: "Allow", to: [{ nodeSelector: { matchLabels: { role: "lab-x" } } }] }],
    });
    const nodes = selectorGroupName({ nodeSelector: { matchLabels: { role: "lab-x" } } });
    await eventually(() => {
      expect(published(policy).rules[0]?.to).toEqual({ addressGroups: [nodes] });
      expect(group("addressgroups", nodes).groupMembers).toEqual([
        { node: { name: "lab-node-x" }, ips: ["172.18.0.9"] },
      ]);
    });
    client("nodes").patch("lab-node-x", { metadata: { labels: { role: "other" } } });
    await eventually(() => expect(group("addressgroups", nodes).groupMembers).toEqual([]));
  });
});

describe("realization status", () => {
  it("goes Realizing -> Realized as the agents of the span report the current generation", async () => {
    namespace("st", { test: "st" });
    pod("st", "p1", "node-1", { app: "st" });
    pod("st", "p2", "node-2", { app: "st" });
    const policy = acnp("acnp-status", {
      priority: 7,
      appliedTo: [
        { podSelector: { matchLabels: { app: "st" } }, namespaceSelector: { matchLabels: { test: "st" } } },
      ],
      ingress: [{ action: "Drop", from: [{ ipBlock: { cidr: "10.9.0.0/16" } }] }],
    });
    const acnpStatus = () =>
      client("clusternetworkpolicies.crd.antrea.io").get("acnp-status").status as Record<string, unknown>;
    const cp = await eventually(() => {
      expect(acnpStatus()).toMatchObject({
        phase: "Realizing",
        observedGeneration: 1,
        currentNodesRealized: 0,
        desiredNodesRealized: 2,
      });
      return published(policy);
    });
    const generation = cp.metadata.generation ?? 0;
    await report(cp.metadata.name, "node-1", generation);
    await report(cp.metadata.name, "node-9", generation); // not in the span: dropped by the controller
    await eventually(() => {
      expect(acnpStatus()).toMatchObject({
        phase: "Realizing",
        currentNodesRealized: 1,
        desiredNodesRealized: 2,
      });
      expect(published(policy).status?.nodes?.map((n) => n.nodeName)).toEqual(["node-1"]);
    });
    await report(cp.metadata.name, "node-2", generation);
    await eventually(() => {
      expect(acnpStatus()).toMatchObject({
        phase: "Realized",
        currentNodesRealized: 2,
        desiredNodesRealized: 2,
      });
      expect(published(policy).status).toMatchObject({
        phase: "Realized",
        observedGeneration: 1,
        currentNodesRealized: 2,
        desiredNodesRealized: 2,
      });
    });
    expect((acnpStatus().conditions as { type: string }[]).map((c) => c.type)).toEqual(["Realizable"]);

    // A new generation needs new reports.
    client("clusternetworkpolicies.crd.antrea.io").patch("acnp-status", { spec: { priority: 8 } });
    const next = await eventually(() => {
      expect(acnpStatus()).toMatchObject({
        phase: "Realizing",
        observedGeneration: 2,
        currentNodesRealized: 0,
      });
      const p = published(policy);
      expect(p.priority).toBe(8);
      return p;
    });
    const nextGeneration = next.metadata.generation ?? 0;
    expect(nextGeneration).toBeGreaterThan(generation);
    await report(cp.metadata.name, "node-1", nextGeneration, "cannot install flows");
    await report(cp.metadata.name, "node-2", nextGeneration);
    await eventually(() => {
      const s = acnpStatus();
      expect(s).toMatchObject({ phase: "Failed", currentNodesRealized: 1, desiredNodesRealized: 2 });
      expect(s.conditions).toContainEqual(
        expect.objectContaining({
          type: "RealizationFailure",
          message: 'Failed Nodes count 1: "node-1":"cannot install flows"',
        }),
      );
    });
    await report(cp.metadata.name, "node-1", nextGeneration);
    await eventually(() =>
      expect(acnpStatus()).toMatchObject({ phase: "Realized", currentNodesRealized: 2 }),
    );
  });

  it("exposes K8s NetworkPolicy realization on the controlplane object; an empty span is Realized 0/0", async () => {
    namespace("st-k8s");
    pod("st-k8s", "p", "node-1", { app: "p" });
    const some = k8sPolicy("st-k8s", "some", { podSelector: { matchLabels: { app: "p" } } });
    const none = k8sPolicy("st-k8s", "none", { podSelector: { matchLabels: { app: "nobody" } } });
    await eventually(() => {
      expect(published(none).status).toMatchObject({
        phase: "Realized",
        currentNodesRealized: 0,
        desiredNodesRealized: 0,
      });
      expect(published(some).status).toMatchObject({
        phase: "Realizing",
        observedGeneration: 1,
        desiredNodesRealized: 1,
      });
    });
    const cp = published(some);
    await report(cp.metadata.name, "node-1", cp.metadata.generation ?? 0);
    await eventually(() =>
      expect(published(some).status).toMatchObject({
        phase: "Realized",
        currentNodesRealized: 1,
        desiredNodesRealized: 1,
      }),
    );
  });
});

describe("kubectl", () => {
  it("lists the controlplane kinds with Antrea's columns", async () => {
    namespace("kc");
    pod("kc", "web", "node-k", { app: "kc-web" });
    const np = k8sPolicy("kc", "kc-web", { podSelector: { matchLabels: { app: "kc-web" } } });
    const atg = selectorGroupName(newGroupSelector("kc", { matchLabels: { app: "kc-web" } }, undefined));
    await eventually(() => expect(published(np).status?.phase).toBe("Realizing"));

    const nps = await cluster.kubectl([
      "get",
      "networkpolicies.controlplane.antrea.io",
      "--field-selector",
      "sourceRef.namespace=kc,sourceRef.name=kc-web",
      "-o",
      "wide",
    ]);
    expect(nps.stderr).toBe("");
    const [header, row, ...rest] = nps.stdout.trim().split("\n");
    expect(header?.split(/\s+/)).toEqual([
      "NAME",
      "SOURCE",
      "RULES",
      "APPLIED-TO",
      "TIER-PRIORITY",
      "PRIORITY",
      "PHASE",
      "NODES-REALIZED",
      "SPAN",
      "AGE",
    ]);
    expect(rest).toEqual([]);
    expect(row).toMatch(
      new RegExp(
        `^${np.metadata.uid}\\s+K8sNetworkPolicy:kc/kc-web\\s+1\\s+${atg}\\s+Realizing\\s+0/1\\s+node-k\\s`,
      ),
    );

    const atgs = await cluster.kubectl(["get", "appliedtogroups.controlplane.antrea.io", atg]);
    expect(atgs.stdout).toMatch(/^NAME\s+PODS\s+AGE\n/);
    expect(atgs.stdout).toContain("kc/web");
    const ags = await cluster.kubectl(["get", "addressgroups.controlplane.antrea.io"]);
    expect(ags.stdout).toMatch(/^NAME\s+POD-IPS\s+NODE-IPS\s+AGE\n/);
  });
});

describe("restart", () => {
  it("adopts the published objects without rewriting them and removes those of policies deleted meanwhile", async () => {
    namespace("rs");
    pod("rs", "p", "node-r", { app: "rs" });
    const keep = k8sPolicy("rs", "keep", { podSelector: { matchLabels: { app: "rs" } } });
    const gone = k8sPolicy("rs", "gone", {
      podSelector: { matchLabels: { app: "rs" } },
      policyTypes: ["Egress"],
    });
    await eventually(() => {
      expect(published(keep).status?.phase).toBe("Realizing");
      expect(published(gone).status?.phase).toBe("Realizing");
    });
    const resources = ["networkpolicies", "addressgroups", "appliedtogroups"].map(
      (r) => `${r}.controlplane.antrea.io`,
    );
    const versions = () =>
      new Map<string, string | undefined>(
        [...resources, "clusternetworkpolicies.crd.antrea.io", "networkpolicies.crd.antrea.io"].flatMap((r) =>
          client(r)
            .list()
            .map((o) => [`${r}/${o.metadata.namespace ?? ""}/${o.metadata.name}`, rv(o)] as const),
        ),
      );
    await controller?.stop();
    controller = undefined;
    client("networkpolicies.networking.k8s.io").delete("gone", "rs");
    const before = versions();
    controller = await startController({ kubeconfig: cluster.kubeconfigPath, log: stdoutLogger("warn") });
    const goneKey = `networkpolicies.controlplane.antrea.io//${gone.metadata.uid ?? ""}`;
    expect(before.has(goneKey)).toBe(true);
    await eventually(() => expect(policies().find(gone.metadata.uid ?? "")).toBeUndefined());
    // Let the new controller settle, then nothing else may have been written.
    await new Promise((r) => setTimeout(r, 300));
    const after = versions();
    const changed = [...before].filter(([k, v]) => after.get(k) !== v).map(([k]) => k);
    expect(changed).toEqual([goneKey]);
    expect(after.size).toBe(before.size - 1);
  });
});
