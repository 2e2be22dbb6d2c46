// The agent's PodNetwork: wires a Pod into br-int as Antrea's CNI server does on ADD (veth with Antrea's host name,
// OVS port with Antrea's external_ids, the Pod's flows, three gratuitous ARPs) and takes it out again on DEL.
import type { OvsTools } from "../common/ovs.ts";
import { ofport } from "./bridge.ts";
import { flowsOwner } from "./flow-owners.ts";
import type { LocalNode } from "./flows/local-node.ts";
import { podFlows } from "./flows/pod.ts";
import type { NodeIptables } from "./host/iptables.ts";
import type { NodeExec } from "./host/node-exec.ts";
import {
  announcePod,
  createPodVeth,
  deletePodVeth,
  linkExists,
  type PodVeth,
  podVethProblems,
  randomMac,
} from "./host/pod-veth.ts";
import { hostVethName } from "./interface-name.ts";
import {
  type InterfaceStore,
  type PodInterface,
  portExternalIds,
  portExternalIdsOf,
} from "./interface-store.ts";
import { parseCidr, parseIp } from "./ipv4.ts";
import type { Logger } from "./log.ts";
import type { FlowInstaller } from "./openflow/flow-installer.ts";
import { BRIDGE } from "./pipeline/constants.ts";
import type { PodInterfaceRequest, PodInterfaceResult, PodNetwork } from "./pod-network.ts";

export interface PodInterfacesDeps {
  node: LocalNode;
  ovs: OvsTools;
  exec: NodeExec;
  flows: FlowInstaller;
  iptables: NodeIptables;
  store: InterfaceStore;
  log: Logger;
}

const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;

export class PodInterfaces implements PodNetwork {
  /** Gratuitous ARPs still being sent; awaited on close so that no arping outlives the agent. */
  private readonly announcements = new Set<Promise<void>>();

  constructor(private readonly deps: PodInterfacesDeps) {}

  async add(req: PodInterfaceRequest): Promise<PodInterfaceResult> {
    const { store, log } = this.deps;
    // The values end up in ip(8) batch lines: refuse anything that is not what it claims to be.
    if (!IFNAME.test(req.ifName)) throw new Error(`invalid interface name ${JSON.stringify(req.ifName)}`);
    if (!/^\/\S+$/.test(req.netnsPath))
      throw new Error(`invalid netns path ${JSON.stringify(req.netnsPath)}`);
    parseCidr(req.ip);
    parseIp(req.gateway);
    const existing = store.get(req.containerId);
    if (existing) {
      // A repeated ADD for the same container: the same answer if nothing changed, else start over.
      const alive = await linkExists(this.deps.exec, existing.hostIfName);
      if (alive && existing.ip === ipOf(req.ip) && existing.ifName === req.ifName) return resultOf(existing);
      await this.del(req);
    }
    const veth: PodVeth = {
      hostIfName: hostVethName(req.podName, req.containerId, req.ifName),
      hostMac: randomMac(),
      podIfName: req.ifName,
      podMac: randomMac(),
      netnsPath: req.netnsPath,
      mtu: req.mtu,
      ipCidr: req.ip,
      gateway: req.gateway,
    };
    if (!IFNAME.test(veth.hostIfName)) throw new Error(`invalid Pod name ${JSON.stringify(req.podName)}`);
    try {
      await createPodVeth(this.deps.exec, veth);
      const partial = {
        containerId: req.containerId,
        podName: req.podName,
        podNamespace: req.podNamespace,
        ifName: req.ifName,
        hostIfName: veth.hostIfName,
        hostMac: veth.hostMac,
        ip: ipOf(req.ip),
        mac: veth.podMac,
      };
      const externalIds = portExternalIds({ ...partial, ofport: 0 });
      await this.deps.ovs.vsctl([
        "--may-exist",
        "add-port",
        BRIDGE,
        veth.hostIfName,
        "--",
        "set",
        "port",
        veth.hostIfName,
        ...Object.entries(externalIds).map(([k, v]) => `external_ids:${k}="${v}"`),
      ]);
      const iface: PodInterface = { ...partial, ofport: await ofport(this.deps.ovs, veth.hostIfName) };
      store.set(iface);
      await this.installFlows(iface);
      await this.deps.iptables.syncPodPorts();
      log.info(
        `Pod ${req.podNamespace}/${req.podName} (container ${req.containerId.slice(0, 12)}): ${veth.hostIfName} ofport ${iface.ofport} ${iface.ip} ${iface.mac}`,
      );
      this.track(announcePod(veth));
      return resultOf(iface);
    } catch (err) {
      await this.remove(req.containerId, veth.hostIfName).catch(() => undefined);
      throw err;
    }
  }

