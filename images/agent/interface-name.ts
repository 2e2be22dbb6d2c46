// Antrea's name for the host end of a Pod's veth (pkg/agent/util/net.go GenerateContainerHostVethName): the first
// 8 characters of the Pod name (leading '-' removed), '-', and 6 hex digits of sha1(container id [+ ifname]).
import { createHash } from "node:crypto";

const PREFIX_LENGTH = 8;
const KEY_LENGTH = 15 - (PREFIX_LENGTH + 1);

export function hostVethName(podName: string, containerId: string, ifName = "eth0"): string {
  const key = ifName === "eth0" ? containerId : containerId + ifName;
  const hash = createHash("sha1").update(key).digest("hex").slice(0, KEY_LENGTH);
  const prefix =
    podName.length > PREFIX_LENGTH ? podName.slice(0, PREFIX_LENGTH).replace(/^-+/, "") : podName;
  return `${prefix}-${hash}`;
}
