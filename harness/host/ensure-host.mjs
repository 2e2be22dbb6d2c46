#!/usr/bin/env node
// Runs before `npm start`, `npm test` and `npm run bench` (npm pre-scripts): installs the Debian packages the lab
// needs and the npm dependencies, so that one command works on a fresh Debian/Ubuntu machine.
// Plain JavaScript with no dependencies, because it runs before `npm ci`.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Debian packages of the embedded lab (DESIGN.md §9). Keep in step with lab/netns/preflight.ts. */
export const HOST_PACKAGES = [
  "openvswitch-switch",
  "iproute2",
  "iptables",
  "ethtool",
  "iputils-ping",
  "iputils-arping",
  "containernetworking-plugins",
  "socat",
  "procps",
  "openssl",
  "curl",
];

function installed(pkg) {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a dpkg-query format, not a template
  const res = spawnSync("dpkg-query", ["-W", "-f=${Status}", pkg], { encoding: "utf8" });
  return res.status === 0 && res.stdout.includes("install ok installed");
}

function ensurePackages() {
  if (!existsSync("/usr/bin/dpkg-query")) {
    console.error(
      `ovslab: not a Debian/Ubuntu system; install these packages yourself: ${HOST_PACKAGES.join(" ")}`,
    );
    return;
  }
  const missing = HOST_PACKAGES.filter((p) => !installed(p));
  if (!missing.length) return;
  const command = `apt-get update && apt-get install -y --no-install-recommends ${missing.join(" ")}`;
  if (process.getuid?.() !== 0) {
    console.error(
      `ovslab: missing host packages: ${missing.join(", ")}. Install them as root with:\n  ${command}`,
    );
    process.exit(1);
  }
  console.error(`ovslab: installing host packages: ${missing.join(" ")}`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...missing], {
    stdio: "inherit",
    env,
  });
}

function ensureNodeModules() {
  const marker = join(root, "node_modules", ".package-lock.json");
  const lock = join(root, "package-lock.json");
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.error("ovslab: installing npm dependencies (npm ci)");
  execFileSync("npm", ["ci", "--no-audit", "--no-fund"], { cwd: root, stdio: "inherit" });
}

ensurePackages();
ensureNodeModules();
