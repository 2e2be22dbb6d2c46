// Keeps br-int's flows and groups equal to the agent's desired state: changes go to OVS as one atomic
// `ovs-ofctl bundle` each, the whole state can be reinstalled (`--bundle replace-flows`), and a cheap check
// (`dump-aggregate`) tells whether OVS lost flows, as it does when ovs-vswitchd restarts.
import type { OvsTools } from "../../common/ovs.ts";
import { BRIDGE, COOKIE_CATEGORY_MASK, cookie } from "../pipeline/constants.ts";
import { SerialQueue } from "../serial.ts";
import { DesiredState, type Transaction } from "./desired-state.ts";
import { renderFlow, renderGroup } from "./flow.ts";

const OFCTL_TIMEOUT_MS = 15_000;
const TRACEFLOW_CATEGORY = cookie("Traceflow", 0, 0);

export class FlowInstaller {
  readonly state = new DesiredState();
  private readonly queue = new SerialQueue();

  constructor(
    private readonly ovs: OvsTools,
    readonly bridge = BRIDGE,
  ) {}

  /** Applies changes to the desired state and to OVS in one bundle; if OVS refuses, the state is left as it was. */
  update(change: (tx: Transaction) => void): Promise<void> {
    return this.queue.run(async () => {
      const tx = this.state.begin();
      change(tx);
      const lines = tx.lines();
      if (!lines.length) return;
      try {
        await this.ovs.bundle(this.bridge, lines, { timeoutMs: OFCTL_TIMEOUT_MS });
      } catch (err) {
        tx.rollback();
        throw err;
      }
    });
  }

  /** Changes the desired state only; `reinstall()` then puts all of it into OVS (agent start). */
  prepare(change: (tx: Transaction) => void): Promise<void> {
    return this.queue.run(async () => change(this.state.begin()));
  }

  /**
   * Puts every desired flow and group into OVS and leaves other flows alone (agent start: the flows an earlier run
   * installed keep working, NetworkPolicy drops included, until `reinstall()` removes what is no longer wanted).
   */
  installKeepingOthers(): Promise<void> {
    return this.queue.run(async () => {
      const lines = [
        ...this.state.groups().map((g) => `group add_or_mod ${renderGroup(g)}`),
        ...this.state.flows().map((f) => `flow add ${renderFlow(f)}`),
      ];
      if (lines.length) await this.ovs.bundle(this.bridge, lines, { timeoutMs: OFCTL_TIMEOUT_MS });
    });
  }

  /** Makes OVS hold exactly the desired flows and groups (agent start, after ovs-vswitchd lost them). */
  reinstall(): Promise<void> {
    return this.queue.run(async () => {
      const groups = this.state.groups();
      const wanted = new Set(groups.map((g) => g.id));
      // Groups before the flows that use them; stale groups after the flows that used them are gone.
      if (groups.length) {
        await this.ovs.bundle(
          this.bridge,
          groups.map((g) => `group add_or_mod ${renderGroup(g)}`),
          { timeoutMs: OFCTL_TIMEOUT_MS },
        );
      }
      await this.ovs.replaceFlows(this.bridge, this.state.flows().map(renderFlow), {
        timeoutMs: OFCTL_TIMEOUT_MS,
      });
      const stale = (await this.installedGroupIds()).filter((id) => !wanted.has(id));
      if (stale.length) {
        await this.ovs.bundle(
          this.bridge,
          stale.map((id) => `group delete group_id=${id}`),
          { timeoutMs: OFCTL_TIMEOUT_MS },
        );
      }
    });
  }

  /**
   * Whether OVS holds as many flows as desired: "missing" when it does not (flows were deleted or ovs-vswitchd
   * restarted), "unreachable" when it cannot be asked (ovs-vswitchd down). Traceflow flows are left out of the
   * comparison: they expire by their hard timeout, which is no loss.
   */
  check(): Promise<"ok" | "missing" | "unreachable"> {
    return this.queue.run(async () => {
      const total = await this.aggregateCount();
      if (total === undefined) return "unreachable";
      const traceflowDesired = this.state
        .flows()
        .filter((f) => (f.cookie & COOKIE_CATEGORY_MASK) === TRACEFLOW_CATEGORY).length;
      let traceflowInstalled = 0;
      if (traceflowDesired) {
        const count = await this.aggregateCount(
          `cookie=0x${TRACEFLOW_CATEGORY.toString(16)}/0x${COOKIE_CATEGORY_MASK.toString(16)}`,
        );
        if (count === undefined) return "unreachable";
        traceflowInstalled = count;
      }
      return total - traceflowInstalled === this.state.flowCount - traceflowDesired ? "ok" : "missing";
    });
  }

  private async aggregateCount(match?: string): Promise<number | undefined> {
    const res = await this.ovs.ofctl("dump-aggregate", this.bridge, match ? [match] : [], {
      allowFailure: true,
      timeoutMs: 5000,
    });
    const count = /flow_count=(\d+)/.exec(res.stdout)?.[1];
    return res.code !== 0 || count === undefined ? undefined : Number(count);
  }

  private async installedGroupIds(): Promise<number[]> {
    const out = await this.ovs.ofctl("dump-groups", this.bridge, [], { timeoutMs: OFCTL_TIMEOUT_MS });
    return [...out.stdout.matchAll(/group_id=(\d+)/g)].map((m) => Number(m[1]));
  }
}
