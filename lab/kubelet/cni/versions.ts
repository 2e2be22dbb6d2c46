// CNI spec versions this runtime speaks, and the comparisons the spec's version gates need
// (CHECK and prevResult on DEL from 0.4.0, STATUS from 1.1.0).

/** Every released spec version, oldest first. */
export const SUPPORTED_CNI_VERSIONS = [
  "0.1.0",
  "0.2.0",
  "0.3.0",
  "0.3.1",
  "0.4.0",
  "1.0.0",
  "1.1.0",
] as const;

/** The newest spec version this runtime implements. */
export const LATEST_CNI_VERSION = "1.1.0";

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

export function isSemver(v: string): boolean {
  return SEMVER.test(v);
}

/** Compares two `x.y.z` versions: negative if a < b, 0 if equal, positive if a > b. */
export function compareVersions(a: string, b: string): number {
  const pa = parse(a);
  const pb = parse(b);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export function versionAtLeast(version: string, min: string): boolean {
  return compareVersions(version, min) >= 0;
}

export function isSupportedVersion(v: string): boolean {
  return (SUPPORTED_CNI_VERSIONS as readonly string[]).includes(v);
}

function parse(v: string): number[] {
  const m = SEMVER.exec(v);
  if (!m) throw new Error(`invalid CNI version ${JSON.stringify(v)} (expected x.y.z)`);
  return [Number(m[1]), Number(m[2]), Number(m[3])];
}
