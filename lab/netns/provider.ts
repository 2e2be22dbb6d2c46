// The embedded provider: every node is a network namespace with its own Open vSwitch, on an underlay bridge that
// lives in a namespace of its own. See DESIGN.md §3.
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { run, runAttached } from "../../images/common/exec.ts";
import { ovsEnv } from "../../images/common/ovs.ts";
import { isAlive } from "../common/proc.ts";
import type {
  DownReport,
  ExecOptions,
  ExecResult,
  ExecTarget,
  Fault,
  HostStatus,
  LabStatus,
  Provider,
  UpOptions,
} from "../provider.ts";
import { type ResolvedTopology, resolveTopology } from "../topology/resolve.ts";
import { LabName, type TopologyFile } from "../topology/schema.ts";
import { chooseUnderlay, withMachineLock } from "./allocate.ts";
import { createExternalHost, createNode, createUnderlay, startVswitchd } from "./build.ts";
import { clusterPaths, daemonSpec, startCluster, startDaemon } from "./cluster.ts";
import { tsxArgv } from "./entrypoints.ts";
import { listNetns } from "./kernel.ts";
import { type HostLayout, type LabLayout, layoutFor } from "./layout.ts";
import { claimStateDir, Ledger, labStateDir, latestProcesses, listStateDirs } from "./ledger.ts";
import { execInLabPod } from "./pod-exec.ts";
import { preflightNetns } from "./preflight.ts";
import { belongsToLab, readPidFile, terminate } from "./processes.ts";
import { isLabNetns, teardown } from "./teardown.ts";

/** What `up` writes to <state>/topology-data.json (containerlab writes a file of the same name and purpose). */
export interface TopologyData {
  provider: "netns";
  createdAt: string;
  topology: ResolvedTopology;
  layout: LabLayout;
}

/** The reference stack's antctl, which `exec node/NODE -- antctl ...` runs. */
const ANTCTL_ENTRY = "images/antctl/main.ts";

export class NetnsProvider implements Provider {
  readonly name = "netns" as const;

  async preflight(): Promise<void> {
    await preflightNetns();
  }