  async del(req: { containerId: string; netnsPath?: string; ifName: string }): Promise<void> {
    const iface = this.deps.store.get(req.containerId);
    if (!iface) return;
    await this.remove(iface.containerId, iface.hostIfName);
    this.deps.log.info(
      `Pod ${iface.podNamespace}/${iface.podName} (container ${iface.containerId.slice(0, 12)}) removed`,
    );
  }

  async check(req: PodInterfaceRequest): Promise<void> {
    const iface = this.deps.store.get(req.containerId);
    if (!iface) throw new Error(`no interface for container ${req.containerId}`);
    const problems: string[] = [];
    const expectedHost = hostVethName(req.podName, req.containerId, req.ifName);
    if (iface.hostIfName !== expectedHost)
      problems.push(`host interface is ${iface.hostIfName}, expected ${expectedHost}`);
    problems.push(
      ...(await podVethProblems(this.deps.exec, {
        hostIfName: iface.hostIfName,
        podIfName: req.ifName,
        podMac: iface.mac,
        netnsPath: req.netnsPath,
        mtu: req.mtu,
        ipCidr: req.ip,
        gateway: req.gateway,
      })),
    );
    const ids = await portExternalIdsOf(this.deps.ovs, iface.hostIfName);
    if (!ids) problems.push(`OVS port ${iface.hostIfName} does not exist`);
    else {
      for (const [k, v] of Object.entries(portExternalIds({ ...iface, ip: ipOf(req.ip) }))) {
        if (ids[k] !== v)
          problems.push(
            `OVS port ${iface.hostIfName} has external_ids ${k}=${ids[k] ?? "(none)"}, expected ${v}`,
          );
      }
    }
    if (problems.length) throw new Error(problems.join("; "));
  }

  /** Installs the flows of a Pod already in the store (after an agent restart, or when its ofport changed). */
  installFlows(iface: PodInterface): Promise<void> {
    return this.deps.flows.update((tx) =>
      tx.setFlows(flowsOwner.pod(iface.containerId), podFlows(this.deps.node, iface)),
    );
  }

  /** Waits for gratuitous ARPs still in flight. */
  async close(): Promise<void> {
    await Promise.all(this.announcements);
  }

  /** Flows, OVS port, veth, store entry and raw rule of a container: whatever of them exists. */
  private async remove(containerId: string, hostIfName: string): Promise<void> {
    const { store, ovs, exec, flows, iptables } = this.deps;
    await flows.update((tx) => tx.deleteFlows(flowsOwner.pod(containerId)));
    await ovs.vsctl(["--if-exists", "del-port", BRIDGE, hostIfName]);
    await deletePodVeth(exec, hostIfName);
    store.delete(containerId);
    await iptables.syncPodPorts();
  }

  private track(p: Promise<void>): void {
    const tracked = p
      .catch((err: unknown) => this.deps.log.warn(`gratuitous ARP failed: ${(err as Error).message}`))
      .finally(() => this.announcements.delete(tracked));
    this.announcements.add(tracked);
  }
}

function ipOf(cidr: string): string {
  return cidr.split("/")[0]!;
}

function resultOf(i: PodInterface): PodInterfaceResult {
  return { hostIfName: i.hostIfName, hostMac: i.hostMac, podMac: i.mac };
}
