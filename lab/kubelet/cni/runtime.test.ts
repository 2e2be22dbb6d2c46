// The runtime's protocol behaviour, observed through real plugin processes (small scripts that record
// what they are given) run from a temp CNI_PATH dir. No network namespaces are needed: these plugins
// never open CNI_NETNS.
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type NetworkConfigList, parseNetworkConfig } from "./config.ts";
import { CniError, CniInvocationError } from "./errors.ts";
import { cacheFilePath, readCachedAttachment } from "./result-cache.ts";
import {
  type Attachment,
  addNetwork,
  type CniRuntimeOptions,
  checkNetwork,
  delNetwork,
  kubernetesArgs,
  networkStatus,
  pluginVersions,
} from "./runtime.ts";
import { type Recorded, writeTestPlugins } from "./test-plugins.ts";

let tmp: string;
let pluginDir: string;
let recordFile: string;
let opts: CniRuntimeOptions;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), "ol-cnitest-"));
  pluginDir = join(tmp, "bin");
  await mkdir(pluginDir);
  await writeTestPlugins(pluginDir);
  recordFile = join(tmp, "calls.jsonl");
  // An empty first dir shows that lookup walks the whole CNI_PATH.
  opts = { pluginDirs: [join(tmp, "empty"), pluginDir], cacheDir: join(tmp, "cache"), timeoutMs: 10_000 };
});

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

beforeEach(async () => {
  await writeFile(recordFile, "");
});

async function calls(): Promise<Recorded[]> {
  const text = await readFile(recordFile, "utf8");
  return text
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Recorded);
}

function list(doc: Record<string, unknown>): NetworkConfigList {
  return parseNetworkConfig(JSON.stringify(doc), "test", "list");
}

function chain(extra: Record<string, unknown> = {}): NetworkConfigList {
  return list({
    cniVersion: "1.0.0",
    name: "chain",
    plugins: [
      { type: "rec-a", recordFile, append: true, keepMe: { nested: [1, 2] } },
      {
        type: "rec-b",
        recordFile,
        append: true,
        capabilities: { portMappings: true, bandwidth: false },
      },
    ],
    ...extra,
  });
}

let seq = 0;
function attachment(): Attachment {
  seq += 1;
  return {
    containerId: `ctr-${process.pid}-${seq}`,
    netns: "/var/run/netns/ol-cnitest-unused",
    ifName: "eth0",
    args: kubernetesArgs({
      namespace: "default",
      name: `pod-${seq}`,
      uid: `uid-${seq}`,
      infraContainerId: "infra1",
    }),
    capabilityArgs: {
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
      bandwidth: { ingressRate: 1 },
      mac: "00:11:22:33:44:55",
    },
  };
}

