// The one place that shells out to Open vSwitch. Every node has its own OVS, found through its run directory
// (OVS_RUNDIR), so the same tools work for any node: `ovs-vsctl`, `ovs-ofctl`, `ovs-appctl`.
import { type RunOptions, type RunResult, run } from "./exec.ts";

export type OvsDaemon = "ovsdb-server" | "ovs-vswitchd";

/** Environment that makes the OVS command-line tools find this OVS instance without extra flags. */
export function ovsEnv(rundir: string): Record<string, string> {
  return { OVS_RUNDIR: rundir, OVS_DBDIR: rundir, OVS_LOGDIR: rundir };
}

export class OvsTools {
  constructor(readonly rundir: string) {}

  get dbSocket(): string {
    return `${this.rundir}/db.sock`;
  }

  pidFile(daemon: OvsDaemon): string {
    return `${this.rundir}/${daemon}.pid`;
  }

  private opts(extra: RunOptions = {}): RunOptions {
    return { ...extra, env: { ...process.env, ...ovsEnv(this.rundir), ...extra.env } };
  }

  /**
   * ovs-vsctl. `noWait` is for when ovs-vswitchd may not be running (a waiting ovs-vsctl would block forever);
   * otherwise a timeout bounds the wait for ovs-vswitchd to apply the change.
   */
  vsctl(
    args: readonly string[],
    opts: { noWait?: boolean; timeoutS?: number } & RunOptions = {},
  ): Promise<RunResult> {
    const { noWait, timeoutS = 10, ...rest } = opts;
    const flags = [`--db=unix:${this.dbSocket}`, `--timeout=${timeoutS}`, ...(noWait ? ["--no-wait"] : [])];
    return run(["ovs-vsctl", ...flags, ...args], this.opts(rest));
  }

  /** ovs-ofctl against a bridge's management socket, OpenFlow 1.5 (groups and bundles need 1.1+). */
  ofctl(
    command: string,
    bridge: string,
    args: readonly string[] = [],
    opts: RunOptions = {},
  ): Promise<RunResult> {
    return run(
      ["ovs-ofctl", "-O", "OpenFlow15", command, `unix:${this.rundir}/${bridge}.mgmt`, ...args],
      this.opts(opts),
    );
  }

  /**
   * `ovs-ofctl bundle`: flow and group mods, one per line (`flow add ...`, `flow delete_strict ...`,
   * `group add_or_mod ...`), applied as one atomic transaction in the given order.
   */
  bundle(bridge: string, lines: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return this.ofctl("bundle", bridge, ["-"], { ...opts, input: `${lines.join("\n")}\n` });
  }

  /**
   * `ovs-ofctl --bundle replace-flows`: makes the bridge's flow table exactly `flows`, atomically. Flows that do
   * not change keep their counters.
   */
  replaceFlows(bridge: string, flows: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(
      [
        "ovs-ofctl",
        "-O",
        "OpenFlow15",
        "--bundle",
        "replace-flows",
        `unix:${this.rundir}/${bridge}.mgmt`,
        "-",
      ],
      this.opts({ ...opts, input: `${flows.join("\n")}\n` }),
    );
  }

  appctl(target: OvsDaemon, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
    return run(["ovs-appctl", "--timeout=5", "-t", target, ...args], this.opts(opts));
  }
}
