// The container-runtime side of CNI (spec section 3, "Execution of Network Configurations"): add, check
// and delete one attachment of a network configuration list to a sandbox, plus the VERSION and STATUS
// queries. The final ADD result is cached (see result-cache.ts) and is the prevResult of CHECK and DEL.
import type { z } from "zod";
import type { NetworkConfigList, PluginConfig } from "./config.ts";
import { type CniCommand, CniInvocationError } from "./errors.ts";
import { execPlugin, type InvokeOptions, type PluginParameters } from "./invoke.ts";
import {
  type AttachmentKey,
  cacheFilePath,
  readCachedAttachment,
  removeCachedAttachment,
  writeCachedAttachment,
} from "./result-cache.ts";
import { type CniResult, cniResultSchema, type VersionResult, versionResultSchema } from "./results.ts";
import { LATEST_CNI_VERSION, versionAtLeast } from "./versions.ts";

export interface CniRuntimeOptions extends InvokeOptions {
  /** Root of the result cache (libcni uses /var/lib/cni); results live in `<cacheDir>/results`. */
  readonly cacheDir: string;
}

/** One attachment of a network to a sandbox, identified by (network name, containerId, ifName). */
export interface Attachment {
  readonly containerId: string;
  /** Path of the sandbox netns, e.g. /var/run/netns/NAME. May be "" for DEL when the sandbox is gone. */
  readonly netns: string;
  readonly ifName: string;
  /** CNI_ARGS key/value pairs, e.g. from `kubernetesArgs`. */
  readonly args?: readonly (readonly [string, string])[];
  /** Capability arguments (e.g. `portMappings`); each goes only to plugins declaring that capability. */
  readonly capabilityArgs?: Readonly<Record<string, unknown>>;
}

/** The `portMappings` capability argument, per the CNI conventions. */
export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: "tcp" | "udp" | "sctp";
  hostIP?: string;
}

export type CheckOutcome = { checked: true } | { checked: false; reason: "disableCheck" | "version" };
export type StatusOutcome = { checked: true } | { checked: false; reason: "version" };

/** CNI_ARGS a kubelet passes for a Pod; IgnoreUnknown lets plugins that know none of them accept them. */
export function kubernetesArgs(pod: {
  namespace: string;
  name: string;
  uid: string;
  infraContainerId: string;
}): [string, string][] {
  return [
    ["IgnoreUnknown", "1"],
    ["K8S_POD_NAMESPACE", pod.namespace],
    ["K8S_POD_NAME", pod.name],
    ["K8S_POD_INFRA_CONTAINER_ID", pod.infraContainerId],
    ["K8S_POD_UID", pod.uid],
  ];
}

/**
 * ADD: runs every plugin in order, each getting the previous plugin's result as prevResult, caches the
 * final result and returns it. On failure nothing is cached; the spec still requires a DEL afterwards.
 */
export async function addNetwork(
  list: NetworkConfigList,
  att: Attachment,
  opts: CniRuntimeOptions,
): Promise<CniResult> {
  validateAttachment(att, "ADD");
  const key = attachmentKey(list, att);
  return withContainerLock(att.containerId, async () => {
    if (await readCachedAttachment(opts.cacheDir, key)) {
      throw new Error(
        `CNI ADD of network ${list.name} to container ${att.containerId} as ${att.ifName}: already added ` +
          `(${cacheFilePath(opts.cacheDir, key)} exists); DEL it first`,
      );
    }
    let result: CniResult | undefined;
    for (const plugin of list.plugins) {
      const stdout = await execPlugin(
        plugin.type,
        "ADD",
        executionConfig(list, plugin, att.capabilityArgs, result),
        parameters(att),
        opts,
      );
      result = parseJson(stdout, cniResultSchema, plugin.type, "ADD", "a success result");
    }
    if (!result) throw new Error(`CNI network ${list.name} (${list.source}) has no plugins`);
    await writeCachedAttachment(opts.cacheDir, {
      ...key,
      config: list.bytes,
      netns: att.netns,
      args: att.args ?? [],
      capabilityArgs: att.capabilityArgs ?? {},
      result,
    });
    return result;
  });
}

/**
 * CHECK: runs every plugin in order with the cached ADD result as prevResult. Skipped (not an error)
 * for configurations older than 0.4.0 and when the list sets disableCheck, as the spec requires.
 */
export async function checkNetwork(
  list: NetworkConfigList,
  att: Attachment,
  opts: CniRuntimeOptions,
): Promise<CheckOutcome> {
  if (!versionAtLeast(list.cniVersion, "0.4.0")) return { checked: false, reason: "version" };
  if (list.disableCheck) return { checked: false, reason: "disableCheck" };
  validateAttachment(att, "CHECK");
  const key = attachmentKey(list, att);
  return withContainerLock(att.containerId, async () => {
    const cached = await readCachedAttachment(opts.cacheDir, key);
    if (!cached) {
      throw new Error(
        `CNI CHECK of network ${list.name} for container ${att.containerId} as ${att.ifName}: ` +
          "no cached ADD result (CHECK is only allowed between ADD and DEL)",
      );
    }
    for (const plugin of list.plugins) {
      await execPlugin(
        plugin.type,
        "CHECK",
        executionConfig(list, plugin, att.capabilityArgs, cached.result),
        parameters(att),
        opts,
      );
    }
    return { checked: true };
  });
}

/**
 * DEL: runs the plugins in reverse order, each with the cached final ADD result as prevResult (from
 * 0.4.0), then drops the cache entry. Works without a cached result or sandbox (plugins then release
 * what they can), so it is safe to repeat.
 */
