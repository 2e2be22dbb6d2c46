// The node's CNI network configuration, as Antrea's install_cni init container installs it:
// <confDir>/10-antrea.conflist, the antrea plugin (host-local IPAM on the node's Pod CIDR) then portmap.
// Antrea's conflist leaves the IPAM range to the agent; here it is written into the file, so that the kubelet's
// runtime and a reader of the file see the node's range and gateway.

import { chmod, mkdir, rename, rm, writeFile } from "node:fs/promises";
import { isIP } from "node:net";
import { join } from "node:path";

export const CONFLIST_FILE = "10-antrea.conflist";
/** The single-plugin file older Antrea versions installed; it would shadow the conflist, so it goes. */
const STALE_CONF_FILE = "10-antrea.conf";
/** Antrea's conflist version: runtimes then skip CHECK and send DEL without prevResult. */
const CONFLIST_CNI_VERSION = "0.3.0";

export interface ConflistOptions {
  /** The node's Pod CIDR, e.g. 10.244.1.0/24. */
  podCIDR: string;
  /** The node's gateway (antrea-gw0) address, by convention the first address of podCIDR. */
  gateway: string;
  /** MTU of Pod interfaces (1450 under VXLAN). */
  mtu: number;
  /** host-local's allocation directory (its default is /var/lib/cni/networks); the lab gives each node one. */
  dataDir?: string;
}

export interface AntreaConflist {
  cniVersion: string;
  name: "antrea";
  plugins: [
    {
      type: "antrea";
      mtu: number;
      ipam: {
        type: "host-local";
        ranges: [[{ subnet: string; gateway: string }]];
        dataDir?: string;
      };
    },
    { type: "portmap"; capabilities: { portMappings: true } },
  ];
}

export function renderConflist(opts: ConflistOptions): AntreaConflist {
  validate(opts);
  return {
    cniVersion: CONFLIST_CNI_VERSION,
    name: "antrea",
    plugins: [
      {
        type: "antrea",
        mtu: opts.mtu,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: opts.podCIDR, gateway: opts.gateway }]],
          ...(opts.dataDir === undefined ? {} : { dataDir: opts.dataDir }),
        },
      },
      { type: "portmap", capabilities: { portMappings: true } },
    ],
  };
}

/**
 * Writes <confDir>/10-antrea.conflist (mode 644) so that a runtime reading the dir sees the old file or the new
 * one, never half of one, and removes a stale 10-antrea.conf. Returns the file's path.
 */
export async function installConflist(confDir: string, opts: ConflistOptions): Promise<string> {
  const text = `${JSON.stringify(renderConflist(opts), null, 2)}\n`;
  await mkdir(confDir, { recursive: true });
  const path = join(confDir, CONFLIST_FILE);
  // A dot file without a config extension: runtimes ignore it while it is being written.
  const tmp = join(confDir, `.${CONFLIST_FILE}.tmp-${process.pid}`);
  try {
    await writeFile(tmp, text);
    await chmod(tmp, 0o644); // not left to the umask
    await rename(tmp, path);
  } finally {
    await rm(tmp, { force: true });
  }
  await rm(join(confDir, STALE_CONF_FILE), { force: true });
  return path;
}

/** Removes the conflist (the node's network is then not ready); succeeds when it is already gone. */
export async function removeConflist(confDir: string): Promise<void> {
  await rm(join(confDir, CONFLIST_FILE), { force: true });
}

function validate(opts: ConflistOptions): void {
  const [address = "", prefix = "", ...rest] = opts.podCIDR.split("/");
  const family = isIP(address);
  const bits = family === 6 ? 128 : 32;
  if (!family || rest.length || !/^\d+$/.test(prefix) || Number(prefix) > bits) {
    throw new Error(
      `invalid podCIDR ${JSON.stringify(opts.podCIDR)}: expected an address/prefix like 10.244.1.0/24`,
    );
  }
  if (isIP(opts.gateway) !== family) {
    throw new Error(
      `invalid gateway ${JSON.stringify(opts.gateway)}: expected an IPv${family} address in ${opts.podCIDR}`,
    );
  }
  if (!Number.isInteger(opts.mtu) || opts.mtu < 68 || opts.mtu > 65535) {
    throw new Error(`invalid mtu ${opts.mtu}: expected an integer from 68 to 65535`);
  }
}
