// The seam between "a topology" and "a running cluster". The embedded lab (lab/netns) and kind (lab/kind) both
// implement Provider, in the spirit of kind's cluster provider and containerlab's runtime interface: a small set
// of verbs over named labs, with everything else (scenarios, probes, reports) written once against it.
import type { ResolvedTopology } from "./topology/resolve.ts";
import type { TopologyFile } from "./topology/schema.ts";

export type ProviderName = "netns" | "kind";

/** Where a command runs. `pod` needs the lab's Kubernetes API (provider `kind`, or the embedded control plane). */
export type ExecTarget =
  | { kind: "node"; name: string }
  | { kind: "external"; name: string }
  | { kind: "pod"; namespace: string; name: string; container?: string };

export interface ExecOptions {
  /** "inherit" wires the caller's terminal (interactive use); "pipe" captures output. Default "pipe". */
  stdio?: "inherit" | "pipe";
  input?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Disturbances a scenario can inject. Every fault has an inverse, so a test can undo it. */
export type Fault =
  /** Send a signal to one of a node's lab processes (SIGSTOP/SIGCONT pause and resume it, as Antrea's e2e does). */
  | {
      type: "signal";
      node: string;
      process: NodeProcessName;
      signal: "SIGSTOP" | "SIGCONT" | "SIGTERM" | "SIGKILL";
    }
  /** Take a node's underlay link down or up (the node is cut off but keeps running). */
  | { type: "link"; node: string; state: "down" | "up" }
  /** Stop a lab daemon gracefully (SIGTERM) and start it again with the same configuration. */
  | { type: "restart"; node: string; process: RestartableProcessName };

/**
 * reference: this project's Antrea-compatible agent, controller and CNI plugin; antrea: real Antrea (kind only);
 * none: no CNI at all, nodes stay NotReady until you install one (kind's disableDefaultCNI).
 */
export type StackName = "reference" | "antrea" | "none";

/**
 * Every node carries this label with its topology name on every provider, so that scenarios can place Pods with
 * `nodeSelector: { ovslab.dev/topology-node: worker }` whatever the provider calls the node.
 */
export const TOPOLOGY_NODE_LABEL = "ovslab.dev/topology-node";

export type NodeProcessName =
  | "ovsdb-server"
  | "ovs-vswitchd"
  | "control-plane"
  | "controller"
  | "kubelet"
  | "agent";
export type RestartableProcessName = "control-plane" | "controller" | "kubelet" | "agent" | "ovs-vswitchd";

export interface HostStatus {
  name: string;
  role: "control-plane" | "worker" | "external";
  address: string;
  podCIDR?: string;
  /** "running" when every process and kernel object of the host is present. */
  state: "running" | "degraded" | "stopped";
  detail?: string;
}

export interface LabStatus {
  name: string;
  provider: ProviderName;
  topology: ResolvedTopology;
  hosts: HostStatus[];
  stateDir?: string;
  kubeconfig?: string;
}

export interface UpOptions {
  /** Overrides the topology's `name`. */
  name?: string;
  /** Receives one line per finished step ("created node worker (84 ms)"). */
  progress?: (event: ProgressEvent) => void;
  /** Aborting rolls back whatever `up` created so far, then rejects. */
  signal?: AbortSignal;
  /** Networking stack to deploy; each provider has its default (netns: reference, kind: antrea). */
  stack?: StackName;
}

export interface ProgressEvent {
  step: string;
  ms: number;
}

export interface DownReport {
  name: string;
  /** Kernel objects and processes removed. */
  removed: number;
  /** False when the lab did not exist (down is idempotent). */
  existed: boolean;
}

export interface Provider {
  readonly name: ProviderName;
  /** Checks host prerequisites (programs, privileges, kernel features); throws an Error naming what is missing. */
  preflight(): Promise<void>;
  /** Creates the lab and returns when every node is running. Rolls back on failure or abort. */
  up(topology: TopologyFile, opts?: UpOptions): Promise<LabStatus>;
  /** Removes everything the lab created; idempotent; works after the process that ran `up` died. */
  down(name: string): Promise<DownReport>;
  /** Names of labs of this provider that exist on this machine (running or half-built). */
  list(): Promise<string[]>;
  /** Undefined when no such lab exists. */
  status(name: string): Promise<LabStatus | undefined>;
  exec(name: string, target: ExecTarget, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult>;
  fault(name: string, fault: Fault): Promise<void>;
}