describe("ADD", () => {
  it("runs the chain in order, passing each result on as prevResult, and returns the final result", async () => {
    const att = attachment();
    const result = await addNetwork(chain(), att, opts);
    expect(result.interfaces?.map((i) => i.name)).toEqual(["rec-a-eth0", "rec-b-eth0"]);

    const [a, b, ...rest] = await calls();
    expect(rest).toEqual([]);
    expect(a?.type).toBe("rec-a");
    expect(a?.stdin.prevResult).toBeUndefined();
    expect(b?.type).toBe("rec-b");
    expect(b?.stdin.prevResult).toEqual({
      cniVersion: "1.0.0",
      interfaces: [{ name: "rec-a-eth0", sandbox: att.netns }],
      ips: [],
    });
  });

  it("sets the CNI_* environment and injects name/cniVersion, keeping unknown fields", async () => {
    const att = attachment();
    await addNetwork(chain(), att, opts);
    const [a] = await calls();
    expect(a?.env).toEqual({
      CNI_COMMAND: "ADD",
      CNI_CONTAINERID: att.containerId,
      CNI_NETNS: att.netns,
      CNI_IFNAME: "eth0",
      CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=default;K8S_POD_NAME=pod-${seq};K8S_POD_INFRA_CONTAINER_ID=infra1;K8S_POD_UID=uid-${seq}`,
      CNI_PATH: opts.pluginDirs.join(":"),
    });
    expect(a?.stdin).toEqual({
      type: "rec-a",
      recordFile,
      append: true,
      keepMe: { nested: [1, 2] },
      name: "chain",
      cniVersion: "1.0.0",
    });
  });

  it("starts plugins from the given base environment, minus its CNI_* variables", async () => {
    const env = { PATH: process.env.PATH, OL_MARK: "kept", CNI_IFNAME: "stale", CNI_ARGS: "STALE=1" };
    await addNetwork(chain(), { ...attachment(), args: [] }, { ...opts, env });
    const [a] = await calls();
    expect(a?.env.OL_MARK).toBe("kept");
    expect(a?.env.CNI_IFNAME).toBe("eth0");
    expect(a?.env).not.toHaveProperty("CNI_ARGS");
  });

  it("gives runtimeConfig only the capability args a plugin declares, and removes capabilities", async () => {
    await addNetwork(chain(), attachment(), opts);
    const [a, b] = await calls();
    expect(a?.stdin).not.toHaveProperty("runtimeConfig"); // declares nothing
    expect(b?.stdin.runtimeConfig).toEqual({
      portMappings: [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }],
    });
    expect(b?.stdin).not.toHaveProperty("capabilities");
  });

  it("caches the final result in libcni's cniCacheV1 format", async () => {
    const att = attachment();
    const net = chain();
    const result = await addNetwork(net, att, opts);
    const path = cacheFilePath(opts.cacheDir, {
      network: "chain",
      containerId: att.containerId,
      ifName: "eth0",
    });
    expect(path).toBe(join(opts.cacheDir, "results", `chain-${att.containerId}-eth0`));
    const doc = JSON.parse(await readFile(path, "utf8"));
    expect(doc.kind).toBe("cniCacheV1");
    expect(doc.networkName).toBe("chain");
    expect(doc.result).toEqual(result);
    expect(Buffer.from(doc.config, "base64").toString()).toBe(net.bytes);
    expect(doc.cniArgs[1]).toEqual(["K8S_POD_NAMESPACE", "default"]);
  });

  it("refuses a second ADD of the same attachment without DEL", async () => {
    const att = attachment();
    await addNetwork(chain(), att, opts);
    await expect(addNetwork(chain(), att, opts)).rejects.toThrow(/already added .*DEL it first/);
  });

  it("rejects attachment parameters the spec forbids before running anything", async () => {
    const bad = { ...attachment(), ifName: "this-name-is-too-long" };
    await expect(addNetwork(chain(), bad, opts)).rejects.toThrow(/ifName "this-name-is-too-long"/);
    await expect(addNetwork(chain(), { ...attachment(), containerId: "-x" }, opts)).rejects.toThrow(
      /containerId/,
    );
    expect(await calls()).toEqual([]);
  });
});

describe("CHECK", () => {
  it("runs the chain in order, each plugin getting the cached final result", async () => {
    const att = attachment();
    const result = await addNetwork(chain(), att, opts);
    await writeFile(recordFile, "");
    expect(await checkNetwork(chain(), att, opts)).toEqual({ checked: true });
    const recorded = await calls();
    expect(recorded.map((c) => [c.type, c.env.CNI_COMMAND])).toEqual([
      ["rec-a", "CHECK"],
      ["rec-b", "CHECK"],
    ]);
    for (const c of recorded) expect(c.stdin.prevResult).toEqual(result);
  });

  it("is skipped for disableCheck and for versions before 0.4.0", async () => {
    const att = attachment();
    expect(await checkNetwork(chain({ disableCheck: true }), att, opts)).toEqual({
      checked: false,
      reason: "disableCheck",
    });
    expect(await checkNetwork(chain({ cniVersion: "0.3.1" }), att, opts)).toEqual({
      checked: false,
      reason: "version",
    });
    expect(await calls()).toEqual([]);
  });

  it("is refused for an attachment that was never added", async () => {
    await expect(checkNetwork(chain(), attachment(), opts)).rejects.toThrow(/no cached ADD result/);
  });
});

describe("DEL", () => {
  it("runs the chain in reverse with the cached result, drops the cache, and can be repeated", async () => {
    const att = attachment();
    const result = await addNetwork(chain(), att, opts);
    await writeFile(recordFile, "");
    await delNetwork(chain(), att, opts);
    const first = await calls();
    expect(first.map((c) => [c.type, c.env.CNI_COMMAND])).toEqual([
      ["rec-b", "DEL"],
      ["rec-a", "DEL"],
    ]);
    for (const c of first) expect(c.stdin.prevResult).toEqual(result);
    const key = { network: "chain", containerId: att.containerId, ifName: "eth0" };
    expect(await readCachedAttachment(opts.cacheDir, key)).toBeUndefined();

    // Second DEL: still calls every plugin (they must tolerate it), now without prevResult.
    await writeFile(recordFile, "");
    await delNetwork(chain(), att, opts);
    const second = await calls();
    expect(second.map((c) => c.type)).toEqual(["rec-b", "rec-a"]);
    for (const c of second) expect(c.stdin).not.toHaveProperty("prevResult");
    // ...and ADD is allowed again.
    await addNetwork(chain(), att, opts);
  });

  it("passes no prevResult for configurations before 0.4.0", async () => {
    const att = attachment();
    const old = chain({ cniVersion: "0.3.1" });
    await addNetwork(old, att, opts);
    await writeFile(recordFile, "");
    await delNetwork(old, att, opts);
    const recorded = await calls();
    expect(recorded).toHaveLength(2);
    for (const c of recorded) expect(c.stdin).not.toHaveProperty("prevResult");
  });

  it("leaves CNI_NETNS unset when the sandbox is already gone", async () => {
    await delNetwork(chain(), { ...attachment(), netns: "" }, opts);
    const recorded = await calls();
    expect(recorded).toHaveLength(2);
    for (const c of recorded) expect(c.env).not.toHaveProperty("CNI_NETNS");
  });

  it("tolerates a corrupt cache entry", async () => {
    const att = attachment();
    await addNetwork(chain(), att, opts);
    const key = { network: "chain", containerId: att.containerId, ifName: "eth0" };
    await writeFile(cacheFilePath(opts.cacheDir, key), "{not json");
    await delNetwork(chain(), att, opts);
    expect(await readCachedAttachment(opts.cacheDir, key)).toBeUndefined();
  });
});

describe("failures", () => {
  it("turns an error result into a CniError with code/msg/details and the plugin name", async () => {
    const net = list({
      cniVersion: "1.0.0",
      name: "bad",
      plugins: [{ type: "rec", recordFile }, { type: "broken" }],
    });
    const att = attachment();
    const err = await addNetwork(net, att, opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniError);
    expect(err).toMatchObject({
      code: 7,
      msg: "Invalid Configuration",
      details: "subnet too small",
      plugin: "broken",
      command: "ADD",
    });
    expect(String(err)).toContain(
      "CNI plugin broken failed (ADD): code 7: Invalid Configuration: subnet too small",
    );
    // A failed ADD caches nothing, and the DEL the spec then requires fails the same way.
    expect(await readCachedAttachment(opts.cacheDir, { network: "bad", ...att })).toBeUndefined();
    await expect(delNetwork(net, att, opts)).rejects.toMatchObject({ code: 7, command: "DEL" });
  });

  it("names the missing plugin and the CNI_PATH searched", async () => {
    const net = list({ cniVersion: "1.0.0", name: "missing", plugins: [{ type: "no-such-plugin" }] });
    const err = await addNetwork(net, attachment(), opts).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CniInvocationError);
    expect(err).toMatchObject({ reason: "not-found", plugin: "no-such-plugin" });
    expect(String(err)).toContain(
      `no executable plugin "no-such-plugin" in CNI_PATH ${opts.pluginDirs.join(":")}`,
    );
  });

  it("reports non-JSON output, a crash without an error result, and a timeout", async () => {
    const one = (type: string) => list({ cniVersion: "1.0.0", name: type, plugins: [{ type }] });
    await expect(addNetwork(one("garbage"), attachment(), opts)).rejects.toMatchObject({
      reason: "bad-output",
      message: expect.stringContaining('printed "hello, not json" instead of a success result'),
    });
    await expect(addNetwork(one("crash"), attachment(), opts)).rejects.toMatchObject({
      reason: "failed",
      message: expect.stringContaining("exited with code 2 without a CNI error result: segfault-ish: boom"),
    });
    const started = Date.now();
    await expect(addNetwork(one("slow"), attachment(), { ...opts, timeoutMs: 300 })).rejects.toMatchObject({
      reason: "timeout",
      message: expect.stringContaining("killed after 300 ms"),
    });
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});

describe("VERSION and STATUS", () => {
  it("queries a plugin's supported versions (Debian's bridge)", async () => {
    const info = await pluginVersions("bridge", { pluginDirs: ["/usr/lib/cni"] });
    expect(info.supportedVersions).toEqual(expect.arrayContaining(["0.4.0", "1.0.0"]));
  });

  it("asks every plugin of a 1.1.0 list, with only CNI_COMMAND and CNI_PATH set", async () => {
    const net = list({
      cniVersion: "1.1.0",
      name: "status",
      plugins: [
        { type: "rec-a", recordFile },
        { type: "rec-b", recordFile },
      ],
    });
    expect(await networkStatus(net, opts)).toEqual({ checked: true });
    const recorded = await calls();
    expect(recorded.map((c) => c.type)).toEqual(["rec-a", "rec-b"]);
    expect(recorded[0]?.env).toEqual({ CNI_COMMAND: "STATUS", CNI_PATH: opts.pluginDirs.join(":") });
    expect(recorded[0]?.stdin).toMatchObject({ name: "status", cniVersion: "1.1.0" });
  });

  it("reports a plugin that is not available as CniError code 50", async () => {
    const net = list({ cniVersion: "1.1.0", name: "status", plugins: [{ type: "rec", statusCode: 50 }] });
    await expect(networkStatus(net, opts)).rejects.toMatchObject({
      code: 50,
      command: "STATUS",
      plugin: "rec",
    });
  });

  it("does not ask lists older than 1.1.0", async () => {
    const net = list({
      cniVersion: "1.0.0",
      name: "status",
      plugins: [{ type: "rec", recordFile, statusCode: 50 }],
    });
    expect(await networkStatus(net, opts)).toEqual({ checked: false, reason: "version" });
    expect(await calls()).toEqual([]);
  });
});

describe("concurrency", () => {
  it("serialises operations on one container", async () => {
    const att = attachment();
    // Started together, DEL must not overtake ADD: the attachment ends up deleted, cache gone.
    await Promise.all([addNetwork(chain(), att, opts), delNetwork(chain(), att, opts)]);
    const recorded = await calls();
    expect(recorded.map((c) => c.env.CNI_COMMAND)).toEqual(["ADD", "ADD", "DEL", "DEL"]);
    expect(await readCachedAttachment(opts.cacheDir, { network: "chain", ...att })).toBeUndefined();
  });
});
