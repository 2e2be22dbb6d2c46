import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  CniConfigError,
  listConfigFiles,
  loadNetworkConfig,
  loadNetworkConfigFile,
  NoNetworkConfigError,
  parseNetworkConfig,
} from "./config.ts";

const dirs: string[] = [];
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "ol-cnitest-conf-"));
  dirs.push(dir);
});

afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function put(name: string, doc: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof doc === "string" ? doc : JSON.stringify(doc));
  return path;
}

const bridgeList = {
  cniVersion: "1.0.0",
  name: "podnet",
  plugins: [
    {
      type: "bridge",
      bridge: "cni0",
      ipam: { type: "host-local", subnet: "10.1.0.0/24" },
      custom: { a: [1] },
    },
    { type: "portmap", capabilities: { portMappings: true } },
  ],
};

describe("loadNetworkConfig", () => {
  it("picks the lexically first .conf/.conflist/.json file, ignoring other files and dirs", async () => {
    await put("20-second.conflist", { ...bridgeList, name: "second" });
    await put("10-first.conflist", { ...bridgeList, name: "first" });
    await put("05-notes.txt", "not a config");
    await mkdir(join(dir, "00-dir.conflist"));
    expect(await listConfigFiles(dir)).toEqual([
      join(dir, "10-first.conflist"),
      join(dir, "20-second.conflist"),
    ]);
    const net = await loadNetworkConfig(dir);
    expect(net.name).toBe("first");
    expect(net.source).toBe(join(dir, "10-first.conflist"));
  });

  it("parses a list: version, flags, plugins with capabilities and unknown fields kept", async () => {
    const path = await put("10.conflist", { ...bridgeList, disableCheck: true, extraTop: 1 });
    const net = await loadNetworkConfigFile(path);
    expect(net).toMatchObject({ name: "podnet", cniVersion: "1.0.0", disableCheck: true, disableGC: false });
    expect(net.plugins.map((p) => p.type)).toEqual(["bridge", "portmap"]);
    expect(net.plugins[0]?.raw).toEqual(bridgeList.plugins[0]);
    expect(net.plugins[0]?.capabilities).toEqual({});
    expect(net.plugins[1]?.capabilities).toEqual({ portMappings: true });
    expect(JSON.parse(net.bytes)).toMatchObject({ extraTop: 1 });
  });

  it("wraps a single-plugin .conf into a one-plugin list", async () => {
    await put("10-single.conf", {
      cniVersion: "0.4.0",
      name: "single",
      type: "bridge",
      bridge: "cni0",
      ipam: { type: "host-local", subnet: "10.2.0.0/24" },
    });
    const net = await loadNetworkConfig(dir);
    expect(net).toMatchObject({ name: "single", cniVersion: "0.4.0", disableCheck: false });
    expect(net.plugins).toHaveLength(1);
    expect(net.plugins[0]?.type).toBe("bridge");
    expect(net.plugins[0]?.raw).toMatchObject({ bridge: "cni0", ipam: { subnet: "10.2.0.0/24" } });
    expect(JSON.parse(net.bytes)).toMatchObject({
      name: "single",
      cniVersion: "0.4.0",
      plugins: [{ type: "bridge" }],
    });
  });

  it("treats .json like .conf", async () => {
    await put("99.json", { cniVersion: "1.0.0", name: "j", type: "loopback" });
    expect((await loadNetworkConfig(dir)).plugins[0]?.type).toBe("loopback");
  });

  it("chooses the highest supported version from cniVersions", async () => {
    const net = parseNetworkConfig(
      JSON.stringify({ ...bridgeList, cniVersion: "1.0.0", cniVersions: ["0.4.0", "1.1.0", "9.0.0"] }),
      "t",
      "list",
    );
    expect(net.cniVersion).toBe("1.1.0");
  });

  it("accepts libcni's string booleans", () => {
    const net = parseNetworkConfig(JSON.stringify({ ...bridgeList, disableCheck: "True" }), "t", "list");
    expect(net.disableCheck).toBe(true);
  });

  it("throws NoNetworkConfigError for an empty or missing dir", async () => {
    await expect(loadNetworkConfig(dir)).rejects.toBeInstanceOf(NoNetworkConfigError);
    await expect(loadNetworkConfig(join(dir, "absent"))).rejects.toThrow(
      /no CNI network configuration in .*absent/,
    );
  });
});

describe("invalid configuration names the file and the problem", () => {
  const cases: [string, string, unknown, RegExp][] = [
    ["not JSON", "10.conflist", "{ nope", /not JSON/],
    ["no plugins", "10.conflist", { cniVersion: "1.0.0", name: "n" }, /plugins: /],
    ["empty plugins", "10.conflist", { cniVersion: "1.0.0", name: "n", plugins: [] }, /at least one plugin/],
    [
      "plugin without type",
      "10.conflist",
      { cniVersion: "1.0.0", name: "n", plugins: [{ bridge: "x" }] },
      /plugins\[0\]\.type: /,
    ],
    [
      "type with a path",
      "10.conflist",
      { cniVersion: "1.0.0", name: "n", plugins: [{ type: "../bin/sh" }] },
      /plugins\[0\]\.type: must be an executable name/,
    ],
    ["bad name", "10.conflist", { ...bridgeList, name: "-bad name" }, /name: must start with/],
    ["no version", "10.conflist", { name: "n", plugins: [{ type: "bridge" }] }, /cniVersion: required/],
    [
      "unknown version",
      "10.conflist",
      { ...bridgeList, cniVersion: "2.0.0" },
      /cniVersion 2\.0\.0 not supported/,
    ],
    [
      "bad capabilities",
      "10.conflist",
      { ...bridgeList, plugins: [{ type: "portmap", capabilities: { portMappings: "yes" } }] },
      /plugins\[0\]\.capabilities\.portMappings: /,
    ],
    ["list in a .conf", "10.conf", bridgeList, /holds a "plugins" list; .* \.conflist file/],
    ["bad disableCheck", "10.conflist", { ...bridgeList, disableCheck: "maybe" }, /disableCheck/],
  ];
  for (const [what, file, doc, problem] of cases) {
    it(what, async () => {
      const path = await put(file, doc);
      const err = await loadNetworkConfig(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CniConfigError);
      expect((err as CniConfigError).source).toBe(path);
      expect((err as Error).message).toContain(`invalid CNI network configuration ${path}: `);
      expect((err as Error).message).toMatch(problem);
    });
  }
});
