import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAgentConfig, parseAgentConfig } from "./config.ts";

describe("agent config", () => {
  it("fills Antrea's defaults", () => {
    const c = parseAgentConfig({ nodeName: "n1", kubeconfig: "/k", ovsRundir: "/run/ovs" });
    expect(c).toMatchObject({
      tunnelType: "vxlan",
      mtu: 1450,
      cniSocket: "/var/run/antrea/cni.sock",
      cniConfDir: "/etc/cni/net.d",
      antreaProxy: { enable: true },
      featureGates: { AntreaPolicy: true, Egress: true },
      noSNAT: false,
    });
    expect(c.nodeNetns).toBeUndefined();
  });

  it("names every wrong field", () => {
    expect(() =>
      parseAgentConfig({
        nodeName: "n1",
        kubeconfig: "/k",
        ovsRundir: "/r",
        tunnelType: "gre",
        mtu: 100,
        bogus: 1,
      }),
    ).toThrow(/^invalid agent config: (?=.*\(root\): .*"bogus")(?=.*tunnelType: )(?=.*mtu: )/);
    expect(() =>
      parseAgentConfig({ nodeName: "n1", kubeconfig: "/k", ovsRundir: "/r", nodeNetns: "a b" }),
    ).toThrow(/nodeNetns: is not a network namespace name/);
  });

  it("reads a file and resolves relative paths against its directory", async () => {
    const dir = await mkdtemp(join(tmpdir(), "agent-config-"));
    try {
      const file = join(dir, "agent.json");
      await writeFile(
        file,
        JSON.stringify({
          nodeName: "n1",
          kubeconfig: "kubeconfig",
          ovsRundir: "ovs",
          cniSocket: "s/cni.sock",
        }),
      );
      const c = await loadAgentConfig(file);
      expect([c.kubeconfig, c.ovsRundir, c.cniSocket, c.cniConfDir]).toEqual([
        join(dir, "kubeconfig"),
        join(dir, "ovs"),
        join(dir, "s/cni.sock"),
        "/etc/cni/net.d",
      ]);
      await writeFile(file, "{not json");
      await expect(loadAgentConfig(file)).rejects.toThrow(/cannot read agent config/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
