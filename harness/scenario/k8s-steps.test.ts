// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario reference syntax under test
// apply, wait, delete, references and cleanup against the project's real Kubernetes API server (no kubelet: the
// test plays the controllers by writing status, while the wait step polls).
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CustomObjectsApi } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../../lab/control-plane/testing/test-cluster.ts";
import { NetnsProvider } from "../../lab/netns/provider.ts";
import { parseTopology } from "../../lab/topology/load.ts";
import { resolveTopology } from "../../lab/topology/resolve.ts";
import type { ArtifactSink } from "./artifacts.ts";
import { Kube } from "./kube.ts";
import { LabContext, NAMESPACE_LABEL, SCENARIO_LABEL } from "./lab-context.ts";
import { stepKind } from "./steps/index.ts";
import { StepFailure } from "./steps/step-kind.ts";

let cluster: TestCluster;
let kube: Kube;
const dir = mkdtempSync(join(tmpdir(), "ovslab-k8s-steps-"));
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
});
afterAll(async () => {
  await cluster?.close();
  rmSync(dir, { recursive: true, force: true });
});

function context(name: string, namespaces: string[]): LabContext {
  const { spec } = parseTopology(
    "inline.yaml",
    "name: k8s\ntopology:\n  nodes:\n    n1: { role: control-plane }\n",
  );
  const topology = resolveTopology(spec, { underlay: "172.31.0.0/24" });
  return new LabContext(
    {
      provider: new NetnsProvider(),
      name: "k8s",
      status: { name: "k8s", provider: "netns", topology, hosts: [], kubeconfig: cluster.kubeconfigPath },
    },
    { name, file: join(dir, `${name}.yaml`), dir, namespaces },
    sink,
  );
}

/** Validates `body` with the kind's schema (as the loader does) and runs it. */
async function step(ctx: LabContext, kind: string, body: unknown, timeoutMs = 5000): Promise<void> {
  const k = stepKind(kind)!;
  const parsed = k.schema.parse(body);
  const ms = parsed.timeout ?? timeoutMs;
  await k.run(parsed, ctx, {
    timeoutMs: ms,
    deadline: Date.now() + ms,
    signal: new AbortController().signal,
  });
}

async function failure(p: Promise<void>): Promise<StepFailure> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StepFailure);
  return err as StepFailure;
}

const ACNP = { group: "crd.antrea.io", version: "v1beta1", plural: "clusternetworkpolicies" };

