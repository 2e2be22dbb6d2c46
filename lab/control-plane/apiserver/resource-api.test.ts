// Admission, status-subresource rules, deletion semantics and watch selection through the in-process API
// (the same code path the HTTP handlers use).
import { describe, expect, it } from "vitest";
import { ApiError, type StatusCause } from "../errors.ts";
import type { KubeObject } from "../object.ts";
import { ResourceRegistry } from "../resources/registry.ts";
import { Store } from "../storage/store.ts";
import { startGarbageCollector } from "./garbage-collector.ts";
import { namespaceHeld, startNamespaceFinalizer } from "./namespace-lifecycle.ts";
import { ResourceApi, type WatchEvent } from "./resource-api.ts";

function newApi(): ResourceApi {
  const api = new ResourceApi(new Store({ holdsObject: namespaceHeld }), new ResourceRegistry(), {
    serviceCIDR: "10.96.0.0/28",
  });
  startGarbageCollector(api);
  startNamespaceFinalizer(api);
  api.client("namespaces").create({ metadata: { name: "default" } });
  return api;
}

function failure(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err;
    throw err;
  }
  throw new Error("expected an ApiError");
}

function causes(fn: () => unknown): StatusCause[] {
  const err = failure(fn);
  expect(err.code).toBe(422);
  return err.details?.causes ?? [];
}

interface Svc extends KubeObject {
  spec: { clusterIP?: string; ports: { port: number; nodePort?: number }[]; [field: string]: unknown };
}

const svc = (name: string, spec: Record<string, unknown> = {}): Svc => ({
  metadata: { name, namespace: "default" },
  spec: { ports: [{ port: 80 }], ...spec },
});

