// Runs the non-OVS commands of the agent (ip, iptables, sysctl, arping, ethtool) in the node's network namespace:
// the agent's own in a lab, or the namespace named by `nodeNetns` when the agent runs elsewhere (tests).
import { type RunOptions, type RunResult, run } from "../../common/exec.ts";

export class NodeExec {
  constructor(readonly netns?: string) {}

  run(argv: readonly string[], opts: Omit<RunOptions, "netns"> = {}): Promise<RunResult> {
    return run(argv, { timeoutMs: 10_000, ...opts, ...(this.netns ? { netns: this.netns } : {}) });
  }

  async output(argv: readonly string[], opts: Omit<RunOptions, "netns"> = {}): Promise<string> {
    return (await this.run(argv, opts)).stdout.trim();
  }

  /** `ip -batch -`: several ip commands in one process. */
  async ip(lines: readonly string[], opts: { force?: boolean } = {}): Promise<void> {
    if (!lines.length) return;
    await this.run(["ip", ...(opts.force ? ["-force"] : []), "-batch", "-"], {
      input: `${lines.join("\n")}\n`,
      allowFailure: opts.force === true,
    });
  }
}
