// The agent's iptables rules in the node's namespace, each chain rewritten whole with `iptables-restore
// --noflush` (declaring a chain flushes it; other chains are left alone):
// - nat ANTREA-POSTROUTING (jumped to from POSTROUTING, Antrea's chain and comments): Pod traffic that leaves the
//   node through its transport interface is masqueraded. Antrea matches "not to a Pod IP" with an ipset; here
//   traffic between Pod CIDRs never leaves through the transport interface (it is tunnelled), so the output
//   interface says the same without ipset.
// - raw OVSLAB-AF-PACKET (not Antrea's: a need of the userspace datapath): the node kernel must not also process
//   frames that arrive on Pod veths, which OVS reads through AF_PACKET (reference/ovs-userspace-datapath.md
//   §10.1); AF_PACKET sees them before netfilter, so OVS still gets them.
import { SerialQueue } from "../serial.ts";
import type { NodeExec } from "./node-exec.ts";

const POSTROUTING_CHAIN = "ANTREA-POSTROUTING";
const AF_PACKET_CHAIN = "OVSLAB-AF-PACKET";

const JUMPS = [
  {
    table: "nat",
    rule: [
      "POSTROUTING",
      "-m",
      "comment",
      "--comment",
      "Antrea: jump to Antrea postrouting rules",
      "-j",
      POSTROUTING_CHAIN,
    ],
  },
  {
    table: "raw",
    rule: [
      "PREROUTING",
      "-m",
      "comment",
      "--comment",
      "ovslab: drop frames of OVS AF_PACKET ports in the node kernel",
      "-j",
      AF_PACKET_CHAIN,
    ],
  },
] as const;

export interface MasqueradeRule {
  podCIDR: string;
  transportInterface: string;
}

export class NodeIptables {
  private readonly queue = new SerialQueue();

  /** `podPorts`: the host ends of all Pod veths, read whenever the raw chain is rewritten. */
  constructor(
    private readonly exec: NodeExec,
    private readonly podPorts: () => readonly string[],
  ) {}

  /** Creates the chains, their jumps and the masquerade rule (none when `masquerade` is undefined: noSNAT). */
  setup(masquerade: MasqueradeRule | undefined): Promise<void> {
    return this.queue.run(async () => {
      const nat = masquerade
        ? [
            `-A ${POSTROUTING_CHAIN} -s ${masquerade.podCIDR} -o ${masquerade.transportInterface} -m comment --comment "Antrea: masquerade Pod to external packets" -j MASQUERADE`,
          ]
        : [];
      await this.restore(["*nat", `:${POSTROUTING_CHAIN} - [0:0]`, ...nat, "COMMIT", ...this.rawTable()]);
      for (const { table, rule } of JUMPS) {
        const present = await this.exec.run(["iptables", "-w", "-t", table, "-C", ...rule], {
          allowFailure: true,
        });
        if (present.code !== 0) await this.exec.run(["iptables", "-w", "-t", table, "-A", ...rule]);
      }
    });
  }

  /** Rewrites the raw chain for the Pod veths there are now. */
  syncPodPorts(): Promise<void> {
    return this.queue.run(() => this.restore(this.rawTable()));
  }

  private rawTable(): string[] {
    const drops = this.podPorts().map((p) => `-A ${AF_PACKET_CHAIN} -i ${p} -j DROP`);
    return ["*raw", `:${AF_PACKET_CHAIN} - [0:0]`, ...drops, "COMMIT"];
  }

  private async restore(lines: string[]): Promise<void> {
    await this.exec.run(["iptables-restore", "-w", "--noflush"], { input: `${lines.join("\n")}\n` });
  }
}
