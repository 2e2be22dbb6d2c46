// The kubelet's configuration file (JSON), written by the lab for each node. Relative paths are resolved
// against the file's directory, so a lab's state dir can be moved as a whole.
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";

const dnsSubdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
// Netns names become CNI container ids (`[A-Za-z0-9][A-Za-z0-9_.-]*`); the prefix must keep that shape.
const netnsPrefix = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

const taintSchema = z.strictObject({
  key: z.string().min(1),
  value: z.string().optional(),
  effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]),
});

export const kubeletConfigSchema = z.strictObject({
  nodeName: z
    .string()
    .max(253)
    .regex(dnsSubdomain, "must be a DNS subdomain (lower-case letters, digits, '-', '.')"),
  /** Credentials and server of the API the kubelet talks to. */
  kubeconfig: z.string().min(1),
  /** The node's InternalIP (its address on the node network); also the Pods' hostIP. */
  address: z.ipv4({ message: "is not an IPv4 address" }),
  /** Lab name: part of the default sandbox prefix and of log lines. */
  lab: z.string().min(1),
  /** Extra node labels (kubernetes.io/hostname and kubernetes.io/os are always set). */
  labels: z.record(z.string(), z.string()).default({}),
  /** Adds the node-role.kubernetes.io/control-plane label. */
  controlPlane: z.boolean().default(false),
  /** Taints the Node registers with (later changes to the Node's taints are left alone). */
  taints: z.array(taintSchema).default([]),
  /** Set as spec.podCIDR at registration when the Node has none (normally node IPAM assigns it). */
  podCIDR: z.string().optional(),
  /** Pod sandboxes are network namespaces named `<sandboxPrefix>-<hash8>`; default `ol-<lab>-<nodeName>`. */
  sandboxPrefix: z.string().regex(netnsPrefix, "must start alphanumeric, then [A-Za-z0-9_.-]").optional(),
  /** Per-Pod state files, container logs and the CNI result cache. */
  stateDir: z.string().min(1),
  cni: z.strictObject({
    confDir: z.string().min(1),
    pluginDirs: z.array(z.string().min(1)).min(1).default(["/usr/lib/cni"]),
    timeoutSeconds: z.number().positive().default(30),
  }),
  /**
   * The node's network namespace, when the kubelet itself runs elsewhere (tests): CNI plugins and
   * network probes then run there via `ip netns exec`. Unset in a lab, where the kubelet lives in the node.
   */
  hostNetns: z.string().min(1).optional(),
  /** Lease renewal (and network readiness check) period. */
  heartbeatIntervalSeconds: z.number().positive().default(2),
  leaseDurationSeconds: z.number().int().positive().default(40),
  /** Node status is posted when it changes and at least this often. */
  nodeStatusReportSeconds: z.number().positive().default(10),
  /** How often each Pod worker checks its processes (and retries failed steps). */
  podSyncIntervalSeconds: z.number().positive().default(0.5),
  /** Termination grace periods longer than this are cut short. */
  maxGracePeriodSeconds: z.number().int().nonnegative().default(30),
  /** Crash-loop back-off: first delay, doubled per restart up to the maximum. */
  restartBackoff: z
    .strictObject({
      initialSeconds: z.number().positive().default(1),
      maxSeconds: z.number().positive().default(30),
    })
    .default({ initialSeconds: 1, maxSeconds: 30 }),
});

export type KubeletConfigInput = z.input<typeof kubeletConfigSchema>;
export type KubeletConfig = z.output<typeof kubeletConfigSchema> & { sandboxPrefix: string };

/** Validates a configuration object; `source` names it in errors. */
export function parseKubeletConfig(input: unknown, source = "kubelet config"): KubeletConfig {
  const parsed = kubeletConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid ${source}: ${issues.join("; ")}`);
  }
  const c = parsed.data;
  return { ...c, sandboxPrefix: c.sandboxPrefix ?? `ol-${c.lab}-${c.nodeName}` };
}

/** Reads and validates the JSON config file at `path`. */
export async function loadKubeletConfig(path: string): Promise<KubeletConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read kubelet config ${path}: ${(err as Error).message}`);
  }
  const config = parseKubeletConfig(json, `kubelet config ${path}`);
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    kubeconfig: abs(config.kubeconfig),
    stateDir: abs(config.stateDir),
    cni: { ...config.cni, confDir: abs(config.cni.confDir), pluginDirs: config.cni.pluginDirs.map(abs) },
  };
}
