import { describe, expect, it } from "vitest";
import type { KubeObject } from "../object.ts";
import { podSchema, workloadSchema } from "../resources/patch-schemas.ts";
import { applyJsonPatch, PatchError } from "./json-patch.ts";
import { applyMergePatch } from "./merge-patch.ts";
import { fieldSetOf, serverSideApply } from "./server-side-apply.ts";
import { applyStrategicMergePatch } from "./strategic-merge.ts";

const basePod = {
  metadata: { name: "p", labels: { a: "1", b: "2" }, finalizers: ["x"] },
  spec: {
    containers: [
      {
        name: "app",
        image: "app:1",
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
        ports: [{ containerPort: 80 }],
      },
      { name: "side", image: "side:1" },
    ],
    tolerations: [{ key: "k1" }, { key: "k2" }],
    volumes: [{ name: "v", emptyDir: {} }],
  },
};

describe("JSON merge patch (RFC 7386)", () => {
  it("merges objects, deletes with null and replaces lists", () => {
    expect(applyMergePatch({ a: { b: 1, c: 2 }, l: [1, 2] }, { a: { b: null, d: 3 }, l: [3] })).toEqual({
      a: { c: 2, d: 3 },
      l: [3],
    });
    expect(applyMergePatch({ a: 1 }, "x")).toBe("x");
  });
});

describe("JSON patch (RFC 6902)", () => {
  it("applies add/remove/replace/move/copy/test in order", () => {
    const out = applyJsonPatch({ a: [1, 2], b: { c: 1 } }, [
      { op: "add", path: "/a/-", value: 3 },
      { op: "add", path: "/a/0", value: 0 },
      { op: "remove", path: "/a/1" },
      { op: "replace", path: "/b/c", value: 2 },
      { op: "copy", from: "/b", path: "/d" },
      { op: "move", from: "/d/c", path: "/e" },
      { op: "test", path: "/e", value: 2 },
      { op: "add", path: "/f~1g", value: true },
    ]);
    expect(out).toEqual({ a: [0, 2, 3], b: { c: 2 }, d: {}, e: 2, "f/g": true });
  });

  it("fails on a failed test, a missing path or a malformed document", () => {
    expect(() => applyJsonPatch({ a: 1 }, [{ op: "test", path: "/a", value: 2 }])).toThrow(PatchError);
    expect(() => applyJsonPatch({ a: 1 }, [{ op: "remove", path: "/b" }])).toThrow(PatchError);
    expect(() => applyJsonPatch({ a: [] }, [{ op: "replace", path: "/a/3", value: 1 }])).toThrow(PatchError);
    expect(() => applyJsonPatch({}, { op: "add" })).toThrow(PatchError);
    expect(() => applyJsonPatch({}, [{ op: "jump", path: "/a" }])).toThrow(PatchError);
  });
});