  async up(spec: TopologyFile, opts: UpOptions = {}): Promise<LabStatus> {
    const lab = opts.name ?? spec.name;
    const parsedName = LabName.safeParse(lab);
    if (!parsedName.success)
      throw new Error(`invalid lab name "${lab}": ${parsedName.error.issues[0]?.message}`);
    if (opts.stack === "antrea") {
      throw new Error("the embedded lab runs the reference stack (or none); real Antrea needs provider kind");
    }
    await this.preflight();
    const progress = opts.progress ?? (() => {});
    const timed = async <T>(step: string, fn: () => Promise<T>): Promise<T> => {
      opts.signal?.throwIfAborted();
      const t0 = performance.now();
      const result = await fn();
      progress({ step, ms: Math.round(performance.now() - t0) });
      return result;
    };

    const { topology, layout } = await timed(`allocated addresses for lab ${lab}`, () =>
      withMachineLock(async () => {
        const stateDir = await claimStateDir(lab);
        try {
          const underlay = await chooseUnderlay(spec, lab);
          const topology = resolveTopology(spec, { name: lab, underlay });
          const layout = layoutFor(topology, stateDir);
          const data: TopologyData = {
            provider: "netns",
            createdAt: new Date().toISOString(),
            topology,
            layout,
          };
          await writeFile(join(stateDir, "topology-data.json"), `${JSON.stringify(data, null, 2)}\n`);
          return { topology, layout };
        } catch (err) {
          await teardown(lab);
          throw err;
        }
      }),
    );

    const ledger = new Ledger(layout.stateDir);
    try {
      await timed(`underlay ${topology.network.underlay} (namespace ${layout.underlayNetns})`, () =>
        createUnderlay(layout, topology, ledger),
      );
      // allSettled, not all: on a failure every sibling must finish creating (and recording) before teardown runs.
      const results = await Promise.allSettled([
        ...layout.nodes.map((host) =>
          timed(`node ${host.name} ${host.address} with Open vSwitch`, () =>
            createNode(host, layout, topology, ledger),
          ),
        ),
        ...layout.external.map((host) =>
          timed(`external host ${host.name} ${host.address}`, () =>
            createExternalHost(host, layout, topology, ledger),
          ),
        ),
      ]);
      const failed = results.find((r) => r.status === "rejected");
      if (failed) throw failed.reason;
      opts.signal?.throwIfAborted();
      await startCluster(layout, topology, ledger, {
        ...(opts.stack ? { stack: opts.stack } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        progress: (step, ms) => progress({ step, ms }),
      });
    } catch (err) {
      await teardown(lab);
      throw err;
    }
    const status = await this.status(lab);
    if (!status) throw new Error(`lab ${lab} vanished while it was being created`);
    return status;
  }

  async down(name: string): Promise<DownReport> {
    const report = await teardown(name);
    return { name, ...report };
  }

  async list(): Promise<string[]> {
    const labs = new Set(await listStateDirs());
    for (const ns of await listNetns()) {
      const m = /^ol-([a-z][a-z0-9]*)(-|$)/.exec(ns);
      if (m) labs.add(m[1]!);
    }
    return [...labs].sort();
  }

  async status(name: string): Promise<LabStatus | undefined> {
    const data = await readTopologyData(name);
    if (!data) {
      // A lab without state (lost state dir) still shows up so that the user knows to `down` it.
      const orphans = (await listNetns()).filter((ns) => isLabNetns(name, ns));
      if (!orphans.length) return undefined;
      throw new Error(
        `lab ${name} has namespaces (${orphans.join(", ")}) but no state; run 'ovslab down --name ${name}'`,
      );
    }
    const netns = new Set(await listNetns());
    const entries = await new Ledger(data.layout.stateDir).entries();
    const hostStatus = async (host: HostLayout, podCIDR?: string): Promise<HostStatus> => {
      const problems: string[] = [];
      if (!netns.has(host.netns)) problems.push(`namespace ${host.netns} missing`);
      for (const e of latestProcesses(entries)) {
        if (e.host === host.name && e.pid !== undefined && !(await isAlive(e.pid)))
          problems.push(`${e.name} not running`);
      }
      return {
        name: host.name,
        role: host.role,
        address: host.address,
        ...(podCIDR ? { podCIDR } : {}),
        state: problems.length === 0 ? "running" : problems.length >= 2 ? "stopped" : "degraded",
        ...(problems.length ? { detail: problems.join("; ") } : {}),
      };
    };
    const hosts = await Promise.all([
      ...data.layout.nodes.map((h) =>
        hostStatus(h, data.topology.nodes.find((n) => n.name === h.name)?.podCIDR),
      ),
      ...data.layout.external.map((h) => hostStatus(h)),
    ]);
    const kubeconfig = clusterPaths(data.layout).kubeconfig;
    return {
      name,
      provider: "netns",
      topology: data.topology,
      hosts,
      stateDir: data.layout.stateDir,
      ...(existsSync(kubeconfig) ? { kubeconfig } : {}),
    };
  }

  async exec(
    name: string,
    target: ExecTarget,
    command: readonly string[],
    opts: ExecOptions = {},
  ): Promise<ExecResult> {
    let argv = command;
    const data = await mustReadTopologyData(name);
    if (target.kind === "pod") return execInLabPod(data.layout, target, argv, opts);
    const hosts = target.kind === "node" ? data.layout.nodes : data.layout.external;
    const host = hosts.find((h) => h.name === target.name);
    if (!host) {
      const known = hosts.map((h) => h.name).join(", ") || "none";
      throw new Error(
        `lab ${name} has no ${target.kind === "node" ? "node" : "external host"} "${target.name}" (${known})`,
      );
    }
    if (!argv.length) throw new Error("no command given");
    // OVS tools inside a node find that node's OVS through OVS_RUNDIR; `antctl` is the reference stack's, talking
    // to that node's OVS and the lab's API (as antctl in an antrea-agent container does).
    const nodeEnv =
      target.kind === "node"
        ? { ...ovsEnv(host.dir), KUBECONFIG: clusterPaths(data.layout).kubeconfig, NODE_NAME: host.name }
        : {};
    const env = { ...process.env, ...nodeEnv, ...opts.env };
    if (target.kind === "node" && argv[0] === "antctl") argv = [...tsxArgv(ANTCTL_ENTRY), ...argv.slice(1)];
    if (opts.stdio === "inherit") {
      const code = await runAttached(argv, { netns: host.netns, env });
      return { code, stdout: "", stderr: "", timedOut: false };
    }
    return run(argv, {
      netns: host.netns,
      env,
      allowFailure: true,
      ...(opts.input !== undefined ? { input: opts.input } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    });
  }

  async fault(name: string, fault: Fault): Promise<void> {
    const data = await mustReadTopologyData(name);
    const host = data.layout.nodes.find((h) => h.name === fault.node);
    if (!host) throw new Error(`lab ${name} has no node "${fault.node}"`);
    if (fault.type === "link") {
      await run(["ip", "-n", data.layout.underlayNetns, "link", "set", host.underlayPort, fault.state]);
      return;
    }
    const ledger = new Ledger(data.layout.stateDir);
    const entry = latestProcesses(await ledger.entries()).find(
      (e) => e.host === host.name && e.name === fault.process,
    );
    if (!entry) throw new Error(`node ${host.name} runs no ${fault.process}`);
    const pid = entry.pid ?? (entry.pidFile ? await readPidFile(entry.pidFile) : undefined);
    const owner = { stateDir: data.layout.stateDir, netns: [host.netns] };
    const running = pid !== undefined && (await belongsToLab(pid, owner, entry.startTime));
    if (fault.type === "signal") {
      if (!running) throw new Error(`${fault.process} of node ${host.name} is not running`);
      process.kill(pid, fault.signal);
      return;
    }
    if (fault.process === "ovs-vswitchd") {
      if (running) await terminate([pid], 5000);
      await startVswitchd(host, ledger);
      return;
    }
    const spec = daemonSpec(data.layout, host.name, fault.process);
    if (!spec) throw new Error(`${fault.process} of node ${host.name} cannot be restarted`);
    if (running) await terminate([pid], 5000);
    await startDaemon(ledger, spec);
  }
}

export async function readTopologyData(lab: string): Promise<TopologyData | undefined> {
  const file = join(labStateDir(lab), "topology-data.json");
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(await readFile(file, "utf8")) as TopologyData;
  } catch {
    return undefined;
  }
}

async function mustReadTopologyData(lab: string): Promise<TopologyData> {
  const data = await readTopologyData(lab);
  if (!data) throw new Error(`no lab named "${lab}" is running (see 'ovslab status')`);
  return data;
}
