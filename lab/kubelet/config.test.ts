import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadKubeletConfig, parseKubeletConfig } from "./config.ts";

const minimal = {
  nodeName: "worker-1",
  kubeconfig: "kubeconfig",
  address: "172.18.0.3",
  lab: "demo",
  stateDir: "state",
  cni: { confDir: "/etc/cni/net.d" },
};

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "ol-kubelet-config-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("kubelet config", () => {
  it("fills in defaults, including the sandbox prefix", () => {
    const c = parseKubeletConfig(minimal);
    expect(c).toMatchObject({
      sandboxPrefix: "ol-demo-worker-1",
      labels: {},
      taints: [],
      controlPlane: false,
      heartbeatIntervalSeconds: 2,
      nodeStatusReportSeconds: 10,
      maxGracePeriodSeconds: 30,
      cni: { pluginDirs: ["/usr/lib/cni"], timeoutSeconds: 30 },
    });
    expect(c.hostNetns).toBeUndefined();
  });

  it("names every invalid field", () => {
    expect(() =>
      parseKubeletConfig({ ...minimal, address: "300.1.1.1", nodeName: "Bad_Name", extra: 1 }, "test.json"),
    ).toThrow(/invalid test\.json: .*nodeName: .*address: is not an IPv4 address.*extra/s);
    expect(() => parseKubeletConfig({ ...minimal, taints: [{ key: "k", effect: "Sometimes" }] })).toThrow(
      /taints\.0\.effect/,
    );
  });

  it("resolves relative paths against the file's directory", async () => {
    const file = join(dir, "kubelet.json");
    await writeFile(
      file,
      JSON.stringify({ ...minimal, cni: { confDir: "net.d", pluginDirs: ["/usr/lib/cni", "bin"] } }),
    );
    const c = await loadKubeletConfig(file);
    expect(c.kubeconfig).toBe(join(dir, "kubeconfig"));
    expect(c.stateDir).toBe(join(dir, "state"));
    expect(c.cni.confDir).toBe(join(dir, "net.d"));
    expect(c.cni.pluginDirs).toEqual(["/usr/lib/cni", join(dir, "bin")]);
  });

  it("reports an unreadable or non-JSON file with its path", async () => {
    const file = join(dir, "broken.json");
    await writeFile(file, "{ nope");
    await expect(loadKubeletConfig(file)).rejects.toThrow(`cannot read kubelet config ${file}`);
    await expect(loadKubeletConfig(join(dir, "missing.json"))).rejects.toThrow(/ENOENT/);
  });
});
