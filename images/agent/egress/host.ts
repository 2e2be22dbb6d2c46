// The node's side of Egress, outside br-int's flows:
// - the Egress IPs this Node holds, as `<ip>/32` on the transport interface (br-phy in a lab). Antrea puts them on
//   a dummy antrea-egress0, which works with the kernel datapath; here the underlay reaches a node only through
//   br-phy's tap, so the address goes there: the kernel answers ARP for it on br-phy (arp_ignore=1 answers only
//   on the interface that has the address), and OVS's native tunnelling terminates VXLAN sent to it, because OVS
//   listens on every address of its bridge ports (`ovs-appctl tnl/ports/show -v`). Every /32 on the transport
//   interface belongs to this module.
// - gratuitous ARP when an IP arrives, so that the neighbours on the underlay move to this Node;
// - OVS routes for Egress IPs held by other Nodes: via that Node's address (see syncTunnelRoutes);
// - iptables: Antrea's SNAT rules in nat ANTREA-POSTROUTING (before its masquerade rule), and the mangle chain
//   OVSLAB-EGRESS-MARK that turns the marker source MAC (flows.ts) into the packet mark those rules match.
import type { OvsTools } from "../../common/ovs.ts";
import type { NodeExec } from "../host/node-exec.ts";
import { GATEWAY_PORT } from "../pipeline/constants.ts";
import { markMac } from "./flows.ts";
import { SNAT_MARK_MASK } from "./marks.ts";

const POSTROUTING_CHAIN = "ANTREA-POSTROUTING";
const SNAT_COMMENT = "Antrea: SNAT Pod to external packets";
const MARK_CHAIN = "OVSLAB-EGRESS-MARK";
const MARK_JUMP = [
  "PREROUTING",
  "-i",
  GATEWAY_PORT,
  "-m",
  "comment",
  "--comment",
  "ovslab: Egress SNAT marks carried in the source MAC",
  "-j",
  MARK_CHAIN,
];

