import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { ApiError } from "../errors.ts";
import type { KubeObject } from "../object.ts";
import { readSnapshot, SnapshotWriter } from "./snapshot.ts";
import { Store, type StoreEvent } from "./store.ts";

function cm(name: string, data: Record<string, string> = {}, namespace = "default"): KubeObject {
  return { apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace }, data };
}

function code(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApiError) return err.code;
    throw err;
  }
  return undefined;
}

describe("Store", () => {
  it("assigns uid, timestamps, generation and a global increasing resourceVersion", () => {
    const s = new Store({ now: () => new Date("2026-01-02T03:04:05.678Z") });
    const a = s.create("configmaps", cm("a"));
    const b = s.create("pods", { metadata: { generateName: "web-", namespace: "default" }, spec: {} });
    expect(a.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.metadata.creationTimestamp).toBe("2026-01-02T03:04:05Z");
    expect([a.metadata.resourceVersion, b.metadata.resourceVersion]).toEqual(["1", "2"]);
    expect(b.metadata.name).toMatch(/^web-[a-z0-9]{5}$/);
    expect(code(() => s.create("configmaps", cm("a")))).toBe(409);
    const labelled = s.update("configmaps", { ...a, metadata: { ...a.metadata, labels: { x: "y" } } });
    expect(labelled.metadata.generation).toBe(1);
    const changed = s.update("configmaps", { ...labelled, data: { k: "v" } });
    expect(changed.metadata.generation).toBe(2);
    expect(changed.metadata.resourceVersion).toBe("4");
    expect(s.update("configmaps", changed).metadata.resourceVersion).toBe("4"); // no-op write
    expect(code(() => s.update("configmaps", a))).toBe(409); // stale resourceVersion
    expect(code(() => s.update("configmaps", cm("nope")))).toBe(404);
  });

  it("keeps deleted objects while finalizers or a grace period hold them", () => {
    const s = new Store();
    const o = s.create("configmaps", {
      ...cm("f"),
      metadata: { name: "f", namespace: "default", finalizers: ["x"] },
    });
    const first = s.delete("configmaps", "default", "f");
    expect(first.removed).toBe(false);
    expect(first.object.metadata.deletionTimestamp).toBeTruthy();
    expect(s.get("configmaps", "default", "f")?.metadata.deletionTimestamp).toBeTruthy();
    const cleared = s.update("configmaps", {
      ...first.object,
      metadata: { ...first.object.metadata, finalizers: [] },
    });
    expect(cleared.metadata.uid).toBe(o.metadata.uid);
    expect(s.get("configmaps", "default", "f")).toBeUndefined();

    s.create("pods", { metadata: { name: "p", namespace: "default" } });
    expect(s.delete("pods", "default", "p", { gracePeriodSeconds: 30 }).removed).toBe(false);
    expect(s.get("pods", "default", "p")?.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(s.delete("pods", "default", "p", { gracePeriodSeconds: 0 }).removed).toBe(true);
    expect(code(() => s.delete("pods", "default", "p"))).toBe(404);
  });

  it("replays events newer than a resourceVersion, then streams live ones in order", () => {
    const s = new Store();
    const a = s.create("configmaps", cm("a"));
    s.create("configmaps", cm("other", {}, "elsewhere"));
    s.update("configmaps", { ...a, data: { v: "2" } });
    s.create("secrets", cm("not-a-configmap"));
    s.delete("configmaps", "default", "a");
    const live: StoreEvent[] = [];
    const w = s.watch({ resource: "configmaps", namespace: "default", resourceVersion: 1 }, (e) =>
      live.push(e),
    );
    expect(w.replay.map((e) => `${e.type} ${e.object.metadata.name} ${e.resourceVersion}`)).toEqual([
      "MODIFIED a 3",
      "DELETED a 5",
    ]);
    s.create("configmaps", cm("b"));
    s.create("configmaps", cm("c", {}, "elsewhere"));
    w.cancel();
    s.create("configmaps", cm("d"));
    expect(live.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED b"]);
  });

  it("starts a watch without resourceVersion with the current objects as ADDED", () => {
    const s = new Store();
    s.create("configmaps", cm("b"));
    s.create("configmaps", cm("a"));
    const w = s.watch({ resource: "configmaps" }, () => {});
    expect(w.replay.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED a", "ADDED b"]);
    w.cancel();
  });

  it("answers 410 Expired for a resourceVersion older than the kept history", () => {
    const s = new Store({ historySize: 3 });
    for (let i = 0; i < 6; i++) s.create("configmaps", cm(`c${i}`));
    expect(code(() => s.watch({ resource: "configmaps", resourceVersion: 2 }, () => {}))).toBe(410);
    const w = s.watch({ resource: "configmaps", resourceVersion: 3 }, () => {});
    expect(w.replay.map((e) => e.resourceVersion)).toEqual([4, 5, 6]);
    w.cancel();
  });

  it("delivers events caused by listeners after the event that caused them", () => {
    const s = new Store();
    const order: string[] = [];
    s.subscribe((e) => {
      if (e.object.metadata.name === "owner") s.create("configmaps", cm("dependent"));
    });
    s.subscribe((e) => order.push(`${e.type} ${e.object.metadata.name}`));
    s.create("configmaps", cm("owner"));
    expect(order).toEqual(["ADDED owner", "ADDED dependent"]);
  });
});

describe("snapshots", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("round-trips the store through a JSON file; older watches then get 410", async () => {
    dir = mkdtempSync(join(tmpdir(), "ovslab-snap-"));
    const path = join(dir, "state.json");
    const s = new Store();
    const writer = new SnapshotWriter(
      s,
      path,
      (err) => {
        throw err;
      },
      10,
    );
    s.create("configmaps", cm("a", { k: "v" }));
    s.create("nodes", { metadata: { name: "n1" } });
    await new Promise((r) => setTimeout(r, 50));
    expect(readSnapshot(path)?.resourceVersion).toBe(2);
    s.create("configmaps", cm("b"));
    writer.close();
    const restored = new Store();
    const snap = readSnapshot(path);
    if (!snap) throw new Error("no snapshot written");
    restored.restore(snap);
    expect(restored.get("configmaps", "default", "a")?.data).toEqual({ k: "v" });
    expect(restored.list("configmaps").map((o) => o.metadata.name)).toEqual(["a", "b"]);
    expect(restored.create("configmaps", cm("c")).metadata.resourceVersion).toBe("4");
    expect(code(() => restored.watch({ resource: "configmaps", resourceVersion: 1 }, () => {}))).toBe(410);
    expect(readSnapshot(join(dir, "missing.json"))).toBeUndefined();
  });
});
