// The CNI spec versions Antrea's plugin advertises (containernetworking/cni version.All: 0.1.0 … 1.1.0) and the
// version gates the spec puts on commands. images/cni/bin/antrea answers VERSION with the same list.

export const SUPPORTED_CNI_VERSIONS = [
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
  "1.1.0",
] as const;
export type CniVersion = (typeof SUPPORTED_CNI_VERSIONS)[number];

export function isSupportedVersion(v: string): v is CniVersion {
  return (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v);
}

/** Whether supported version `v` is `min` or newer (the list is ordered oldest first). */
export function versionAtLeast(v: CniVersion, min: CniVersion): boolean {
  return SUPPORTED_CNI_VERSIONS.indexOf(v) >= SUPPORTED_CNI_VERSIONS.indexOf(min);
}
