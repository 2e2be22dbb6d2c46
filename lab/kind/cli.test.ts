// `ovslab up` with a kind topology on a machine without kind: the acceptance check of issue 10 ("fails at once
// with a message naming what is missing, and leaves nothing behind"), through the real CLI and fake tools.
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { run } from "../../images/common/exec.ts";
import { kindWorld } from "./testing/kind-world.ts";

const CLI = new URL("../../harness/cli/ovslab.mjs", import.meta.url).pathname;
const TOPOLOGY = new URL("../topologies/kind.yaml", import.meta.url).pathname;
const home = mkdtempSync(join(tmpdir(), "ovslab-kind-cli-"));
const world = kindWorld("t9", home);
afterEach(() => {
  world.fakes.cleanup();
  rmSync(home, { recursive: true, force: true });
});

it("ovslab up on a machine without kind exits 1 naming kind, and leaves nothing behind", async () => {
  rmSync(join(world.fakes.bin, "kind"));
  const res = await run([process.execPath, CLI, "up", "-t", TOPOLOGY, "--name", "t9"], {
    env: { ...world.fakes.env, OVSLAB_HOME: home },
    allowFailure: true,
    timeoutMs: 30_000,
  });
  expect(res.stderr).toMatch(
    /provider kind cannot run on this machine:\n {2}- kind is not installed: install kind/,
  );
  expect(res.code).toBe(1);
  expect(world.fakes.calls().filter((c) => !c.startsWith("docker info") && c !== "lsmod")).toEqual([]);
  expect(existsSync(home) ? readdirSync(home) : []).toEqual([]);
});
