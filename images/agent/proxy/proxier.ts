// AntreaProxy for ClusterIP Services: keeps one select group and its flows per Service port in br-int, in line
// with the Services and EndpointSlices the agent watches. Group ids are handed out per Service port and kept
// while it exists (they double as the flows' cookie object id).
import type { V1EndpointSlice, V1Service } from "@kubernetes/client-node";
import { flowsOwner } from "../flow-owners.ts";
import type { LocalNode } from "../flows/local-node.ts";
import { type ServicePort, serviceGroup, servicePortFlows } from "../flows/service.ts";
import { parseCidr } from "../ipv4.ts";
import type { Logger } from "../log.ts";
import type { FlowInstaller } from "../openflow/flow-installer.ts";
import { servicePorts } from "./service-ports.ts";

export class Proxier {
  private readonly installed = new Map<string, ServicePort>();
  private nextGroupId = 1;

  constructor(
    private readonly node: LocalNode,
    private readonly flows: FlowInstaller,
    private readonly log: Logger,
  ) {}

  async sync(services: readonly V1Service[], slices: readonly V1EndpointSlice[]): Promise<void> {
    const wanted = new Map<string, ServicePort>();
    for (const s of servicePorts(services, slices, parseCidr(this.node.podCIDR))) {
      const groupId = this.installed.get(s.key)?.groupId ?? this.nextGroupId++;
      wanted.set(s.key, { ...s, groupId });
    }
    const gone = [...this.installed.keys()].filter((k) => !wanted.has(k));
    const changed = [...wanted.entries()].filter(
      ([k, s]) => JSON.stringify(this.installed.get(k)) !== JSON.stringify(s),
    );
    if (!gone.length && !changed.length) return;
    await this.flows.update((tx) => {
      for (const key of gone) {
        tx.deleteFlows(flowsOwner.servicePort(key));
        tx.deleteGroup(this.installed.get(key)!.groupId);
      }
      for (const [key, s] of changed) {
        tx.setGroup(serviceGroup(this.node, s));
        tx.setFlows(flowsOwner.servicePort(key), servicePortFlows(this.node, s));
      }
    });
    for (const key of gone) {
      this.installed.delete(key);
      this.log.info(`Service port ${key} removed`);
    }
    for (const [key, s] of changed) {
      this.installed.set(key, s);
      const eps = s.endpoints.map((e) => `${e.ip}:${e.port}`).join(" ") || "none";
      this.log.info(`Service port ${key} ${s.clusterIP}:${s.port} group ${s.groupId}, Endpoints ${eps}`);
    }
  }
}
