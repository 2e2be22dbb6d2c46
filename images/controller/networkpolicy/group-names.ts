// Names of AddressGroups and AppliedToGroups. Antrea names a selector's group by a name-based (SHA-1, version 5)
// UUID of its normalized selector in a fixed UUID namespace, so equal selectors share one group across policies,
// and names a ClusterGroup's group after the ClusterGroup.
import { createHash } from "node:crypto";
import { type GroupSelector, normalizedName } from "./group-selector.ts";

/** pkg/controller/networkpolicy: uuidNamespace. */
const ANTREA_UUID_NAMESPACE = "e4f24a48-ca1f-4d5b-819c-ea7632b22115";

/** RFC 4122 version 5 UUID (uuid.NewSHA1 in Go, uuid.uuid5 in Python). */
export function uuidV5(namespace: string, name: string): string {
  const bytes = createHash("sha1")
    .update(Buffer.from(namespace.replaceAll("-", ""), "hex"))
    .update(name, "utf8")
    .digest()
    .subarray(0, 16);
  bytes.writeUInt8((bytes.readUInt8(6) & 0x0f) | 0x50, 6);
  bytes.writeUInt8((bytes.readUInt8(8) & 0x3f) | 0x80, 8);
  const hex = bytes.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function selectorGroupName(sel: GroupSelector): string {
  return uuidV5(ANTREA_UUID_NAMESPACE, normalizedName(sel));
}

/**
 * A namespaced Group's group. Antrea uses `<namespace>/<name>`, which is not a valid object name here; its
 * UUID takes its place.
 */
export function namespacedGroupName(namespace: string, name: string): string {
  return uuidV5(ANTREA_UUID_NAMESPACE, `${namespace}/${name}`);
}
