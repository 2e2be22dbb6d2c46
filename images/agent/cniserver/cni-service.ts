// The CNI server's handling of one request (transport aside): ADD, CHECK, DEL and STATUS as Antrea's agent serves
// them. ADD allocates the address with host-local, has PodNetwork wire the interface, and answers the result in
// the caller's cniVersion; DEL undoes both and is idempotent; CHECK asks both whether the attachment is intact.
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import type { PodInterfaceRequest, PodInterfaceResult, PodNetwork } from "../pod-network.ts";
import { CniErrorCode, CniServerError, errorMessage } from "./errors.ts";
import { type IpamRequest, ipamAdd, ipamCheck, ipamDel } from "./host-local.ts";
import { keyedQueue } from "./keyed-queue.ts";
import {
  type NetworkConfig,
  parseIpamNetworkConfig,
  parseNetworkConfig,
  parsePodRef,
  validateCniArgs,
} from "./network-config.ts";
import { type CurrentResult, podResult, resultForVersion } from "./result.ts";
import { versionAtLeast } from "./versions.ts";
import { type CniArgs, type CniResponse, cniRequestSchema } from "./wire.ts";

/** Ethernet's MTU, for configurations that name none (the conflist from images/cni/conflist.ts does). */
const DEFAULT_MTU = 1500;

/** How often ADD asks `readiness` again while it waits. */
const READINESS_POLL_MS = 100;

export interface CniServiceOptions {
  podNetwork: PodNetwork;
  log: (message: string) => void;
  /** Where to find host-local; default: the request's CNI_PATH, as a delegating plugin does. */
  ipamPluginDirs?: readonly string[];
  /** Whether the agent can wire Pods yet; ADD waits for it, STATUS reports it. Default: always ready. */
  readiness?: () => boolean | Promise<boolean>;
  /** How long ADD waits for readiness before answering TRY_AGAIN_LATER. */
  readinessTimeoutMs: number;
}

interface Attachment {
  pod: PodInterfaceRequest;
  result: CurrentResult;
}