describe("admission", () => {
  it("allocates ClusterIPs from the service CIDR and rejects foreign or taken ones", () => {
    const services = newApi().client<Svc>("services");
    const a = services.create(svc("a"));
    expect(a.spec.clusterIP).toBe("10.96.0.1");
    expect(a.spec).toMatchObject({
      type: "ClusterIP",
      clusterIPs: ["10.96.0.1"],
      ports: [{ port: 80, protocol: "TCP", targetPort: 80 }],
    });
    expect(services.create(svc("b")).spec.clusterIP).toBe("10.96.0.2");
    expect(services.create(svc("h", { clusterIP: "None" })).spec.clusterIP).toBe("None");
    expect(causes(() => services.create(svc("out", { clusterIP: "10.97.0.1" })))[0]?.field).toBe(
      "spec.clusterIPs",
    );
    const taken = failure(() => services.create(svc("dup", { clusterIP: "10.96.0.2" })));
    expect(taken.message).toContain("provided IP is already allocated");
    expect(services.create(svc("np", { type: "NodePort" })).spec.ports[0]?.nodePort).toBe(30000);
    // An update that leaves clusterIP out keeps it; changing it is refused.
    const live = services.get("a", "default");
    const kept = services.update({ ...live, spec: { ports: [{ port: 81 }] } });
    expect(kept.spec.clusterIP).toBe("10.96.0.1");
    expect(
      causes(() =>
        services.update({
          ...live,
          metadata: { ...live.metadata, resourceVersion: undefined },
          spec: { ports: [{ port: 80 }], clusterIP: "10.96.0.9" },
        }),
      )[0]?.field,
    ).toBe("spec.clusterIPs[0]");
  });

  it("validates Pods, names and Deployments with Kubernetes field paths", () => {
    const api = newApi();
    const pods = api.client("pods");
    expect(causes(() => pods.create({ metadata: { name: "p", namespace: "default" }, spec: {} }))).toEqual([
      { reason: "FieldValueRequired", message: "Required value", field: "spec.containers" },
    ]);
    const named = causes(() =>
      pods.create({
        metadata: { name: "Bad_Name", namespace: "default" },
        spec: { containers: [{ name: "c", image: "i" }] },
      }),
    );
    expect(named.map((c) => c.field)).toEqual(["metadata.name"]);
    const dup = causes(() =>
      pods.create({
        metadata: { name: "p", namespace: "default" },
        spec: { containers: [{ name: "c", image: "i" }, { name: "c" }] },
      }),
    );
    expect(dup.map((c) => c.field)).toEqual(["spec.containers[1].name", "spec.containers[1].image"]);
    const deploy = causes(() =>
      api.client("deployments").create({
        metadata: { name: "d", namespace: "default" },
        spec: {
          selector: { matchLabels: { app: "x" } },
          template: { metadata: { labels: { app: "y" } }, spec: { containers: [{ name: "c", image: "i" }] } },
        },
      }),
    );
    expect(deploy.map((c) => c.field)).toEqual(["spec.template.metadata.labels"]);
    expect(failure(() => pods.create({ metadata: { name: "p", namespace: "nowhere" }, spec: {} })).code).toBe(
      404,
    );
  });

  it("checks Antrea policies: CIDRs, tiers and port ranges", () => {
    const api = newApi();
    const acnp = api.client("acnp");
    const policy = (rule: Record<string, unknown>, tier = "securityops"): KubeObject => ({
      metadata: { name: "p" },
      spec: { priority: 5, tier, appliedTo: [{ podSelector: {} }], ingress: [{ action: "Allow", ...rule }] },
    });
    const fields = causes(() =>
      acnp.create(
        policy(
          {
            from: [{ ipBlock: { cidr: "10.0.0.0/33" } }],
            ports: [{ protocol: "TCP", port: 8080, endPort: 80 }],
          },
          "gold",
        ),
      ),
    ).map((c) => c.field);
    expect(fields).toEqual([
      "spec.tier",
      "spec.ingress[0].ports[0].endPort",
      "spec.ingress[0].from[0].ipBlock.cidr",
    ]);
    expect(
      acnp.create(policy({ ports: [{ protocol: "TCP", port: 80, endPort: 90 }] })).metadata.uid,
    ).toBeTruthy();
    api.client("tiers").create({ metadata: { name: "gold" }, spec: { priority: 10 } });
    expect(acnp.create({ ...policy({}, "gold"), metadata: { name: "q" } }).metadata.name).toBe("q");
    expect(
      causes(() => api.client("tiers").create({ metadata: { name: "silver" }, spec: { priority: 10 } }))[0]
        ?.field,
    ).toBe("spec.priority");
    const anp = causes(() =>
      api.client("anp").create({
        metadata: { name: "n", namespace: "default" },
        spec: { priority: 1, egress: [{ action: "Forward" }] },
      }),
    ).map((c) => c.field);
    expect(anp).toEqual(["spec.egress[0].action", "spec.egress[0].appliedTo"]);
  });

  it("checks Egress and ExternalIPPool basics", () => {
    const api = newApi();
    expect(
      causes(() =>
        api
          .client("egresses")
          .create({ metadata: { name: "e" }, spec: { appliedTo: {}, egressIP: "1.2.3" } }),
      )[0]?.field,
    ).toBe("spec.egressIP");
    const pool = causes(() =>
      api.client("eip").create({
        metadata: { name: "pool" },
        spec: { ipRanges: [{ start: "10.0.0.9", end: "10.0.0.1" }, { cidr: "bad" }] },
      }),
    ).map((c) => c.field);
    expect(pool).toEqual(["spec.ipRanges[0].end", "spec.ipRanges[1].cidr", "spec.nodeSelector"]);
    expect(
      api
        .client("eip")
        .create({ metadata: { name: "ok" }, spec: { ipRanges: [{ cidr: "10.0.0.0/30" }], nodeSelector: {} } })
        .metadata.name,
    ).toBe("ok");
  });

  it("defaults: namespace name label, Secret stringData folded into data", () => {
    const api = newApi();
    expect(api.client("namespaces").get("default").metadata.labels).toEqual({
      "kubernetes.io/metadata.name": "default",
    });
    const s = api
      .client("secrets")
      .create({ metadata: { name: "s", namespace: "default" }, stringData: { pw: "hunter2" } });
    expect(s).toMatchObject({ type: "Opaque", data: { pw: Buffer.from("hunter2").toString("base64") } });
    expect(s.stringData).toBeUndefined();
  });
});

