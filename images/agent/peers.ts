// Antrea's Node route controller for encap mode: for every other Node with a Pod CIDR and an InternalIP, flows that
// tunnel its Pod CIDR to it and answer ARP for its gateway, a host route via that gateway on antrea-gw0, and the
// peer's MAC pre-seeded in OVS's tunnel neighbour cache (else OVS drops the first packet while it ARPs for the
// VTEP, reference/ovs-userspace-datapath.md §10.4).
import { createHash } from "node:crypto";
import type { V1Node } from "@kubernetes/client-node";
import type { OvsTools } from "../common/ovs.ts";
import { flowsOwner } from "./flow-owners.ts";
import type { LocalNode } from "./flows/local-node.ts";
import { type PeerNode, peerFlows } from "./flows/peer.ts";
import type { NodeExec } from "./host/node-exec.ts";
import {
  deletePeerRoutes,
  listPeerRoutes,
  type PeerRoute,
  resolveMac,
  setPeerRoutes,
} from "./host/node-network.ts";
import { formatCidr, gatewayIP, parseCidr } from "./ipv4.ts";
import { errorMessage, type Logger } from "./log.ts";
import type { FlowInstaller } from "./openflow/flow-installer.ts";

export interface PeersDeps {
  node: LocalNode;
  nodeName: string;
  exec: NodeExec;
  ovs: OvsTools;
  flows: FlowInstaller;
  /** The interface holding the node's address: OVS resolves tunnel neighbours there. */
  transportInterface: string;
  log: Logger;
}

/** A Node as a tunnel peer, or undefined when it is not one (this node, or no Pod CIDR / InternalIP yet). */
export function peerOf(node: V1Node, self: string): PeerNode | undefined {
  const name = node.metadata?.name;
  if (!name || name === self) return undefined;
  const cidr = [node.spec?.podCIDR, ...(node.spec?.podCIDRs ?? [])].find((c) => c?.includes("."));
  const nodeIP = node.status?.addresses?.find(
    (a) => a.type === "InternalIP" && a.address.includes("."),
  )?.address;
  if (!cidr || !nodeIP) return undefined;
  const podCIDR = formatCidr(parseCidr(cidr));
  return { name, podCIDR, gatewayIP: gatewayIP(podCIDR), nodeIP };
}

const samePeer = (a: PeerNode, b: PeerNode) =>
  a.podCIDR === b.podCIDR && a.gatewayIP === b.gatewayIP && a.nodeIP === b.nodeIP;

/** A stable 32-bit cookie object id for a peer. */
function objectId(name: string): number {
  return Number.parseInt(createHash("sha1").update(name).digest("hex").slice(0, 8), 16);
}

export class Peers {
  private readonly peers = new Map<string, PeerNode>();
  /** Peer transport address -> MAC, as learned by ARP, to re-seed OVS after it restarts. */
  private readonly macs = new Map<string, string>();
  private routesChecked = false;

  constructor(private readonly deps: PeersDeps) {}

  list(): PeerNode[] {
    return [...this.peers.values()];
  }

  /** Brings flows, routes and tunnel neighbours in line with the current set of Nodes. */
  async sync(nodes: readonly V1Node[]): Promise<void> {
    const { flows, exec, log } = this.deps;
    const wanted = new Map<string, PeerNode>();
    for (const n of nodes) {
      const peer = peerOf(n, this.deps.nodeName);
      if (peer) wanted.set(peer.name, peer);
    }
    const changed = [...wanted.values()].filter((p) => {
      const old = this.peers.get(p.name);
      return !old || !samePeer(old, p);
    });
    const gone = [...this.peers.values()].filter((p) => !wanted.has(p.name));
    if (!changed.length && !gone.length && this.routesChecked) return;

    await flows.update((tx) => {
      for (const p of gone) tx.deleteFlows(flowsOwner.peer(p.name));
      for (const p of changed)
        tx.setFlows(flowsOwner.peer(p.name), peerFlows(this.deps.node, p, objectId(p.name)));
    });
    const routes: PeerRoute[] = changed.map((p) => ({ cidr: p.podCIDR, via: p.gatewayIP }));
    const staleRoutes = gone.map((p) => p.podCIDR);
    if (!this.routesChecked) {
      // Routes a previous run left for Nodes that are gone meanwhile.
      const wantedCidrs = new Set([...wanted.values()].map((p) => p.podCIDR));
      for (const r of await listPeerRoutes(exec)) if (!wantedCidrs.has(r.cidr)) staleRoutes.push(r.cidr);
      routes.push(...[...wanted.values()].map((p) => ({ cidr: p.podCIDR, via: p.gatewayIP })));
    }
    await deletePeerRoutes(exec, staleRoutes);
    await setPeerRoutes(exec, routes);
    this.routesChecked = true;

    for (const p of gone) {
      this.peers.delete(p.name);
      log.info(`peer Node ${p.name} removed (Pod CIDR ${p.podCIDR})`);
    }
    for (const p of changed) {
      this.peers.set(p.name, p);
      log.info(`peer Node ${p.name}: Pod CIDR ${p.podCIDR} via tunnel to ${p.nodeIP}`);
    }
    await Promise.all(changed.map((p) => this.seedNeighbour(p.nodeIP, true)));
  }

  /** Re-applies the host routes of all peers (they go with antrea-gw0 if OVS recreated it). */
  async reapplyRoutes(): Promise<void> {
    await setPeerRoutes(
      this.deps.exec,
      this.list().map((p) => ({ cidr: p.podCIDR, via: p.gatewayIP })),
    );
  }

  /** Puts the known peer MACs back into OVS's tunnel neighbour cache (it is empty after ovs-vswitchd restarts). */
  async reseedNeighbours(): Promise<void> {
    await Promise.all(this.list().map((p) => this.seedNeighbour(p.nodeIP, false)));
  }

  private async seedNeighbour(ip: string, resolve: boolean): Promise<void> {
    const { exec, ovs, transportInterface, log } = this.deps;
    try {
      let mac = this.macs.get(ip);
      if (resolve || !mac) mac = (await resolveMac(exec, transportInterface, ip)) ?? mac;
      if (!mac) {
        log.warn(`no ARP answer from peer ${ip}; OVS will resolve it on first use`);
        return;
      }
      this.macs.set(ip, mac);
      await ovs.appctl("ovs-vswitchd", ["tnl/neigh/set", transportInterface, ip, mac]);
    } catch (err) {
      log.warn(`cannot seed the tunnel neighbour ${ip}: ${errorMessage(err)}`);
    }
  }
}