/** A handler from one request's JSON text to its response. */
export function cniService(opts: CniServiceOptions): (requestText: string) => Promise<CniResponse> {
  // What ADD set up, by container and interface: answers a repeated ADD, and CHECK and DEL without prevResult.
  const attachments = new Map<string, Attachment>();
  const perContainer = keyedQueue();
  const key = (args: CniArgs) => `${args.container_id}/${args.ifname}`;
  const ipamRequest = (args: CniArgs, conf: NetworkConfig): IpamRequest => ({
    args,
    config: conf.raw,
    pluginDirs: opts.ipamPluginDirs ?? args.path.split(":").filter(Boolean),
  });

  async function isReady(): Promise<boolean> {
    return opts.readiness ? await opts.readiness() : true;
  }

  async function waitUntilReady(): Promise<void> {
    const deadline = Date.now() + opts.readinessTimeoutMs;
    while (!(await isReady())) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new CniServerError(
          CniErrorCode.TRY_AGAIN_LATER,
          `the antrea agent's network is not ready (waited ${opts.readinessTimeoutMs} ms); try again later`,
        );
      }
      await sleep(Math.min(READINESS_POLL_MS, left));
    }
  }

  async function add(args: CniArgs): Promise<string> {
    validateCniArgs(args, true);
    const conf = parseIpamNetworkConfig(args.network_configuration);
    const ref = parsePodRef(args.args);
    await waitUntilReady();
    return perContainer(args.container_id, async () => {
      const known = attachments.get(key(args));
      if (known) return JSON.stringify(resultForVersion(known.result, conf.cniVersion));
      const ipam = ipamRequest(args, conf);
      const alloc = await ipamAdd(ipam);
      const pod: PodInterfaceRequest = {
        podName: ref.name,
        podNamespace: ref.namespace,
        containerId: args.container_id,
        netnsPath: args.netns,
        ifName: args.ifname,
        ip: alloc.address,
        gateway: alloc.gateway,
        mtu: conf.mtu ?? DEFAULT_MTU,
      };
      let iface: PodInterfaceResult;
      try {
        iface = await opts.podNetwork.add(pod);
      } catch (err) {
        const undone = await rollBack(pod, ipam);
        throw new CniServerError(
          CniErrorCode.CONFIG_INTERFACE_FAILURE,
          `failed to configure interface ${args.ifname} of Pod ${ref.namespace}/${ref.name}: ${errorMessage(err)}`,
          undone,
        );
      }
      const result = podResult(alloc, iface, pod);
      attachments.set(key(args), { pod, result });
      opts.log(
        `CNI ADD ${ref.namespace}/${ref.name} (container ${args.container_id}): ${alloc.address} on ${args.ifname}, host interface ${iface.hostIfName}`,
      );
      return JSON.stringify(resultForVersion(result, conf.cniVersion));
    });
  }

  /** Undoes a half-done ADD; says what could not be undone (it is then left for DEL). */
  async function rollBack(pod: PodInterfaceRequest, ipam: IpamRequest): Promise<string | undefined> {
    const problems: string[] = [];
    await opts.podNetwork
      .del({ containerId: pod.containerId, netnsPath: pod.netnsPath, ifName: pod.ifName })
      .catch((err: unknown) => problems.push(`removing the interface: ${errorMessage(err)}`));
    await ipamDel(ipam).catch((err: unknown) => problems.push(`releasing ${pod.ip}: ${errorMessage(err)}`));
    for (const p of problems) opts.log(`CNI ADD rollback of container ${pod.containerId} failed ${p}`);
    return problems.length ? `rollback failed ${problems.join("; ")}` : undefined;
  }

  async function del(args: CniArgs): Promise<string> {
    validateCniArgs(args, false);
    const conf = parseIpamNetworkConfig(args.network_configuration);
    return perContainer(args.container_id, async () => {
      const known = attachments.get(key(args));
      const netnsPath = args.netns || known?.pod.netnsPath;
      try {
        await opts.podNetwork.del({ containerId: args.container_id, netnsPath, ifName: args.ifname });
      } catch (err) {
        throw new CniServerError(
          CniErrorCode.CONFIG_INTERFACE_FAILURE,
          `failed to remove interface ${args.ifname} of container ${args.container_id}: ${errorMessage(err)}`,
        );
      }
      await ipamDel(ipamRequest(args, conf));
      attachments.delete(key(args));
      opts.log(`CNI DEL container ${args.container_id} ${args.ifname}${known ? ` (${known.pod.ip})` : ""}`);
      return "";
    });
  }

  async function check(args: CniArgs): Promise<string> {
    validateCniArgs(args, true);
    const conf = parseIpamNetworkConfig(args.network_configuration);
    if (!versionAtLeast(conf.cniVersion, "0.4.0")) {
      throw new CniServerError(
        CniErrorCode.INCOMPATIBLE_CNI_VERSION,
        "config version does not allow CHECK",
        `cniVersion ${conf.cniVersion}; CHECK needs 0.4.0 or newer`,
      );
    }
    return perContainer(args.container_id, async () => {
      await ipamCheck(ipamRequest(args, conf));
      const pod = attachments.get(key(args))?.pod ?? fromPrevResult(args, conf);
      try {
        await opts.podNetwork.check(pod);
      } catch (err) {
        throw new CniServerError(
          CniErrorCode.CHECK_INTERFACE_FAILURE,
          `interface ${args.ifname} of container ${args.container_id} is not as ADD left it: ${errorMessage(err)}`,
        );
      }
      return "";
    });
  }

  async function status(args: CniArgs): Promise<string> {
    const conf = parseNetworkConfig(args.network_configuration);
    if (!versionAtLeast(conf.cniVersion, "1.1.0")) {
      throw new CniServerError(
        CniErrorCode.INCOMPATIBLE_CNI_VERSION,
        "config version does not allow STATUS",
        `cniVersion ${conf.cniVersion}; STATUS needs 1.1.0 or newer`,
      );
    }
    if (!(await isReady())) {
      throw new CniServerError(CniErrorCode.PLUGIN_NOT_AVAILABLE, "the antrea agent's network is not ready");
    }
    return "";
  }

  const methods: Record<string, (args: CniArgs) => Promise<string>> = {
    CmdAdd: add,
    CmdCheck: check,
    CmdDel: del,
    CmdStatus: status,
  };

  return async (requestText) => {
    let method = "(undecoded)";
    try {
      const request = decodeRequest(requestText);
      method = request.method;
      const handler = Object.hasOwn(methods, method) ? methods[method] : undefined;
      if (!handler) {
        throw new CniServerError(
          CniErrorCode.INCOMPATIBLE_API_VERSION,
          `unknown method ${JSON.stringify(method)}`,
          `this server implements ${Object.keys(methods).join(", ")}`,
        );
      }
      return { cni_result: await handler(request.cni_args) };
    } catch (err) {
      const e =
        err instanceof CniServerError ? err : new CniServerError(CniErrorCode.INTERNAL, errorMessage(err));
      opts.log(`CNI ${method} failed: code ${e.code}: ${e.message}${e.details ? ` (${e.details})` : ""}`);
      return { error: { code: e.code, message: e.message, ...(e.details ? { details: e.details } : {}) } };
    }
  };
}

function decodeRequest(text: string): z.infer<typeof cniRequestSchema> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new CniServerError(CniErrorCode.DECODING_FAILURE, `request is not JSON: ${errorMessage(err)}`);
  }
  const parsed = cniRequestSchema.safeParse(json);
  if (!parsed.success) {
    throw new CniServerError(CniErrorCode.DECODING_FAILURE, `invalid request: ${parsed.error.message}`);
  }
  return parsed.data;
}

const prevResultSchema = z.looseObject({
  ips: z.array(z.looseObject({ address: z.string(), gateway: z.string() })).min(1),
});

/** The interface ADD made, as the runtime's cached result (prevResult) describes it: CHECK after an agent restart. */
function fromPrevResult(args: CniArgs, conf: NetworkConfig): PodInterfaceRequest {
  const parsed = prevResultSchema.safeParse(conf.prevResult);
  const ip = parsed.success ? parsed.data.ips[0] : undefined;
  if (!ip) {
    throw new CniServerError(
      CniErrorCode.UNKNOWN_CONTAINER,
      `no interface ${args.ifname} known for container ${args.container_id}, and no prevResult with its address`,
    );
  }
  const ref = parsePodRef(args.args);
  return {
    podName: ref.name,
    podNamespace: ref.namespace,
    containerId: args.container_id,
    netnsPath: args.netns,
    ifName: args.ifname,
    ip: ip.address,
    gateway: ip.gateway,
    mtu: conf.mtu ?? DEFAULT_MTU,
  };
}
