// Host prerequisites of the embedded lab, checked before anything is created so that a missing package is one
// clear message rather than a half-built lab.
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Debian package that provides each program the embedded lab runs. */
export const REQUIRED_PROGRAMS: Record<string, string> = {
  ip: "iproute2",
  iptables: "iptables",
  ethtool: "ethtool",
  sysctl: "procps",
  ping: "iputils-ping",
  "ovsdb-tool": "openvswitch-switch",
  "ovsdb-server": "openvswitch-switch",
  "ovs-vswitchd": "openvswitch-switch",
  "ovs-vsctl": "openvswitch-switch",
};

function findProgram(name: string): boolean {
  const dirs = (process.env.PATH ?? "").split(delimiter).concat(["/usr/sbin", "/sbin"]);
  return dirs.some((d) => d && existsSync(join(d, name)));
}

export async function preflightNetns(): Promise<void> {
  const problems: string[] = [];
  if (process.getuid?.() !== 0) problems.push("the embedded lab creates network namespaces: run as root");
  const missing = Object.entries(REQUIRED_PROGRAMS).filter(([prog]) => !findProgram(prog));
  if (missing.length) {
    const pkgs = [...new Set(missing.map(([, pkg]) => pkg))];
    problems.push(
      `missing programs: ${missing.map(([p]) => p).join(", ")}; install them with: ` +
        `apt-get install -y ${pkgs.join(" ")}`,
    );
  }
  if (problems.length) throw new Error(problems.join("\n"));
}
