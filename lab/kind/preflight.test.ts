import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { preflightKind } from "./preflight.ts";
import { FakeTools } from "./testing/fake-tools.ts";

let fakes: FakeTools;
afterEach(() => fakes.cleanup());

function machine(
  rules: { docker?: string; lsmod?: string; modprobe?: { code: number; output: string } } = {},
) {
  fakes = new FakeTools();
  fakes.append(
    rules.docker === undefined
      ? { glob: "docker info*", output: "28.2.2" }
      : { glob: "docker info*", code: 1, output: rules.docker },
    { glob: "lsmod", output: rules.lsmod ?? "openvswitch           200704  0" },
    { glob: "modprobe*", code: rules.modprobe?.code ?? 0, output: rules.modprobe?.output ?? "" },
  );
  return fakes;
}

describe("kind preflight", () => {
  it("passes on a machine with Docker running, kind, kubectl and the openvswitch module", async () => {
    const m = machine();
    await expect(preflightKind(m.env)).resolves.toBeUndefined();
    expect(m.calls()).toEqual(["docker info --format {{.ServerVersion}}", "lsmod"]);
  });

  it("accepts a module that is not loaded yet but loadable (Antrea's init container loads it)", async () => {
    const m = machine({ lsmod: "Module Size Used by" });
    await expect(preflightKind(m.env)).resolves.toBeUndefined();
    expect(m.calls()).toContain("modprobe --dry-run openvswitch");
  });

  it("names kind and how to install it when kind is missing", async () => {
    const m = machine();
    rmSync(join(m.bin, "kind"));
    await expect(preflightKind(m.env)).rejects.toThrow(
      "provider kind cannot run on this machine:\n  - kind is not installed: install kind v0.27.0: " +
        "curl -fsSLo kind https://kind.sigs.k8s.io/dl/v0.27.0/kind-linux-amd64",
    );
  });

  it("says the Docker engine is not running, quoting docker", async () => {
    const m = machine({
      docker:
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?",
    });
    const err = await preflightKind(m.env).catch((e: Error) => e);
    expect((err as Error).message).toBe(
      "provider kind cannot run on this machine:\n  - the Docker engine is not reachable ('docker info' failed: " +
        "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?): " +
        "start it (sudo systemctl start docker) or point DOCKER_HOST at a running engine",
    );
  });

  it("lists every missing prerequisite in one message", async () => {
    const m = machine({
      lsmod: "Module Size Used by",
      modprobe: {
        code: 1,
        output: "modprobe: FATAL: Module openvswitch not found in directory /lib/modules/6.1.0",
      },
    });
    for (const t of ["docker", "kind", "kubectl"]) rmSync(join(m.bin, t));
    const message = ((await preflightKind(m.env).catch((e: Error) => e)) as Error).message;
    expect(message.split("\n")).toEqual([
      "provider kind cannot run on this machine:",
      expect.stringMatching(/^ {2}- docker is not installed: install Docker Engine/),
      expect.stringMatching(/^ {2}- kind is not installed: /),
      expect.stringMatching(/^ {2}- kubectl is not installed: install kubectl/),
      "  - the openvswitch kernel module is neither loaded nor loadable (modprobe: FATAL: Module openvswitch not " +
        "found in directory /lib/modules/6.1.0): Antrea on kind uses the host's Open vSwitch kernel datapath: " +
        "load it with 'sudo modprobe openvswitch' (on Ubuntu it is in linux-modules-extra-$(uname -r))",
    ]);
    expect(m.calls()).toEqual(["lsmod", "modprobe --dry-run openvswitch"]);
  });
});
