// Creates the kernel objects and daemons of an embedded lab: the underlay, each node (netns + its own Open vSwitch
// with br-phy holding the node IP) and each external host. Every object is written to the ledger before it exists.
// The datapath facts applied here are measured in shared/reference/ovs-userspace-datapath.md (§1, §5, §10).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { run, spawnDaemon } from "../../images/common/exec.ts";
import { OvsTools, ovsEnv } from "../../images/common/ovs.ts";
import { startTime } from "../common/proc.ts";
import type { ResolvedTopology } from "../topology/resolve.ts";
import { PACKAGE_ROOT, tsxArgv } from "./entrypoints.ts";
import { ipBatch, shellIn } from "./kernel.ts";
import {
  type HostLayout,
  type LabLayout,
  PHYSICAL_BRIDGE,
  UNDERLAY_BRIDGE,
  UNDERLAY_HOST_PORT,
} from "./layout.ts";
import type { Ledger } from "./ledger.ts";
import { readPidFile } from "./processes.ts";

const OVS_SCHEMA = "/usr/share/openvswitch/vswitch.ovsschema";

/** IPv4 only, and no IPv6 chatter (router solicitations, DAD) on lab links. */
const NO_IPV6 = "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1";

export async function createUnderlay(
  layout: LabLayout,
  topo: ResolvedTopology,
  ledger: Ledger,
): Promise<void> {
  const ns = layout.underlayNetns;
  await ledger.recordAll([
    { kind: "netns", name: ns },
    { kind: "link", name: layout.hostLink },
  ]);
  await ipBatch([`netns add ${ns}`]);
  await shellIn(ns, `${NO_IPV6}\nip link set lo up`);
  const mtu = topo.network.mtu;
  await ipBatch([
    `link add ${UNDERLAY_BRIDGE} netns ${ns} mtu ${mtu} type bridge`,
    `link add ${layout.hostLink} mtu ${mtu} type veth peer name ${UNDERLAY_HOST_PORT} netns ${ns}`,
  ]);
  await ipBatch(
    [`link set ${UNDERLAY_BRIDGE} up`, `link set ${UNDERLAY_HOST_PORT} master ${UNDERLAY_BRIDGE} up`],
    { netns: ns },
  );
  // The host sits on the underlay like a docker network gateway (kubectl reaches the API server this way).
  // TX checksum offload off: frames it sends end up on OVS AF_PACKET ports, which need complete checksums.
  await run(["sysctl", "-qw", `net.ipv6.conf.${layout.hostLink}.disable_ipv6=1`]);
  await ipBatch([
    `address add ${topo.network.hostAddress}/${topo.network.underlayPrefix} dev ${layout.hostLink}`,
    `link set ${layout.hostLink} up`,
  ]);
  await run(["ethtool", "-K", layout.hostLink, "tx", "off"]);
}

/** netns + veth to the underlay bridge; the host's end is `eth0`. */
async function plugIntoUnderlay(
  host: HostLayout,
  layout: LabLayout,
  mtu: number,
  ledger: Ledger,
): Promise<void> {
  await ledger.record({ kind: "netns", name: host.netns });
  await mkdir(host.dir, { recursive: true });
  await ipBatch([
    `netns add ${host.netns}`,
    `link add eth0 netns ${host.netns} address ${host.mac} mtu ${mtu} type veth peer name ${host.underlayPort} netns ${layout.underlayNetns}`,
  ]);
  await ipBatch([`link set ${host.underlayPort} master ${UNDERLAY_BRIDGE} up`], {
    netns: layout.underlayNetns,
  });
}

export async function createNode(
  host: HostLayout,
  layout: LabLayout,
  topo: ResolvedTopology,
  ledger: Ledger,
): Promise<void> {
  const { mtu, underlayPrefix } = topo.network;
  await plugIntoUnderlay(host, layout, mtu, ledger);
  // eth0 is read by OVS through AF_PACKET; the node kernel must not also process those frames (it would answer
  // twice: DUP! pings), hence arp_ignore and the raw-table drop. The node IP lives on br-phy instead.
  await shellIn(
    host.netns,
    [
      NO_IPV6,
      "sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.arp_ignore=1",
      "ip link set lo up",
      "ip link set eth0 up",
      "iptables -t raw -A PREROUTING -i eth0 -j DROP",
    ].join("\n"),
  );
  await startOvs(host, ledger);
  const ovs = new OvsTools(host.dir);
  await ovs.vsctl([
    "add-br",
    PHYSICAL_BRIDGE,
    "--",
    "set",
    "bridge",
    PHYSICAL_BRIDGE,
    "datapath_type=netdev",
    `other_config:hwaddr=${host.mac}`,
    "--",
    "set",
    "interface",
    PHYSICAL_BRIDGE,
    `mtu_request=${mtu}`,
    "--",
    "add-port",
    PHYSICAL_BRIDGE,
    "eth0",
  ]);
  await ipBatch(
    [
      `address add ${host.address}/${underlayPrefix} dev ${PHYSICAL_BRIDGE}`,
      `link set ${PHYSICAL_BRIDGE} up`,
    ],
    { netns: host.netns },
  );
}

