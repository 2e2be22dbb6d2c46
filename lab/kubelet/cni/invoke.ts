// Runs one CNI plugin executable per the spec's execution protocol: look it up in the CNI_PATH dirs,
// pass the parameters as CNI_* environment variables and the execution config on stdin, and turn a
// failure into CniError (the plugin's error result) or CniInvocationError (anything else).
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import { run } from "../../../images/common/exec.ts";
import { type CniCommand, CniError, CniInvocationError } from "./errors.ts";
import { errorResultSchema } from "./results.ts";

export interface InvokeOptions {
  /** Directories searched for plugin executables, in order; passed to plugins as CNI_PATH. */
  readonly pluginDirs: readonly string[];
  /** Named network namespace to run plugins in (`ip netns exec`): the "host" side of the attachment. */
  readonly hostNetns?: string;
  /** Kill a plugin call after this many milliseconds (default 30 s). */
  readonly timeoutMs?: number;
  /** Environment plugins start from (default: this process's); its own CNI_* variables are dropped. */
  readonly env?: NodeJS.ProcessEnv;
}

/** Protocol parameters of one call; absent ones are not set in the plugin's environment. */
export interface PluginParameters {
  readonly containerId?: string;
  readonly netns?: string;
  readonly ifName?: string;
  /** CNI_ARGS as key/value pairs, joined as `K=V;K2=V2`. */
  readonly args?: readonly (readonly [string, string])[];
}

export const DEFAULT_PLUGIN_TIMEOUT_MS = 30_000;

/** Path of the executable for plugin `type`, from the first CNI_PATH dir that has it. */
export async function findPlugin(
  type: string,
  dirs: readonly string[],
  command: CniCommand,
): Promise<string> {
  for (const dir of dirs) {
    const path = join(dir, type);
    try {
      if ((await stat(path)).isFile()) {
        await access(path, constants.X_OK);
        return path;
      }
    } catch {
      // not in this dir (or not executable): keep looking
    }
  }
  throw new CniInvocationError(
    type,
    command,
    "not-found",
    `no executable plugin "${type}" in CNI_PATH ${dirs.length ? dirs.join(":") : "(empty)"}`,
  );
}

/** Runs plugin `type` with `command`; resolves to its stdout when it exits 0. */
export async function execPlugin(
  type: string,
  command: CniCommand,
  config: Readonly<Record<string, unknown>>,
  params: PluginParameters,
  opts: InvokeOptions,
): Promise<string> {
  const path = await findPlugin(type, opts.pluginDirs, command);
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PLUGIN_TIMEOUT_MS;
  const result = await run([path], {
    input: JSON.stringify(config),
    env: pluginEnv(command, params, opts),
    netns: opts.hostNetns,
    timeoutMs,
    allowFailure: true,
  });
  if (result.timedOut) {
    throw new CniInvocationError(type, command, "timeout", `killed after ${timeoutMs} ms`, result.stderr);
  }
  if (result.code !== 0) {
    const reported = parseErrorResult(result.stdout);
    if (reported) {
      throw new CniError(type, command, reported.code, reported.msg, reported.details, result.stderr);
    }
    const said = lastLines(result.stderr) || lastLines(result.stdout);
    throw new CniInvocationError(
      type,
      command,
      "failed",
      `exited with code ${result.code} without a CNI error result${said ? `: ${said}` : ""}`,
      result.stderr,
    );
  }
  return result.stdout;
}

/** The base environment without its CNI_* variables, plus this call's parameters. */
function pluginEnv(command: CniCommand, p: PluginParameters, opts: InvokeOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(opts.env ?? process.env)) if (!k.startsWith("CNI_")) env[k] = v;
  env.CNI_COMMAND = command;
  if (p.containerId) env.CNI_CONTAINERID = p.containerId;
  if (p.netns) env.CNI_NETNS = p.netns;
  if (p.ifName) env.CNI_IFNAME = p.ifName;
  if (p.args?.length) env.CNI_ARGS = p.args.map(([k, v]) => `${k}=${v}`).join(";");
  env.CNI_PATH = opts.pluginDirs.join(":");
  return env;
}

function parseErrorResult(stdout: string): { code: number; msg: string; details?: string } | undefined {
  try {
    const parsed = errorResultSchema.safeParse(JSON.parse(stdout));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-3).join("\n");
}
