// br-int and its two fixed ports, created the way the userspace datapath needs them (datapath_type=netdev,
// reference/ovs-userspace-datapath.md §1): antrea-tun0, a flow-based tunnel (remote_ip=flow, key=flow; OVS
// native tunnelling finds the local end through the node's routes), and antrea-gw0, an internal port whose MAC
// is fixed in OVSDB so that it survives ovs-vswitchd restarts. Everything is --may-exist: an agent restart keeps
// the bridge, its ports and their ofports. The pipeline's table names go into the bridge's Flow_Table rows, so
// `ovs-ofctl dump-flows --names` shows `table=Classifier` as on a real Antrea node.
import type { OvsTools } from "../common/ovs.ts";
import { BRIDGE, GATEWAY_OFPORT, GATEWAY_PORT, TUNNEL_OFPORT, TUNNEL_PORT } from "./pipeline/constants.ts";
import type { Pipeline } from "./pipeline/tables.ts";

export interface BridgeOptions {
  tunnelType: "vxlan" | "geneve";
  gatewayMAC: string;
  mtu: number;
  pipeline: Pipeline;
}

export interface BridgePorts {
  tunnelOfport: number;
  gatewayOfport: number;
}

export async function ensureBridge(ovs: OvsTools, opts: BridgeOptions): Promise<BridgePorts> {
  const tables = opts.pipeline.tables;
  await ovs.vsctl([
    "--may-exist",
    "add-br",
    BRIDGE,
    "--",
    "set",
    "bridge",
    BRIDGE,
    "datapath_type=netdev",
    "fail_mode=secure",
    "protocols=OpenFlow10,OpenFlow15",
    "--",
    "--may-exist",
    "add-port",
    BRIDGE,
    TUNNEL_PORT,
    "--",
    "set",
    "interface",
    TUNNEL_PORT,
    `type=${opts.tunnelType}`,
    "options:remote_ip=flow",
    "options:key=flow",
    `ofport_request=${TUNNEL_OFPORT}`,
    "--",
    "--may-exist",
    "add-port",
    BRIDGE,
    GATEWAY_PORT,
    "--",
    "set",
    "interface",
    GATEWAY_PORT,
    "type=internal",
    `ofport_request=${GATEWAY_OFPORT}`,
    `mac="${opts.gatewayMAC}"`,
    `mtu_request=${opts.mtu}`,
    "--",
    "clear",
    "bridge",
    BRIDGE,
    "flow_tables",
    ...tables.flatMap((t) => ["--", `--id=@t${t.id}`, "create", "Flow_Table", `name=${t.name}`]),
    "--",
    "set",
    "bridge",
    BRIDGE,
    ...tables.map((t) => `flow_tables:${t.id}=@t${t.id}`),
  ]);
  const [tunnelOfport, gatewayOfport] = await Promise.all([
    ofport(ovs, TUNNEL_PORT),
    ofport(ovs, GATEWAY_PORT),
  ]);
  return { tunnelOfport, gatewayOfport };
}

/** The ofport OVS gave an interface; -1 or none means it could not be attached. */
export async function ofport(ovs: OvsTools, iface: string): Promise<number> {
  const res = await ovs.vsctl(["get", "interface", iface, "ofport"]);
  const n = Number(res.stdout.trim());
  if (!Number.isInteger(n) || n <= 0) {
    const error = (await ovs.vsctl(["get", "interface", iface, "error"], { noWait: true })).stdout.trim();
    throw new Error(`OVS could not attach ${iface} (ofport ${res.stdout.trim() || "none"}): ${error}`);
  }
  return n;
}
