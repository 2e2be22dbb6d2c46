// What the kubelet says about its node: labels, capacity, nodeInfo and conditions, built from the
// config, the host and whether the node's CNI network is configured (pure, given the host facts).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { cpus, release, totalmem } from "node:os";
import type { KubeletConfig } from "./config.ts";
import { timestamp } from "./pod-status.ts";

export const KUBELET_VERSION = "v1.32.0";
export const RUNTIME_VERSION = "ovslab://0.1.0";
export const MAX_PODS = 110;

/** Network readiness as the container runtime reports it (NetworkReady in CRI terms). */
export type NetworkState = { ready: true } | { ready: false; message: string };

export interface NodeConditionJson {
  type: string;
  status: "True" | "False" | "Unknown";
  reason: string;
  message: string;
  lastHeartbeatTime: string;
  lastTransitionTime: string;
}

export interface NodeStatusJson {
  capacity: Record<string, string>;
  allocatable: Record<string, string>;
  conditions: NodeConditionJson[];
  addresses: { type: string; address: string }[];
  daemonEndpoints: { kubeletEndpoint: { Port: number } };
  nodeInfo: Record<string, string>;
}

export function nodeLabels(config: KubeletConfig): Record<string, string> {
  return {
    "beta.kubernetes.io/arch": goArch(),
    "beta.kubernetes.io/os": "linux",
    "kubernetes.io/arch": goArch(),
    "kubernetes.io/hostname": config.nodeName,
    "kubernetes.io/os": "linux",
    ...(config.controlPlane ? { "node-role.kubernetes.io/control-plane": "" } : {}),
    ...config.labels,
  };
}

/** Host facts that do not change while the kubelet runs. */
export interface HostFacts {
  cpu: string;
  memory: string;
  nodeInfo: Record<string, string>;
}

export function hostFacts(config: KubeletConfig): HostFacts {
  const read = (path: string) => {
    try {
      return readFileSync(path, "utf8").trim();
    } catch {
      return "";
    }
  };
  const osRelease = read("/etc/os-release");
  const prettyName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1] ?? "Linux";
  // Lab nodes share the host: their ids are the host's, made distinct per lab and node.
  const id = (what: string) =>
    createHash("sha256")
      .update(`${read("/etc/machine-id")}/${config.lab}/${config.nodeName}/${what}`)
      .digest("hex");
  const uuid = id("system");
  return {
    cpu: String(cpus().length),
    memory: `${Math.floor(totalmem() / 1024)}Ki`,
    nodeInfo: {
      machineID: id("machine").slice(0, 32),
      systemUUID: `${uuid.slice(0, 8)}-${uuid.slice(8, 12)}-${uuid.slice(12, 16)}-${uuid.slice(16, 20)}-${uuid.slice(20, 32)}`,
      bootID: read("/proc/sys/kernel/random/boot_id"),
      kernelVersion: release(),
      osImage: prettyName,
      containerRuntimeVersion: RUNTIME_VERSION,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: "",
      operatingSystem: "linux",
      architecture: goArch(),
    },
  };
}

export function buildNodeStatus(
  config: KubeletConfig,
  host: HostFacts,
  network: NetworkState,
  previous: readonly { type: string; status: string; lastTransitionTime: string }[],
  now: Date,
): NodeStatusJson {
  const at = timestamp(now);
  const before = new Map(previous.map((c) => [c.type, c]));
  const condition = (type: string, ok: boolean, reason: string, message: string): NodeConditionJson => {
    const status = ok ? "True" : "False";
    const prev = before.get(type);
    return {
      type,
      status,
      reason,
      message,
      lastHeartbeatTime: at,
      lastTransitionTime: prev?.status === status ? prev.lastTransitionTime : at,
    };
  };
  const resources = { cpu: host.cpu, memory: host.memory, pods: String(MAX_PODS) };
  return {
    capacity: resources,
    allocatable: resources,
    conditions: [
      condition(
        "MemoryPressure",
        false,
        "KubeletHasSufficientMemory",
        "kubelet has sufficient memory available",
      ),
      condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
      condition("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
      network.ready
        ? condition(
            "NetworkUnavailable",
            false,
            "CNIConfigured",
            "the node's CNI network configuration is present",
          )
        : condition("NetworkUnavailable", true, "NoCNIConfig", network.message),
      network.ready
        ? condition("Ready", true, "KubeletReady", "kubelet is posting ready status")
        : condition(
            "Ready",
            false,
            "KubeletNotReady",
            `container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: ${network.message}`,
          ),
    ],
    addresses: [
      { type: "InternalIP", address: config.address },
      { type: "Hostname", address: config.nodeName },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: host.nodeInfo,
  };
}

function goArch(): string {
  const map: Record<string, string> = {
    x64: "amd64",
    arm64: "arm64",
    arm: "arm",
    ia32: "386",
    s390x: "s390x",
    ppc64: "ppc64le",
  };
  return map[process.arch] ?? process.arch;
}