describe("Kubernetes steps", () => {
  it("applies into the scenario's own namespaces, resolves references, and cleans up namespaces and cluster objects", async () => {
    writeFileSync(
      join(dir, "objects.yaml"),
      [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: { name: settings }",
        "data: { colour: blue }",
        "---",
        "apiVersion: v1",
        "kind: Service",
        "metadata: { name: web, namespace: y }",
        "spec: { selector: { app: web }, ports: [{ port: 80 }] }",
        "---",
        "apiVersion: crd.antrea.io/v1beta1",
        "kind: ClusterNetworkPolicy",
        "metadata: { name: k8s-steps-acnp }",
        "spec: { priority: 5, appliedTo: [{ podSelector: {} }], ingress: [{ action: Drop, from: [{ podSelector: {} }] }] }",
        "",
      ].join("\n"),
    );
    const ctx = context("apply-cleanup", ["x", "y"]);
    await step(ctx, "apply", { file: "objects.yaml" });
    const x = ctx.namespace("x");
    const y = ctx.namespace("y");
    expect(x).toMatch(/^x-[a-z0-9]{5}$/);
    expect(y).toBe(`y-${x.slice(2)}`);
    expect(ctx.namespace("kube-system")).toBe("kube-system");
    const ns = await kube.core.readNamespace({ name: y });
    expect(ns.metadata?.labels).toMatchObject({ [SCENARIO_LABEL]: "apply-cleanup", [NAMESPACE_LABEL]: "y" });
    expect((await kube.core.readNamespacedConfigMap({ name: "settings", namespace: x })).data).toEqual({
      colour: "blue",
    });
    const clusterIP = (await kube.core.readNamespacedService({ name: "web", namespace: y })).spec?.clusterIP;
    expect(await ctx.resolve("${service/y/web.clusterIP}:80 in ${namespace/y.name}")).toBe(
      `${clusterIP}:80 in ${y}`,
    );
    expect(await ctx.address("service/y/web")).toBe(clusterIP);
    expect(attachments.map((a) => a.name)).toEqual(
      expect.arrayContaining([
        "ConfigMap-settings.yaml",
        "Service-web.yaml",
        "ClusterNetworkPolicy-k8s-steps-acnp.yaml",
      ]),
    );

    await step(ctx, "wait", {
      for: "field",
      resource: "cm/settings",
      field: "{.data.colour}",
      value: "blue",
    });
    const missing = await failure(step(ctx, "wait", { for: "ready", resource: "pod/x/nope", timeout: "1s" }));
    expect(missing.message).toContain(`timed out after`);
    expect(missing.message).toContain(`waiting for Pod ${x}/nope to be ready`);
    expect(missing.message).toContain("seen:     not found");
    expect(missing.message).toContain(
      `reproduce: kubectl --kubeconfig ${cluster.kubeconfigPath} get pod nope -n ${x} -o yaml`,
    );

    await ctx.cleanup(20_000);
    for (const name of [x, y])
      await expect(kube.core.readNamespace({ name })).rejects.toMatchObject({ code: 404 });
    const custom = kube.kc.makeApiClient(CustomObjectsApi);
    await expect(custom.getClusterCustomObject({ ...ACNP, name: "k8s-steps-acnp" })).rejects.toMatchObject({
      code: 404,
    });
  });

  it("waits by polling until status changes (ready, condition, policyRealized), and deletes by selector", async () => {
    const ctx = context("wait-poll", ["x"]);
    const pod = (name: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: { app: "web" } },
      spec: { containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.40" }] },
    });
    await step(ctx, "apply", { manifests: [pod("web-1"), pod("web-2")] });
    const x = ctx.namespace("x");
    const markReady = async (name: string) => {
      const live = await kube.core.readNamespacedPod({ name, namespace: x });
      await kube.core.replaceNamespacedPodStatus({
        name,
        namespace: x,
        body: {
          ...live,
          status: {
            phase: "Running",
            podIP: name === "web-1" ? "10.244.1.7" : "10.244.1.8",
            conditions: [{ type: "Ready", status: "True" }],
          },
        },
      });
    };
    // The wait starts before the status is written and must see the change.
    const waiting = step(ctx, "wait", { for: "ready", selector: "app=web", count: 2 });
    await new Promise((r) => setTimeout(r, 300));
    await markReady("web-1");
    await markReady("web-2");
    await waiting;
    await step(ctx, "wait", { for: "condition", resource: "pod/web-1", condition: "Ready" });
    expect(await ctx.resolve("${pod/web-1.ip} ${pod/x/web-2.ip}")).toBe("10.244.1.7 10.244.1.8");

    const custom = kube.kc.makeApiClient(CustomObjectsApi);
    await step(ctx, "apply", {
      manifest: {
        apiVersion: "crd.antrea.io/v1beta1",
        kind: "ClusterNetworkPolicy",
        metadata: { name: "wait-poll-acnp" },
        spec: {
          priority: 1,
          appliedTo: [{ podSelector: {} }],
          ingress: [{ action: "Drop", from: [{ podSelector: {} }] }],
        },
      },
    });
    const notRealized = await failure(
      step(ctx, "wait", { for: "policyRealized", resource: "acnp/wait-poll-acnp", timeout: "1s" }),
    );
    expect(notRealized.message).toContain("seen:     wait-poll-acnp: phase (none)");
    const live = (await custom.getClusterCustomObject({ ...ACNP, name: "wait-poll-acnp" })) as Record<
      string,
      unknown
    >;
    await custom.replaceClusterCustomObjectStatus({
      ...ACNP,
      name: "wait-poll-acnp",
      body: {
        ...live,
        status: {
          phase: "Realized",
          observedGeneration: (live.metadata as { generation?: number }).generation,
          currentNodesRealized: 2,
          desiredNodesRealized: 2,
        },
      },
    });
    await step(ctx, "wait", { for: "policyRealized", resource: "acnp/wait-poll-acnp" });

    await step(ctx, "delete", { resource: "pod", selector: "app=web" });
    await step(ctx, "wait", { for: "deleted", selector: "app=web" });
    const gone = await failure(step(ctx, "delete", { resource: "pod/web-1" }));
    expect(gone.message).toContain("seen:     not found");
    await step(ctx, "delete", { resource: "pod/web-1", ignoreNotFound: true });
    await ctx.cleanup(20_000);
    await expect(custom.getClusterCustomObject({ ...ACNP, name: "wait-poll-acnp" })).rejects.toMatchObject({
      code: 404,
    });
  });

  it("fails apply with the API server's own validation message and a kubectl command to retry", async () => {
    const ctx = context("apply-invalid", ["x"]);
    const err = await failure(
      step(ctx, "apply", {
        manifest: { apiVersion: "v1", kind: "Pod", metadata: { name: "bad" }, spec: { containers: [] } },
      }),
    );
    expect(err.message).toMatch(
      /^apply Pod bad failed\n {2}expected: the API server accepts the object\n {2}seen: {5}.*is invalid: spec\.containers/,
    );
    expect(err.message).toContain(
      `reproduce: kubectl --kubeconfig ${cluster.kubeconfigPath} apply --server-side`,
    );
    await ctx.cleanup(20_000);
    await expect(kube.core.readNamespace({ name: ctx.namespace("x") })).rejects.toMatchObject({ code: 404 });
  });

  it("does nothing at cleanup when no step used the API, and says so when the lab has no API", async () => {
    const ctx = context("no-api", ["x"]);
    await ctx.cleanup(1000);
    expect(ctx.usesKubernetes).toBe(false);
    const bare = new LabContext(
      { ...ctx.lab, status: { ...ctx.lab.status, kubeconfig: undefined } },
      ctx.scenario,
      sink,
    );
    await expect(bare.resolve("${pod/a.ip}")).rejects.toThrow("lab k8s runs no Kubernetes API");
    await bare.cleanup(1000);
  });
});
