// Brings a sandbox's loopback interface up the way containerd does: a built-in one-plugin network
// running Debian's `loopback` plugin with ifName "lo", cached and deleted like any other attachment.
import { type NetworkConfigList, parseNetworkConfig } from "./config.ts";
import { addNetwork, type CniRuntimeOptions, delNetwork } from "./runtime.ts";

export const LOOPBACK_NETWORK: NetworkConfigList = parseNetworkConfig(
  JSON.stringify({ cniVersion: "1.0.0", name: "cni-loopback", plugins: [{ type: "loopback" }] }),
  "built-in loopback network",
  "list",
);

export interface Sandbox {
  readonly containerId: string;
  /** Path of the sandbox netns, e.g. /var/run/netns/NAME. */
  readonly netns: string;
}

export async function bringUpLoopback(sandbox: Sandbox, opts: CniRuntimeOptions): Promise<void> {
  await addNetwork(LOOPBACK_NETWORK, { ...sandbox, ifName: "lo" }, opts);
}

/** Undoes bringUpLoopback (drops its cache entry); safe to repeat and after the sandbox is gone. */
export async function tearDownLoopback(sandbox: Sandbox, opts: CniRuntimeOptions): Promise<void> {
  await delNetwork(LOOPBACK_NETWORK, { ...sandbox, ifName: "lo" }, opts);
}
