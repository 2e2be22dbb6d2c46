// The process entry as the lab starts it: `node --import tsx images/controller/main.ts --config FILE`.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  startProcess,
  startTestCluster,
  type TestCluster,
} from "../../lab/control-plane/testing/test-cluster.ts";

const MAIN = new URL("./main.ts", import.meta.url).pathname;
let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
});

afterAll(async () => {
  await cluster?.close();
});

function config(name: string, body: unknown): string {
  const path = join(cluster.dir, name);
  writeFileSync(path, JSON.stringify(body));
  return path;
}

it("runs from a config file with a relative kubeconfig and stops cleanly on SIGTERM", async () => {
  const proc = startProcess([
    process.execPath,
    "--import",
    "tsx",
    MAIN,
    "--config",
    config("ok.json", { kubeconfig: "kubeconfig" }),
  ]);
  try {
    await proc.waitFor("networkpolicy controller started", 20_000);
    await proc.waitFor("created static Tier baseline");
    expect(cluster.server.api.client("tiers.crd.antrea.io").find("baseline")).toBeDefined();
  } finally {
    expect(await proc.stop("SIGTERM")).toBe(0);
  }
  expect(proc.output()).toContain("antrea-controller stopped");
});

it("exits 2 with the reason on a bad configuration", async () => {
  const proc = startProcess([
    process.execPath,
    "--import",
    "tsx",
    MAIN,
    "--config",
    config("bad.json", { kubeconfig: "kubeconfig", logLevel: "verbose", extra: 1 }),
  ]);
  expect(await proc.exited()).toBe(2);
  expect(proc.output()).toMatch(/invalid controller config .*logLevel/);
  expect(proc.output()).toMatch(/Unrecognized key.*extra/);
});
