// The agent's configuration file (JSON), the counterpart of Antrea's antrea-agent.conf for what this agent
// supports. Relative paths are resolved against the file's directory.
import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, resolve } from "node:path";
import { z } from "zod";
import { nodePortLocalConfigSchema } from "./nodeportlocal/config.ts";

const netnsName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const agentConfigSchema = z.strictObject({
  /** The Node this agent serves (its spec.podCIDR and InternalIP drive everything). */
  nodeName: z.string().min(1).max(253),
  /** Credentials and server of the Kubernetes API. */
  kubeconfig: z.string().min(1),
  /** OVS_RUNDIR of the node's Open vSwitch (db.sock, <bridge>.mgmt, pid files). */
  ovsRundir: z.string().min(1),
  tunnelType: z.enum(["vxlan", "geneve"]).default("vxlan"),
  /** MTU of Pod interfaces and antrea-gw0: the underlay MTU minus the encapsulation overhead. */
  mtu: z.number().int().min(576).max(9000).default(1450),
  /** Where the CNI server listens (the CNI plugin is told this path). */
  cniSocket: z.string().min(1).default("/var/run/antrea/cni.sock"),
  /** Where the conflist is installed once the agent is ready. */
  cniConfDir: z.string().min(1).default("/etc/cni/net.d"),
  /** host-local's allocation directory, written into the conflist (host-local's default when unset). */
  cniIpamDataDir: z.string().min(1).optional(),
  /**
   * The node's network namespace, when the agent itself runs in another one (tests): every non-OVS command
   * (ip, iptables, sysctl, arping, ethtool) then runs there. Unset in a lab, where the agent lives in the node.
   */
  nodeNetns: z.string().regex(netnsName, "is not a network namespace name").optional(),
  /** AntreaProxy: ClusterIP Services are load-balanced by OVS (Service tables in the pipeline). */
  antreaProxy: z.strictObject({ enable: z.boolean().default(true) }).default({ enable: true }),
  /**
   * Feature gates (Antrea's defaults). AntreaPolicy and Egress change the pipeline's tables (so their numbers
   * match Antrea's stock configuration); Traceflow adds flows only while a trace runs.
   */
  featureGates: z
    .strictObject({
      AntreaPolicy: z.boolean().default(true),
      Egress: z.boolean().default(true),
      Traceflow: z.boolean().default(true),
    })
    .default({ AntreaPolicy: true, Egress: true, Traceflow: true }),
  /** No MASQUERADE for Pod traffic leaving the node (Antrea's noSNAT). */
  noSNAT: z.boolean().default(false),
  /** How often the agent checks that OVS still has its flows (they vanish when ovs-vswitchd restarts). */
  flowCheckIntervalSeconds: z.number().positive().default(1),
  /** How often the AntreaAgentInfo heartbeat is posted (Antrea: 60 s). */
  agentInfoIntervalSeconds: z.number().positive().default(60),
  /** NodePortLocal: per-Pod node ports for annotated Services (Antrea's chart default: disabled). */
  nodePortLocal: nodePortLocalConfigSchema,
});

export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type AgentConfig = z.output<typeof agentConfigSchema>;

/** Validates a configuration object; `source` names it in errors. */
export function parseAgentConfig(input: unknown, source = "agent config"): AgentConfig {
  const parsed = agentConfigSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new Error(`invalid ${source}: ${issues.join("; ")}`);
  }
  return parsed.data;
}

/** Reads and validates the JSON config file at `path`; relative paths in it are taken from its directory. */
export async function loadAgentConfig(path: string): Promise<AgentConfig> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new Error(`cannot read agent config ${path}: ${(err as Error).message}`);
  }
  const config = parseAgentConfig(json, `agent config ${path}`);
  const base = dirname(resolve(path));
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(base, p));
  return {
    ...config,
    kubeconfig: abs(config.kubeconfig),
    ovsRundir: abs(config.ovsRundir),
    cniSocket: abs(config.cniSocket),
    cniConfDir: abs(config.cniConfDir),
    ...(config.cniIpamDataDir ? { cniIpamDataDir: abs(config.cniIpamDataDir) } : {}),
  };
}
