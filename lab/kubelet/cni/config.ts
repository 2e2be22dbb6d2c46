// Loads a node's CNI network configuration from a config dir the way libcni-based runtimes (containerd)
// do: the lexically first *.conf / *.conflist / *.json file wins; a .conf/.json holds one plugin and is
// wrapped into a one-plugin list. Unknown fields are kept: the spec says runtimes must pass them through.
import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { z } from "zod";
import { compareVersions, isSemver, isSupportedVersion, SUPPORTED_CNI_VERSIONS } from "./versions.ts";

export const CONFIG_EXTENSIONS = [".conf", ".conflist", ".json"] as const;

export interface PluginConfig {
  readonly type: string;
  /** Capabilities the plugin declares; only these receive capability args in `runtimeConfig`. */
  readonly capabilities: Readonly<Record<string, boolean>>;
  /** The plugin object as written (unknown fields included), the base of every execution config. */
  readonly raw: Readonly<Record<string, unknown>>;
}

export interface NetworkConfigList {
  readonly name: string;
  /** The spec version used for every plugin call (chosen from `cniVersion` / `cniVersions`). */
  readonly cniVersion: string;
  readonly disableCheck: boolean;
  readonly disableGC: boolean;
  readonly plugins: readonly PluginConfig[];
  /** Where the configuration came from (a file path or a description), for error messages. */
  readonly source: string;
  /** The list as JSON text, stored in the result cache like libcni does. */
  readonly bytes: string;
}

/** A configuration file (or text) that is not a valid CNI network configuration. */
export class CniConfigError extends Error {
  constructor(
    readonly source: string,
    detail: string,
  ) {
    super(`invalid CNI network configuration ${source}: ${detail}`);
    this.name = "CniConfigError";
  }
}

/** The config dir holds no network configuration yet (the node's network is not ready). */
export class NoNetworkConfigError extends Error {
  constructor(readonly dir: string) {
    super(
      `no CNI network configuration in ${dir} (looked for ${CONFIG_EXTENSIONS.map((e) => `*${e}`).join(", ")})`,
    );
    this.name = "NoNetworkConfigError";
  }
}

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

// libcni also accepts "true"/"false" strings for its boolean list fields.
const boolish = z.union([
  z.boolean(),
  z
    .string()
    .regex(/^(true|false)$/i, "must be true or false")
    .transform((s) => s.toLowerCase() === "true"),
]);

const version = z.string().refine(isSemver, "must be a spec version like 1.0.0");

const pluginSchema = z.looseObject({
  type: z
    .string()
    .min(1, "must name the plugin executable")
    .refine((t) => !/[/\\]/.test(t) && t !== "." && t !== "..", "must be an executable name without / or \\"),
  capabilities: z.record(z.string(), z.boolean()).optional(),
});

const listHeader = {
  cniVersion: version.optional(),
  cniVersions: z.array(version).optional(),
  name: z.string().regex(NAME, "must start with a letter or digit, then letters, digits, _ . -"),
};

const listSchema = z.looseObject({
  ...listHeader,
  disableCheck: boolish.optional(),
  disableGC: boolish.optional(),
  plugins: z.array(pluginSchema).min(1, "must list at least one plugin"),
});

const singleSchema = pluginSchema.extend(listHeader);

/** Config files in `dir` in the order libcni considers them (lexical by file name). */
export async function listConfigFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
  const files: string[] = [];
  for (const name of names.sort()) {
    if (!(CONFIG_EXTENSIONS as readonly string[]).includes(extname(name))) continue;
    const path = join(dir, name);
    if ((await stat(path)).isFile()) files.push(path);
  }
  return files;
}

/** The node's network: the lexically first config file in `dir`. Throws if it is invalid (naming it). */
export async function loadNetworkConfig(dir: string): Promise<NetworkConfigList> {
  const [first] = await listConfigFiles(dir);
  if (!first) throw new NoNetworkConfigError(dir);
  return loadNetworkConfigFile(first);
}

export async function loadNetworkConfigFile(path: string): Promise<NetworkConfigList> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new CniConfigError(path, (err as Error).message);
  }
  return parseNetworkConfig(text, path, extname(path) === ".conflist" ? "list" : "single");
}

/**
 * Parses a configuration list (`kind: "list"`, a .conflist) or a single plugin configuration
 * (`kind: "single"`, a .conf/.json), which is wrapped into a one-plugin list.
 */
export function parseNetworkConfig(text: string, source: string, kind: "list" | "single"): NetworkConfigList {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CniConfigError(source, `not JSON: ${(err as Error).message}`);
  }
  if (kind === "single") return parseSingle(json, source);
  const parsed = listSchema.safeParse(json);
  if (!parsed.success) throw new CniConfigError(source, describeIssues(parsed.error));
  const list = parsed.data;
  return {
    name: list.name,
    cniVersion: chooseVersion(list.cniVersion, list.cniVersions, source),
    disableCheck: list.disableCheck ?? false,
    disableGC: list.disableGC ?? false,
    plugins: list.plugins.map(toPluginConfig),
    source,
    bytes: text,
  };
}

function parseSingle(json: unknown, source: string): NetworkConfigList {
  if (isRecord(json) && Array.isArray(json.plugins) && json.type === undefined) {
    throw new CniConfigError(
      source,
      'holds a "plugins" list; a configuration list belongs in a .conflist file',
    );
  }
  const parsed = singleSchema.safeParse(json);
  if (!parsed.success) throw new CniConfigError(source, describeIssues(parsed.error));
  const conf = parsed.data;
  const cniVersion = chooseVersion(conf.cniVersion, conf.cniVersions, source);
  return {
    name: conf.name,
    cniVersion,
    disableCheck: false,
    disableGC: false,
    plugins: [toPluginConfig(conf)],
    source,
    bytes: JSON.stringify({ cniVersion, name: conf.name, plugins: [conf] }),
  };
}

/** With `cniVersions` (spec 1.1), the highest version this runtime supports wins. */
function chooseVersion(
  cniVersion: string | undefined,
  cniVersions: string[] | undefined,
  source: string,
): string {
  const offered = [...(cniVersions ?? []), ...(cniVersion === undefined ? [] : [cniVersion])];
  if (offered.length === 0) throw new CniConfigError(source, "cniVersion: required");
  const usable = offered.filter(isSupportedVersion).sort(compareVersions);
  const chosen = usable.at(-1);
  if (chosen === undefined) {
    throw new CniConfigError(
      source,
      `cniVersion ${offered.join(", ")} not supported (this runtime speaks ${SUPPORTED_CNI_VERSIONS.join(", ")})`,
    );
  }
  return chosen;
}

function toPluginConfig(p: z.infer<typeof pluginSchema>): PluginConfig {
  return { type: p.type, capabilities: p.capabilities ?? {}, raw: p };
}

function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${formatPath(i.path)}: ${i.message}` : i.message))
    .join("; ");
}

/** `plugins[0].type`, as a reader would write it. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.map((k, n) => (typeof k === "number" ? `[${k}]` : `${n ? "." : ""}${String(k)}`)).join("");
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
