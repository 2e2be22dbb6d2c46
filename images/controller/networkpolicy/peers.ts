// Conversions shared by K8s and Antrea-native policy translation: CIDRs, the match-all peer, ports.
import type { IPBlock, IPNet, NetworkPolicyPeer, Protocol, Service } from "../../api/controlplane.ts";

/** `10.1.2.3/8` -> {ip: "10.0.0.0", prefixLength: 8}: the network address, as Go's net.ParseCIDR gives it. */
export function cidrToIPNet(cidr: string): IPNet {
  const [ip = "", len = ""] = cidr.split("/");
  const prefixLength = Number(len);
  if (ip.includes(":")) return { ip, prefixLength };
  const value = ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const net = (value & mask) >>> 0;
  return { ip: [24, 16, 8, 0].map((s) => (net >>> s) & 0xff).join("."), prefixLength };
}

export function ipBlock(cidr: string, except: readonly string[] = []): IPBlock {
  return except.length > 0
    ? { cidr: cidrToIPNet(cidr), except: except.map(cidrToIPNet) }
    : { cidr: cidrToIPNet(cidr) };
}

/** An empty peer list matches every address: 0.0.0.0/0 and ::/0 (agents use the families they support). */
export function matchAllPeer(): NetworkPolicyPeer {
  return { ipBlocks: [ipBlock("0.0.0.0/0"), ipBlock("::/0")] };
}

export interface PortLike {
  protocol?: string;
  port?: number | string;
  endPort?: number;
}

/** Policy ports as controlplane Services (protocol defaults to TCP), and whether any port is a name. */
export function toServices(ports: readonly PortLike[] | undefined): {
  services: Service[] | undefined;
  namedPort: boolean;
} {
  if (!ports?.length) return { services: undefined, namedPort: false };
  const services = ports.map((p) => {
    const s: Service = { protocol: (p.protocol ?? "TCP") as Protocol };
    if (p.port !== undefined) s.port = p.port;
    if (p.endPort !== undefined) s.endPort = p.endPort;
    return s;
  });
  return { services, namedPort: ports.some((p) => typeof p.port === "string") };
}

/** A peer of these address groups (each once, in order) and ipBlocks; empty fields are left out. */
export function peerOf(addressGroups: readonly string[], ipBlocks: readonly IPBlock[]): NetworkPolicyPeer {
  const peer: NetworkPolicyPeer = {};
  const groups = [...new Set(addressGroups)];
  if (groups.length > 0) peer.addressGroups = groups;
  if (ipBlocks.length > 0) peer.ipBlocks = [...ipBlocks];
  return peer;
}
