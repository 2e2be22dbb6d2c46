// The NetworkPolicy flows in the agent's desired state: one owner per flow (`networkpolicy/<table/priority/match>`),
// so that a new set of flows changes exactly the owners whose flow differs, and the OVS bundle holds only those.
import { type Flow, flowKey, renderFlow } from "../openflow/flow.ts";
import type { FlowInstaller } from "../openflow/flow-installer.ts";

const OWNER_PREFIX = "networkpolicy/";

export class OwnedFlows {
  private owners = new Set<string>();

  constructor(private readonly installer: FlowInstaller) {}

  /** Makes the policy flows in OVS exactly `wanted`; returns how many flows were added, changed or removed. */
  async apply(wanted: readonly Flow[]): Promise<number> {
    const byOwner = new Map(wanted.map((f) => [OWNER_PREFIX + flowKey(f), f]));
    let changed = 0;
    await this.installer.update((tx) => {
      for (const [owner, flow] of byOwner) {
        const [current] = this.installer.state.flowsOf(owner);
        if (current && renderFlow(current) === renderFlow(flow)) continue;
        tx.setFlows(owner, [flow]);
        changed++;
      }
      for (const owner of this.owners) {
        if (byOwner.has(owner)) continue;
        tx.deleteFlows(owner);
        changed++;
      }
    });
    this.owners = new Set(byOwner.keys());
    return changed;
  }
}