interface AddrJson {
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

/** The `<ip>/32` addresses on `iface`: the Egress IPs this Node holds now. */
export async function heldIPs(exec: NodeExec, iface: string): Promise<Set<string>> {
  const links = JSON.parse(
    (await exec.output(["ip", "-j", "-4", "address", "show", "dev", iface])) || "[]",
  ) as AddrJson[];
  const ips = links.flatMap((l) => l.addr_info ?? []).filter((a) => a.prefixlen === 32 && a.local);
  return new Set(ips.map((a) => a.local!));
}

export async function holdIP(exec: NodeExec, iface: string, ip: string): Promise<void> {
  await exec.ip([`address replace ${ip}/32 dev ${iface}`]);
}

/** Idempotent: an address already gone is fine. */
export async function releaseIP(exec: NodeExec, iface: string, ip: string): Promise<void> {
  await exec.ip([`address del ${ip}/32 dev ${iface}`], { force: true });
}

/** One gratuitous ARP for `ip` from `iface` (arping returns about a second after sending). */
export async function announceIP(exec: NodeExec, iface: string, ip: string): Promise<void> {
  await exec.run(["arping", "-q", "-U", "-c", "1", "-I", iface, "-s", ip, ip]);
}

/**
 * Makes OVS's own /32 routes (`ovs/route/add`, shown as "User:") on `iface` exactly `routes`: Egress IP -> the
 * transport address of the Node that holds it. OVS routes tunnel destinations with these first, so traffic
 * tunnelled to an Egress IP goes to its owner's MAC, found like any peer's, whatever the Egress IP's subnet and
 * whoever else still answers ARP for it (a stopped agent's Node keeps the address until the agent runs again).
 * The routes go when ovs-vswitchd restarts; the next sync puts them back.
 */
export async function syncTunnelRoutes(
  ovs: OvsTools,
  iface: string,
  nodeIP: string,
  routes: ReadonlyMap<string, string>,
): Promise<void> {
  const shown = (await ovs.appctl("ovs-vswitchd", ["ovs/route/show"])).stdout;
  const present = new Map<string, string>();
  for (const m of shown.matchAll(/^User: (\S+)\/32 dev (\S+) GW (\S+)/gm)) {
    if (m[2] === iface) present.set(m[1]!, m[3]!);
  }
  // Adding replaces a route of the same prefix, so only IPs no longer held elsewhere are deleted.
  const stale = [...present.keys()].filter((ip) => !routes.has(ip));
  for (const ip of stale) await ovs.appctl("ovs-vswitchd", ["ovs/route/del", `${ip}/32`]);
  if (stale.length) await rereadTunnelEndpoints(ovs, iface, nodeIP);
  for (const [ip, via] of routes) {
    if (present.get(ip) !== via) await ovs.appctl("ovs-vswitchd", ["ovs/route/add", `${ip}/32`, iface, via]);
  }
}

/**
 * OVS 3.1 forgets all tunnel endpoints (the addresses it terminates tunnels for) of an interface whenever one of its
 * routes on that interface is deleted (ovs-router calls tnl_port_map_delete_ipdev), and learns them again only when
 * a route on the interface is added: adding a route to the node's own address makes it read the interface again.
 */
async function rereadTunnelEndpoints(ovs: OvsTools, iface: string, nodeIP: string): Promise<void> {
  await ovs.appctl("ovs-vswitchd", ["ovs/route/add", `${nodeIP}/32`, iface]);
}

/**
 * The `addresses` (the node's own, the Egress IPs it holds) for which OVS does not terminate tunnels on `iface`;
 * when there are any, OVS is made to read the interface again (a new address may just not be seen yet).
 */
export async function ensureTunnelEndpoints(
  ovs: OvsTools,
  iface: string,
  nodeIP: string,
  addresses: Iterable<string>,
): Promise<string[]> {
  const listening = (await ovs.appctl("ovs-vswitchd", ["tnl/ports/show", "-v"])).stdout;
  const missing = [...addresses].filter((ip) => !listening.includes(`ipv4(dst=${ip},`));
  if (missing.length) await rereadTunnelEndpoints(ovs, iface, nodeIP);
  return missing;
}

export interface SNATRule {
  ip: string;
  mark: number;
}

const hexMark = (mark: number) => `0x${mark.toString(16).padStart(2, "0")}/0x${SNAT_MARK_MASK.toString(16)}`;

/** Antrea's rule (route_linux.go), as it appears in `iptables-save`. */
function snatRuleSpec(r: SNATRule): string[] {
  return [
    "-m",
    "comment",
    "--comment",
    SNAT_COMMENT,
    "!",
    "-o",
    GATEWAY_PORT,
    "-m",
    "mark",
    "--mark",
    hexMark(r.mark),
    "-j",
    "SNAT",
    "--to",
    r.ip,
  ];
}

/** The SNAT rules in ANTREA-POSTROUTING now (iptables prints them normalized: `--mark 0x1/0xff ... --to-source`). */
async function listSNATRules(exec: NodeExec): Promise<SNATRule[]> {
  const res = await exec.run(["iptables", "-w", "-t", "nat", "-S", POSTROUTING_CHAIN], {
    allowFailure: true,
  });
  if (res.code !== 0) return [];
  return res.stdout.split("\n").flatMap((line) => {
    if (!line.includes(`"${SNAT_COMMENT}"`)) return [];
    const m = /--mark (0x[0-9a-f]+)\/0xff .*--to-source (\S+)/.exec(line);
    return m ? [{ mark: Number(m[1]), ip: m[2]! }] : [];
  });
}

/**
 * Antrea's SNAT rules, inserted at the top of ANTREA-POSTROUTING (so, before the masquerade rule), and the mangle
 * chain that marks packets by their marker source MAC.
 */
export class SNATRules {
  /** The mangle chain as last written, to skip rewriting it when nothing changed. */
  private markChain?: string;

  constructor(private readonly exec: NodeExec) {}

  /** Makes the rules exactly `rules`. */
  async sync(rules: readonly SNATRule[]): Promise<void> {
    const { exec } = this;
    const key = (r: SNATRule) => `${r.mark}/${r.ip}`;
    const wanted = new Map(rules.map((r) => [key(r), r]));
    const present = new Map((await listSNATRules(exec)).map((r) => [key(r), r]));
    for (const [k, r] of present) {
      if (!wanted.has(k))
        await exec.run(["iptables", "-w", "-t", "nat", "-D", POSTROUTING_CHAIN, ...snatRuleSpec(r)]);
    }
    for (const [k, r] of wanted) {
      if (!present.has(k))
        await exec.run(["iptables", "-w", "-t", "nat", "-I", POSTROUTING_CHAIN, "1", ...snatRuleSpec(r)]);
    }
    const marks = [...new Set(rules.map((r) => r.mark))].sort((a, b) => a - b);
    const chain = [
      "*mangle",
      `:${MARK_CHAIN} - [0:0]`,
      ...marks.map(
        (m) => `-A ${MARK_CHAIN} -m mac --mac-source ${markMac(m)} -j MARK --set-xmark ${hexMark(m)}`,
      ),
      "COMMIT",
      "",
    ].join("\n");
    if (chain !== this.markChain) {
      await exec.run(["iptables-restore", "-w", "--noflush"], { input: chain });
      const jump = await exec.run(["iptables", "-w", "-t", "mangle", "-C", ...MARK_JUMP], {
        allowFailure: true,
      });
      if (jump.code !== 0) await exec.run(["iptables", "-w", "-t", "mangle", "-A", ...MARK_JUMP]);
      this.markChain = chain;
    }
  }
}