export async function createExternalHost(
  host: HostLayout,
  layout: LabLayout,
  topo: ResolvedTopology,
  ledger: Ledger,
): Promise<void> {
  await plugIntoUnderlay(host, layout, topo.network.mtu, ledger);
  // TX checksum offload off: the frames this host sends are read by OVS through AF_PACKET on the nodes.
  await shellIn(
    host.netns,
    [
      NO_IPV6,
      "ip link set lo up",
      "ethtool -K eth0 tx off >/dev/null",
      `ip address add ${host.address}/${topo.network.underlayPrefix} dev eth0`,
      "ip link set eth0 up",
    ].join("\n"),
  );
  await startExternalService(host, ledger);
}

/** Port of the external host's agnhost netexec (HTTP /clientip, /hostname; UDP echo on the next port), as on kind. */
export const EXTERNAL_NETEXEC_PORT = 8080;

/** "The internet": agnhost netexec, which tells a client the source address it saw (Egress and SNAT checks). */
async function startExternalService(host: HostLayout, ledger: Ledger): Promise<void> {
  const name = "netexec";
  await ledger.record({ kind: "process", name, host: host.name });
  const argv = tsxArgv(
    "images/workloads/agnhost.ts",
    "netexec",
    `--http-port=${EXTERNAL_NETEXEC_PORT}`,
    `--udp-port=${EXTERNAL_NETEXEC_PORT + 1}`,
  );
  const pid = await spawnDaemon(argv, {
    netns: host.netns,
    logFile: join(host.dir, "netexec.log"),
    cwd: PACKAGE_ROOT,
  });
  await ledger.record({
    kind: "process",
    name,
    host: host.name,
    pid,
    startTime: (await startTime(pid)) ?? "",
  });
}

/** How to start ovs-vswitchd of a node (also used to restart it: a fault scenarios inject). */
function vswitchdArgv(dir: string): string[] {
  const ovs = new OvsTools(dir);
  return [
    "ovs-vswitchd",
    `unix:${ovs.dbSocket}`,
    `--pidfile=${ovs.pidFile("ovs-vswitchd")}`,
    `--log-file=${dir}/ovs-vswitchd.log`,
    "--detach",
  ];
}

/** Starts one detached OVS daemon of a node, recording it in the ledger before and with its pid after. */
async function startOvsDaemon(
  host: HostLayout,
  ledger: Ledger,
  name: "ovsdb-server" | "ovs-vswitchd",
  argv: string[],
): Promise<void> {
  const pidFile = new OvsTools(host.dir).pidFile(name);
  await ledger.record({ kind: "process", name, host: host.name, pidFile });
  await run(argv, { netns: host.netns, env: { ...process.env, ...ovsEnv(host.dir) } });
  const pid = await readPidFile(pidFile);
  if (pid === undefined) throw new Error(`${name} of ${host.name} started but wrote no pid file ${pidFile}`);
  await ledger.record({
    kind: "process",
    name,
    host: host.name,
    pidFile,
    pid,
    startTime: (await startTime(pid)) ?? "",
  });
}

/** ovsdb-server and ovs-vswitchd of one node, each detached with a pid file in the node's directory. */
async function startOvs(host: HostLayout, ledger: Ledger): Promise<void> {
  const dir = host.dir;
  const ovs = new OvsTools(dir);
  await run(["ovsdb-tool", "create", `${dir}/conf.db`, OVS_SCHEMA]);
  await startOvsDaemon(host, ledger, "ovsdb-server", [
    "ovsdb-server",
    `${dir}/conf.db`,
    `--remote=punix:${ovs.dbSocket}`,
    `--pidfile=${ovs.pidFile("ovsdb-server")}`,
    `--log-file=${dir}/ovsdb-server.log`,
    "--detach",
  ]);
  await ovs.vsctl(["init"], { noWait: true });
  await startOvsDaemon(host, ledger, "ovs-vswitchd", vswitchdArgv(dir));
}

/**
 * Starts ovs-vswitchd of a node again after it was stopped (the bridges come back from OVSDB; OpenFlow flows do
 * not: re-installing them is the agent's job, as on a real node).
 */
export async function startVswitchd(host: HostLayout, ledger: Ledger): Promise<void> {
  await startOvsDaemon(host, ledger, "ovs-vswitchd", vswitchdArgv(host.dir));
}