describe("status subresource", () => {
  it("ignores status on main writes and everything but status on /status writes", () => {
    const pods = newApi().client("pods");
    const p = pods.create({
      metadata: { name: "p", namespace: "default" },
      spec: { containers: [{ name: "c", image: "i" }] },
      status: { phase: "Running" },
    });
    expect(p.status).toEqual({ phase: "Pending" });
    const s = pods.updateStatus({
      ...p,
      metadata: { ...p.metadata, labels: { ignored: "yes" } },
      status: { phase: "Running" },
    });
    expect(s.status).toEqual({ phase: "Running" });
    expect(s.metadata.labels).toBeUndefined();
    const m = pods.update({
      ...s,
      metadata: { ...s.metadata, labels: { a: "b" } },
      status: { phase: "Failed" },
    });
    expect(m.status).toEqual({ phase: "Running" });
    expect(m.metadata.labels).toEqual({ a: "b" });
  });
});

describe("deletion", () => {
  it("cascades to dependents in the background and strips owner references on Orphan", () => {
    const api = newApi();
    const cms = api.client("configmaps");
    const owner = cms.create({ metadata: { name: "owner", namespace: "default" } });
    const ref = [{ apiVersion: "v1", kind: "ConfigMap", name: "owner", uid: owner.metadata.uid ?? "" }];
    cms.create({ metadata: { name: "child", namespace: "default", ownerReferences: ref } });
    cms.delete("owner", "default");
    expect(cms.find("child", "default")).toBeUndefined();

    const owner2 = cms.create({ metadata: { name: "owner2", namespace: "default" } });
    cms.create({
      metadata: {
        name: "orphan",
        namespace: "default",
        ownerReferences: [{ ...ref[0], name: "owner2", uid: owner2.metadata.uid ?? "" }] as never,
      },
    });
    cms.delete("owner2", "default", { propagationPolicy: "Orphan" });
    expect(cms.get("orphan", "default").metadata.ownerReferences).toEqual([]);
  });

  it("keeps a bound Pod Terminating until deleted with grace 0, and empties a namespace before removing it", () => {
    const api = newApi();
    api.client("namespaces").create({ metadata: { name: "team" } });
    const pods = api.client("pods");
    pods.create({
      metadata: { name: "bound", namespace: "team" },
      spec: { nodeName: "n1", containers: [{ name: "c", image: "i" }] },
    });
    api.client("configmaps").create({ metadata: { name: "cfg", namespace: "team" } });
    const r = api.client("namespaces").delete("team");
    expect(r.removed).toBe(false);
    expect(r.object.status).toEqual({ phase: "Terminating" });
    expect(api.client("configmaps").find("cfg", "team")).toBeUndefined();
    expect(pods.get("bound", "team").metadata.deletionGracePeriodSeconds).toBe(30);
    expect(
      failure(() => api.client("configmaps").create({ metadata: { name: "late", namespace: "team" } })).code,
    ).toBe(403);
    pods.delete("bound", "team", { gracePeriodSeconds: 0 });
    expect(api.client("namespaces").find("team")).toBeUndefined();
  });
});

describe("watch selection", () => {
  it("turns objects entering or leaving a label selection into ADDED and DELETED", () => {
    const api = newApi();
    const cms = api.client("configmaps");
    const seen: string[] = [];
    const w = api.watch(api.resolve("cm"), { labelSelector: "app=web" }, (e: WatchEvent) =>
      seen.push(`${e.type} ${e.object.metadata.name}`),
    );
    const a = cms.create({ metadata: { name: "a", namespace: "default", labels: { app: "db" } } });
    const a2 = cms.update({ ...a, metadata: { ...a.metadata, labels: { app: "web" } } });
    const a3 = cms.update({ ...a2, data: { x: "1" } });
    cms.update({ ...a3, metadata: { ...a3.metadata, labels: {} } });
    w.cancel();
    expect(seen).toEqual(["ADDED a", "MODIFIED a", "DELETED a"]);
    expect(
      failure(() => api.watch(api.resolve("pods"), { fieldSelector: "spec.bogus=1" }, () => {})).code,
    ).toBe(400);
  });
});