export async function delNetwork(
  list: NetworkConfigList,
  att: Attachment,
  opts: CniRuntimeOptions,
): Promise<void> {
  validateAttachment(att, "DEL");
  const key = attachmentKey(list, att);
  await withContainerLock(att.containerId, async () => {
    let prevResult: CniResult | undefined;
    if (versionAtLeast(list.cniVersion, "0.4.0")) {
      try {
        prevResult = (await readCachedAttachment(opts.cacheDir, key))?.result;
      } catch {
        // A corrupt entry must not block the teardown: delete without prevResult, as libcni does.
      }
    }
    for (const plugin of [...list.plugins].reverse()) {
      await execPlugin(
        plugin.type,
        "DEL",
        executionConfig(list, plugin, att.capabilityArgs, prevResult),
        parameters(att),
        opts,
      );
    }
    await removeCachedAttachment(opts.cacheDir, key);
  });
}

/** VERSION: the spec versions plugin `type` supports. */
export async function pluginVersions(type: string, opts: InvokeOptions): Promise<VersionResult> {
  const stdout = await execPlugin(type, "VERSION", { cniVersion: LATEST_CNI_VERSION }, {}, opts);
  return parseJson(stdout, versionResultSchema, type, "VERSION", "a version result");
}

/**
 * STATUS (spec 1.1.0): asks every plugin whether it can serve ADD; the first that cannot throws a
 * CniError (code 50 or 51 when the plugin follows the spec). Lists older than 1.1.0 are not asked.
 */
export async function networkStatus(list: NetworkConfigList, opts: InvokeOptions): Promise<StatusOutcome> {
  if (!versionAtLeast(list.cniVersion, "1.1.0")) return { checked: false, reason: "version" };
  for (const plugin of list.plugins) {
    await execPlugin(plugin.type, "STATUS", executionConfig(list, plugin), {}, opts);
  }
  return { checked: true };
}

/**
 * The config one plugin sees on stdin (spec "Deriving execution configuration"): the plugin object with
 * `capabilities` removed, `name` and `cniVersion` from the list, `runtimeConfig` holding the capability
 * args the plugin declares, and `prevResult`.
 */
function executionConfig(
  list: NetworkConfigList,
  plugin: PluginConfig,
  capabilityArgs: Readonly<Record<string, unknown>> = {},
  prevResult?: CniResult,
): Record<string, unknown> {
  const { capabilities: _declared, ...conf } = plugin.raw;
  const runtimeConfig: Record<string, unknown> = {};
  for (const [capability, enabled] of Object.entries(plugin.capabilities)) {
    if (enabled && Object.hasOwn(capabilityArgs, capability))
      runtimeConfig[capability] = capabilityArgs[capability];
  }
  return {
    ...conf,
    name: list.name,
    cniVersion: list.cniVersion,
    ...(Object.keys(runtimeConfig).length ? { runtimeConfig } : {}),
    ...(prevResult ? { prevResult } : {}),
  };
}

function parameters(att: Attachment): PluginParameters {
  return { containerId: att.containerId, netns: att.netns, ifName: att.ifName, args: att.args ?? [] };
}

function attachmentKey(list: NetworkConfigList, att: Attachment): AttachmentKey {
  return { network: list.name, containerId: att.containerId, ifName: att.ifName };
}

function parseJson<T>(
  stdout: string,
  schema: z.ZodType<T>,
  plugin: string,
  command: CniCommand,
  what: string,
): T {
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    const shown = stdout.trim() ? JSON.stringify(stdout.trim().slice(0, 200)) : "nothing";
    throw new CniInvocationError(plugin, command, "bad-output", `printed ${shown} instead of ${what} (JSON)`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw new CniInvocationError(
      plugin,
      command,
      "bad-output",
      `printed an invalid ${what}: ${parsed.error.message}`,
    );
  }
  return parsed.data;
}

const CONTAINER_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** The spec's rules for attachment parameters (as libcni enforces them), checked before any plugin runs. */
function validateAttachment(att: Attachment, command: CniCommand): void {
  const problems: string[] = [];
  if (!CONTAINER_ID.test(att.containerId)) {
    problems.push(
      `containerId ${JSON.stringify(att.containerId)} must start alphanumeric, then [A-Za-z0-9_.-]`,
    );
  }
  const ifName = att.ifName;
  if (!ifName || ifName.length > 15 || ifName === "." || ifName === ".." || /[/:\s]/.test(ifName)) {
    problems.push(
      `ifName ${JSON.stringify(ifName)} must be 1-15 characters, not . or .., without / : or spaces`,
    );
  }
  if (!att.netns && command !== "DEL") problems.push("netns path is required");
  for (const [k, v] of att.args ?? []) {
    if (!k || /[;=]/.test(k) || v.includes(";")) {
      problems.push(`CNI_ARGS pair ${JSON.stringify(`${k}=${v}`)} must not contain ';' (or '=' in the key)`);
    }
  }
  if (problems.length) throw new Error(`invalid CNI ${command} attachment: ${problems.join("; ")}`);
}

// The spec forbids parallel operations for the same container; callers may race (pod delete during
// setup), so operations on one container id are queued here.
const containerQueues = new Map<string, Promise<unknown>>();

async function withContainerLock<T>(containerId: string, fn: () => Promise<T>): Promise<T> {
  const previous = containerQueues.get(containerId) ?? Promise.resolve();
  const current = previous.then(fn);
  const settled = current.then(
    () => undefined,
    () => undefined,
  );
  containerQueues.set(containerId, settled);
  try {
    return await current;
  } finally {
    if (containerQueues.get(containerId) === settled) containerQueues.delete(containerId);
  }
}