describe("strategic merge patch", () => {
  it("merges keyed lists by their merge key and replaces atomic lists", () => {
    const out = applyStrategicMergePatch(
      basePod,
      {
        spec: {
          containers: [
            {
              name: "app",
              image: "app:2",
              env: [
                { name: "B", value: "two" },
                { name: "C", value: "3" },
              ],
            },
          ],
          tolerations: [{ key: "k3" }],
        },
      },
      podSchema,
    ) as typeof basePod;
    expect(out.spec.containers.map((c) => c.name)).toEqual(["app", "side"]);
    expect(out.spec.containers[0]?.image).toBe("app:2");
    expect(out.spec.containers[0]?.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "two" },
      { name: "C", value: "3" },
    ]);
    expect(out.spec.containers[0]?.ports).toEqual([{ containerPort: 80 }]);
    expect(out.spec.tolerations).toEqual([{ key: "k3" }]);
  });

  it("honours $setElementOrder, $patch: delete and null deletion as kubectl apply sends them", () => {
    const patch = {
      metadata: { labels: { b: null } },
      spec: {
        $setElementOrder: undefined,
        "$setElementOrder/containers": [{ name: "side" }, { name: "app" }],
        containers: [
          {
            name: "app",
            "$setElementOrder/env": [{ name: "B" }, { name: "A" }],
            env: [{ name: "A", $patch: "delete" }],
          },
        ],
      },
    };
    delete (patch.spec as Record<string, unknown>).$setElementOrder;
    const out = applyStrategicMergePatch(basePod, patch, podSchema) as typeof basePod;
    expect(out.metadata.labels).toEqual({ a: "1" });
    expect(out.spec.containers.map((c) => c.name)).toEqual(["side", "app"]);
    expect(out.spec.containers[1]?.env).toEqual([{ name: "B", value: "2" }]);
  });

  it("replaces a list with $patch: replace and a map with $patch: replace", () => {
    const out = applyStrategicMergePatch(
      basePod,
      {
        metadata: { labels: { $patch: "replace", only: "this" } },
        spec: { containers: [{ $patch: "replace" }, { name: "new", image: "n" }] },
      },
      podSchema,
    ) as typeof basePod;
    expect(out.metadata.labels).toEqual({ only: "this" });
    expect(out.spec.containers).toEqual([{ name: "new", image: "n" }]);
  });

  it("drops keys outside $retainKeys (Deployment strategy switch)", () => {
    const dep = { spec: { strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1 } } } };
    const out = applyStrategicMergePatch(
      dep,
      { spec: { strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: null } } },
      workloadSchema,
    );
    expect(out).toEqual({ spec: { strategy: { type: "Recreate" } } });
  });

  it("merges and prunes primitive set lists (finalizers)", () => {
    const out = applyStrategicMergePatch(
      basePod,
      { metadata: { finalizers: ["y", "x"], "$deleteFromPrimitiveList/finalizers": ["x"] } },
      podSchema,
    ) as typeof basePod;
    expect(out.metadata.finalizers).toEqual(["y"]);
  });

  it("deletes a whole map with $patch: delete and rejects unknown directives", () => {
    const out = applyStrategicMergePatch(
      basePod,
      { metadata: { labels: { $patch: "delete" } } },
      podSchema,
    ) as {
      metadata: Record<string, unknown>;
    };
    expect(out.metadata.labels).toBeUndefined();
    expect(() => applyStrategicMergePatch(basePod, { spec: { $bogus: 1 } }, podSchema)).toThrow(PatchError);
    expect(() => applyStrategicMergePatch(basePod, [1], podSchema)).toThrow(PatchError);
  });
});

describe("server-side apply", () => {
  const opts = { manager: "m", schema: podSchema, statusSubresource: true, time: "2026-01-01T00:00:00Z" };

  it("records keyed list items in the field set", () => {
    expect(fieldSetOf({ spec: { containers: [{ name: "c", image: "i" }] } }, podSchema)).toEqual({
      "f:spec": { "f:containers": { 'k:{"name":"c"}': { ".": {}, "f:name": {}, "f:image": {} } } },
    });
  });

  it("removes what the manager stopped applying and keeps what others set", () => {
    const first: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", labels: { a: "1", b: "2" } },
      spec: {
        containers: [
          { name: "c", image: "i", env: [{ name: "X", value: "1" }] },
          { name: "d", image: "j" },
        ],
      },
    };
    const created = serverSideApply(undefined, first, opts);
    const live = {
      ...created,
      metadata: { ...created.metadata, annotations: { other: "kept" } },
      status: { phase: "Running" },
    };
    const second: KubeObject = {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p", labels: { a: "1" } },
      spec: { containers: [{ name: "c", image: "i2" }] },
      status: { phase: "ignored" },
    };
    const out = serverSideApply(live, second, opts) as KubeObject & {
      spec: typeof basePod.spec;
      status: unknown;
    };
    expect(out.metadata.labels).toEqual({ a: "1" });
    expect(out.metadata.annotations).toEqual({ other: "kept" });
    expect(out.spec.containers).toEqual([{ name: "c", image: "i2" }]);
    expect(out.status).toEqual({ phase: "Running" });
    expect(out.metadata.managedFields).toHaveLength(1);
  });

  it("keeps metadata when a re-apply no longer sets any metadata besides the name", () => {
    const opts = {
      manager: "kubectl",
      schema: undefined,
      statusSubresource: false,
      time: "2026-01-01T00:00:00Z",
    };
    const first: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c", annotations: { a: "1" } },
      data: { k: "v" },
    };
    const created = serverSideApply(undefined, first, opts);
    const second: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data: { k: "v" },
    };
    const out = serverSideApply({ ...created, metadata: { ...created.metadata, uid: "u1" } }, second, opts);
    expect(out.metadata.name).toBe("c");
    expect(out.metadata.uid).toBe("u1");
    expect(out.metadata.annotations).toBeUndefined();
    expect(out.metadata.managedFields).toHaveLength(1);
  });
});
