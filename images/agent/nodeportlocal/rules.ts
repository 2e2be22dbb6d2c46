// NodePortLocal's iptables rules in the node's nat table, with Antrea's chain and rule text
// (pkg/agent/nodeportlocal/rules/iptable_rule.go): chain ANTREA-NODE-PORT-LOCAL, jumped to from PREROUTING (traffic
// from outside) and OUTPUT (from the node itself) for local destinations, one DNAT rule per mapping. The chain is
// rewritten whole by one iptables-restore, so a restart restores every rule at once and removes stale ones.
import type { NodeExec } from "../host/node-exec.ts";
import type { NplProtocol } from "./annotation.ts";

export const NPL_CHAIN = "ANTREA-NODE-PORT-LOCAL";

const JUMP = ["-p", "all", "-m", "addrtype", "--dst-type", "LOCAL", "-j", NPL_CHAIN] as const;

export interface DnatRule {
  nodePort: number;
  protocol: NplProtocol;
  podIP: string;
  podPort: number;
}

/** `-A ANTREA-NODE-PORT-LOCAL -p tcp -m tcp --dport 61002 -j DNAT --to-destination 10.10.1.5:8080`. */
export function dnatRule(r: DnatRule): string {
  return `-A ${NPL_CHAIN} -p ${r.protocol} -m ${r.protocol} --dport ${r.nodePort} -j DNAT --to-destination ${r.podIP}:${r.podPort}`;
}

export class NplRules {
  private written?: string;

  constructor(private readonly exec: NodeExec) {}

  /** Creates the chain, keeping the rules it has (they serve traffic until the first sync), and its jumps. */
  async ensureChain(): Promise<void> {
    await this.exec.run(["iptables", "-w", "-t", "nat", "-N", NPL_CHAIN], { allowFailure: true });
    for (const chain of ["PREROUTING", "OUTPUT"]) {
      const rule = [chain, ...JUMP];
      const present = await this.exec.run(["iptables", "-w", "-t", "nat", "-C", ...rule], {
        allowFailure: true,
      });
      if (present.code !== 0) await this.exec.run(["iptables", "-w", "-t", "nat", "-A", ...rule]);
    }
  }

  /** Makes the chain hold exactly these rules; nothing is run when they are what was last written. */
  async sync(rules: readonly DnatRule[]): Promise<void> {
    const sorted = [...rules].sort((a, b) => a.protocol.localeCompare(b.protocol) || a.nodePort - b.nodePort);
    const text = ["*nat", `:${NPL_CHAIN} - [0:0]`, ...sorted.map(dnatRule), "COMMIT", ""].join("\n");
    if (text === this.written) return;
    await this.exec.run(["iptables-restore", "-w", "--noflush"], { input: text });
    this.written = text;
  }
}
