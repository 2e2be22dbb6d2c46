// The agent process: argument errors, waiting for its Node, and a clean exit on SIGTERM.
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startProcess,
  startTestCluster,
  type TestCluster,
} from "../../lab/control-plane/testing/test-cluster.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const agentProcess = (...args: string[]) =>
  startProcess([process.execPath, "--import", "tsx", MAIN, ...args]);

let cluster: TestCluster;
let dir: string;

beforeAll(async () => {
  cluster = await startTestCluster();
  dir = await mkdtemp(join(tmpdir(), "agent-main-"));
});

afterAll(async () => {
  await cluster?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("agent main", () => {
  it("exits 2 without --config and 1 with an invalid config", async () => {
    expect(await agentProcess().exited()).toBe(2);
    const file = join(dir, "bad.json");
    await writeFile(file, JSON.stringify({ nodeName: "n1", tunnelType: "gre" }));
    const bad = agentProcess("--config", file);
    expect(await bad.exited()).toBe(1);
    expect(bad.output()).toMatch(/invalid agent config .*bad\.json: kubeconfig: .*tunnelType/);
  });

  it("waits for its Node, then exits 0 on SIGTERM", async () => {
    const file = join(dir, "agent.json");
    await writeFile(
      file,
      JSON.stringify({ nodeName: "ghost", kubeconfig: cluster.kubeconfigPath, ovsRundir: join(dir, "ovs") }),
    );
    const agent = agentProcess("--config", file);
    await agent.waitFor("waiting for Node ghost: it does not exist", 15_000);
    expect(await agent.stop("SIGTERM")).toBe(0);
    expect(agent.output()).toContain("received SIGTERM, stopping");
  });
});
