// Runs the host-local IPAM plugin for the server, as Antrea's agent delegates to it: same CNI_* parameters as the
// request, the request's network configuration on stdin. host-local is always spoken to in CNI 1.0.0 (the newest
// version Debian's plugins 1.1.1 implement); the server converts the final result to the caller's version.
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { run } from "../../common/exec.ts";
import { CniErrorCode, CniServerError, errorMessage } from "./errors.ts";
import { IPAM_TYPE } from "./network-config.ts";
import type { CniArgs } from "./wire.ts";

const IPAM_CNI_VERSION = "1.0.0";
const IPAM_TIMEOUT_MS = 20_000;

export interface IpamRequest {
  args: CniArgs;
  /** The network configuration the plugin received (its `ipam` section is what host-local reads). */
  config: Record<string, unknown>;
  /** Where to look for the host-local executable. */
  pluginDirs: readonly string[];
}

const routeSchema = z.looseObject({ dst: z.string(), gw: z.string().optional() });
export type Route = z.infer<typeof routeSchema>;

const ipamResultSchema = z.looseObject({
  ips: z.array(z.looseObject({ address: z.string(), gateway: z.string().optional() })),
  routes: z.array(routeSchema).optional(),
  dns: z.record(z.string(), z.unknown()).optional(),
});

export interface IpamAllocation {
  /** Address with prefix length, e.g. 10.244.1.5/24. */
  address: string;
  gateway: string;
  routes: Route[];
  dns: Record<string, unknown>;
}

const errorResultSchema = z.looseObject({
  code: z.number(),
  msg: z.string(),
  details: z.string().optional(),
});

/** Allocates the Pod's address. IPAM_FAILURE when host-local fails or returns no usable address. */
export async function ipamAdd(req: IpamRequest): Promise<IpamAllocation> {
  const stdout = await execHostLocal("ADD", req);
  let json: unknown;
  try {
    json = JSON.parse(stdout);
  } catch {
    throw ipamFailure("ADD", `printed ${JSON.stringify(stdout.slice(0, 200))} instead of a result`);
  }
  const parsed = ipamResultSchema.safeParse(json);
  if (!parsed.success) throw ipamFailure("ADD", `invalid result: ${parsed.error.message}`);
  const [ip] = parsed.data.ips;
  if (!ip) throw ipamFailure("ADD", "allocated no address");
  if (!ip.gateway) throw ipamFailure("ADD", `allocated ${ip.address} without a gateway`);
  return {
    address: ip.address,
    gateway: ip.gateway,
    routes: parsed.data.routes ?? [],
    dns: parsed.data.dns ?? {},
  };
}

/** Releases the container's address; succeeds when there is none. */
export async function ipamDel(req: IpamRequest): Promise<void> {
  await execHostLocal("DEL", req);
}

/** IPAM_FAILURE unless host-local holds an address for the container. */
export async function ipamCheck(req: IpamRequest): Promise<void> {
  await execHostLocal("CHECK", req);
}

async function execHostLocal(command: "ADD" | "DEL" | "CHECK", req: IpamRequest): Promise<string> {
  const path = await findHostLocal(req.pluginDirs);
  // prevResult is the caller's (possibly older) result shape; host-local does not need it.
  const { prevResult: _prev, ...config } = req.config;
  let result: Awaited<ReturnType<typeof run>>;
  try {
    result = await run([path], {
      input: JSON.stringify({ ...config, cniVersion: IPAM_CNI_VERSION }),
      env: ipamEnv(command, req),
      timeoutMs: IPAM_TIMEOUT_MS,
      allowFailure: true,
    });
  } catch (err) {
    throw ipamFailure(command, errorMessage(err));
  }
  if (result.timedOut) throw ipamFailure(command, `killed after ${IPAM_TIMEOUT_MS} ms`);
  if (result.code !== 0) {
    const reported = parseErrorResult(result.stdout);
    const said = reported
      ? `${reported.msg}${reported.details ? `: ${reported.details}` : ""}`
      : result.stderr.trim() || `exit code ${result.code}`;
    throw ipamFailure(command, said);
  }
  return result.stdout;
}

function ipamEnv(command: string, req: IpamRequest): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("CNI_")) env[k] = v;
  return {
    ...env,
    CNI_COMMAND: command,
    CNI_CONTAINERID: req.args.container_id,
    CNI_NETNS: req.args.netns,
    CNI_IFNAME: req.args.ifname,
    CNI_ARGS: req.args.args,
    CNI_PATH: req.pluginDirs.join(":"),
  };
}

async function findHostLocal(dirs: readonly string[]): Promise<string> {
  for (const dir of dirs) {
    const path = join(dir, IPAM_TYPE);
    try {
      if ((await stat(path)).isFile()) {
        await access(path, constants.X_OK);
        return path;
      }
    } catch {
      // not in this dir: keep looking
    }
  }
  throw new CniServerError(
    CniErrorCode.IPAM_FAILURE,
    `no executable ${IPAM_TYPE} plugin in ${dirs.length ? dirs.join(":") : "(no plugin dirs)"}`,
  );
}

function parseErrorResult(stdout: string): z.infer<typeof errorResultSchema> | undefined {
  try {
    const parsed = errorResultSchema.safeParse(JSON.parse(stdout));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function ipamFailure(command: string, detail: string): CniServerError {
  return new CniServerError(CniErrorCode.IPAM_FAILURE, `${IPAM_TYPE} ${command} failed: ${detail}`);
}
