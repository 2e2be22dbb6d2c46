// @kubernetes/client-node 1.4.0 against the embedded API server: typed CoreV1Api calls, CustomObjectsApi, and
// informers (list + watch from the list's resourceVersion) for Pods and for a CRD kind.
import {
  ADD,
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  DELETE,
  KubeConfig,
  type KubernetesObject,
  makeInformer,
  UPDATE,
  type V1Pod,
  Watch,
} from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../testing/test-cluster.ts";

let c: TestCluster;
let kc: KubeConfig;

beforeAll(async () => {
  c = await startTestCluster();
  kc = new KubeConfig();
  kc.loadFromFile(c.kubeconfigPath);
});

afterAll(async () => {
  await c?.close();
});

const TF = { group: "crd.antrea.io", version: "v1beta1", plural: "traceflows" };

function pod(name: string): V1Pod {
  return {
    metadata: { name, labels: { app: "demo" } },
    spec: { containers: [{ name: "c", image: "busybox" }] },
  };
}

/** Records informer events as `verb name` strings and lets a test wait for one. */
function recorder() {
  const seen: string[] = [];
  const waiters: (() => void)[] = [];
  return {
    seen,
    record: (verb: string) => (o: KubernetesObject) => {
      seen.push(`${verb} ${o.metadata?.name}`);
      for (const w of waiters.splice(0)) w();
    },
    until: (entry: string, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${entry}" in [${seen.join(", ")}]`)), timeoutMs);
        const check = () => {
          if (seen.includes(entry)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      }),
  };
}

describe("@kubernetes/client-node against the embedded API server", () => {
  it("lists, creates and deletes Pods with CoreV1Api, and reports errors as ApiException", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const created = await core.createNamespacedPod({ namespace: "default", body: pod("cn-1") });
    expect(created.metadata?.uid).toBeTruthy();
    expect(created.status?.phase).toBe("Pending");
    const list = await core.listNamespacedPod({ namespace: "default", labelSelector: "app in (demo)" });
    expect(list.items.map((p) => p.metadata?.name)).toEqual(["cn-1"]);
    expect(Number(list.metadata?.resourceVersion)).toBeGreaterThan(0);
    const err = await core
      .createNamespacedPod({ namespace: "default", body: pod("cn-1") })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiException);
    expect((err as ApiException<string>).code).toBe(409);
    expect(JSON.parse((err as ApiException<string>).body).reason).toBe("AlreadyExists");
    await core.deleteNamespacedPod({ name: "cn-1", namespace: "default" });
    const gone = await core
      .readNamespacedPod({ name: "cn-1", namespace: "default" })
      .catch((e: unknown) => e);
    expect((gone as ApiException<string>).code).toBe(404);
  });

  it("keeps a Pod informer in step with adds, updates and deletes", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespacedPod({ namespace: "default", body: pod("before-start") });
    const informer = makeInformer(kc, "/api/v1/namespaces/default/pods", () =>
      core.listNamespacedPod({ namespace: "default" }),
    );
    const r = recorder();
    informer.on(ADD, r.record("add"));
    informer.on(UPDATE, r.record("update"));
    informer.on(DELETE, r.record("delete"));
    await informer.start();
    try {
      await r.until("add before-start");
      await core.createNamespacedPod({ namespace: "default", body: pod("inf-1") });
      await r.until("add inf-1");
      const live = await core.readNamespacedPod({ name: "inf-1", namespace: "default" });
      await core.replaceNamespacedPod({
        name: "inf-1",
        namespace: "default",
        body: { ...live, metadata: { ...live.metadata, labels: { app: "demo", changed: "yes" } } },
      });
      await r.until("update inf-1");
      await core.deleteNamespacedPod({ name: "inf-1", namespace: "default" });
      await r.until("delete inf-1");
      expect(informer.list("default").map((p) => p.metadata?.name)).toEqual(["before-start"]);
    } finally {
      await informer.stop();
    }
  });

  it("keeps a Traceflow (CRD) informer in step through CustomObjectsApi", async () => {
    const custom = kc.makeApiClient(CustomObjectsApi);
    const informer = makeInformer<KubernetesObject>(kc, "/apis/crd.antrea.io/v1beta1/traceflows", () =>
      custom.listClusterCustomObject(TF),
    );
    const r = recorder();
    informer.on(ADD, r.record("add"));
    informer.on(UPDATE, r.record("update"));
    informer.on(DELETE, r.record("delete"));
    await informer.start();
    try {
      await custom.createClusterCustomObject({
        ...TF,
        body: {
          apiVersion: "crd.antrea.io/v1beta1",
          kind: "Traceflow",
          metadata: { name: "tf-a" },
          // Live traffic: a non-live trace needs an existing source Pod (Antrea's admission check).
          spec: {
            source: { namespace: "default", pod: "a" },
            destination: { namespace: "default", pod: "b" },
            liveTraffic: true,
          },
        },
      });
      await r.until("add tf-a");
      const live = await custom.getClusterCustomObject({ ...TF, name: "tf-a" });
      await custom.replaceClusterCustomObjectStatus({
        ...TF,
        name: "tf-a",
        body: { ...live, status: { phase: "Running", dataplaneTag: 7 } },
      });
      await r.until("update tf-a");
      expect((informer.get("tf-a") as { status?: { phase?: string } }).status?.phase).toBe("Running");
      await custom.deleteClusterCustomObject({ ...TF, name: "tf-a" });
      await r.until("delete tf-a");
      expect(informer.list()).toEqual([]);
    } finally {
      await informer.stop();
    }
  });

  it("replays a watch from a resourceVersion and ends it after timeoutSeconds", async () => {
    const core = kc.makeApiClient(CoreV1Api);
    const rv = (await core.listNamespacedConfigMap({ namespace: "default" })).metadata?.resourceVersion ?? "";
    await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "missed" } } });
    const events: string[] = [];
    const started = Date.now();
    const ended = await new Promise<unknown>((resolve) => {
      void new Watch(kc).watch(
        "/api/v1/namespaces/default/configmaps",
        { resourceVersion: rv, timeoutSeconds: 1 },
        (type, o: KubernetesObject) => events.push(`${type} ${o.metadata?.name}`),
        resolve,
      );
    });
    expect(ended).toBeNull();
    expect(events).toEqual(["ADDED missed"]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it("rejects a client without the token", async () => {
    const anon = new KubeConfig();
    anon.loadFromFile(c.kubeconfigPath);
    const user = anon.getCurrentUser();
    if (user) Object.assign(user, { token: "wrong" });
    const err = await anon
      .makeApiClient(CoreV1Api)
      .listNamespace()
      .catch((e: unknown) => e);
    expect((err as ApiException<string>).code).toBe(401);
  });
});
