// The seam between the agent's CNI server (which speaks the CNI protocol and runs IPAM) and the part of the agent
// that wires a Pod into OVS (veth, OVS port, flows). Antrea splits its agent the same way (cniserver vs.
// interfacestore/openflow).

/** One Pod interface to create: the IP has already been allocated by IPAM. */
export interface PodInterfaceRequest {
  podName: string;
  podNamespace: string;
  containerId: string;
  /** Path of the Pod's network namespace, e.g. /var/run/netns/ol-lab-node-1a2b3c4d. */
  netnsPath: string;
  /** Interface name inside the Pod (CNI_IFNAME, normally eth0). */
  ifName: string;
  /** Address with prefix length, e.g. 10.244.1.5/24. */
  ip: string;
  /** The node's gateway (antrea-gw0) address, e.g. 10.244.1.1. */
  gateway: string;
  mtu: number;
}

export interface PodInterfaceResult {
  /** Host-side veth name (Antrea's: 8 chars of the Pod name, '-', 6 hex of the container id hash). */
  hostIfName: string;
  hostMac: string;
  /** MAC of the interface inside the Pod. */
  podMac: string;
}

export interface PodNetwork {
  add(req: PodInterfaceRequest): Promise<PodInterfaceResult>;
  /** Idempotent: removing an interface that is already gone succeeds. */
  del(req: { containerId: string; netnsPath?: string; ifName: string }): Promise<void>;
  /** Throws an Error saying what is wrong when the interface is not as `add` left it. */
  check(req: PodInterfaceRequest): Promise<void>;
}
