// Per-lab PKI made with the openssl CLI: a CA and an API server certificate whose SAN lists the addresses
// clients use (always including 127.0.0.1 and the in-cluster `kubernetes.default.svc` names).
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { run } from "../../images/common/exec.ts";

export interface PkiOptions {
  /** Server certificate IP SANs (127.0.0.1 is always added). */
  ips: string[];
  /** Extra DNS SANs besides localhost and the kubernetes.default names. */
  dnsNames?: string[];
  /** Certificate lifetime; default 3650 days. */
  days?: number;
}

export interface Pki {
  caCertPem: string;
  caKeyPem: string;
  serverCertPem: string;
  serverKeyPem: string;
  caCertPath: string;
  caKeyPath: string;
  serverCertPath: string;
  serverKeyPath: string;
}

const DEFAULT_DNS = [
  "localhost",
  "kubernetes",
  "kubernetes.default",
  "kubernetes.default.svc",
  "kubernetes.default.svc.cluster.local",
];

const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

function serial(): string {
  return `0x${randomBytes(16).toString("hex")}`;
}

/** Creates (or overwrites) ca.crt, ca.key, apiserver.crt and apiserver.key in `dir`. */
export async function createPki(dir: string, opts: PkiOptions): Promise<Pki> {
  for (const ip of opts.ips)
    if (isIP(ip) === 0) throw new Error(`createPki: ${JSON.stringify(ip)} is not an IP address`);
  mkdirSync(dir, { recursive: true });
  const days = String(opts.days ?? 3650);
  const p = {
    caCertPath: join(dir, "ca.crt"),
    caKeyPath: join(dir, "ca.key"),
    serverCertPath: join(dir, "apiserver.crt"),
    serverKeyPath: join(dir, "apiserver.key"),
  };
  const csrPath = join(dir, "apiserver.csr");
  const extPath = join(dir, "apiserver.ext");
  await run([
    "openssl",
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    p.caKeyPath,
    "-out",
    p.caCertPath,
    "-days",
    days,
    "-subj",
    "/CN=ovslab-ca",
    "-set_serial",
    serial(),
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
  ]);
  await run([
    "openssl",
    "req",
    "-new",
    ...EC_KEY,
    "-keyout",
    p.serverKeyPath,
    "-out",
    csrPath,
    "-subj",
    "/CN=kube-apiserver",
  ]);
  const ips = [...new Set(["127.0.0.1", ...opts.ips])];
  const dns = [...new Set([...DEFAULT_DNS, ...(opts.dnsNames ?? [])])];
  const san = [...ips.map((ip) => `IP:${ip}`), ...dns.map((d) => `DNS:${d}`)].join(",");
  writeFileSync(
    extPath,
    [
      "basicConstraints=critical,CA:FALSE",
      "keyUsage=critical,digitalSignature,keyEncipherment",
      "extendedKeyUsage=serverAuth",
      `subjectAltName=${san}`,
      "",
    ].join("\n"),
  );
  try {
    await run([
      "openssl",
      "x509",
      "-req",
      "-in",
      csrPath,
      "-CA",
      p.caCertPath,
      "-CAkey",
      p.caKeyPath,
      "-set_serial",
      serial(),
      "-days",
      days,
      "-extfile",
      extPath,
      "-out",
      p.serverCertPath,
    ]);
  } finally {
    rmSync(csrPath, { force: true });
    rmSync(extPath, { force: true });
  }
  chmodSync(p.caKeyPath, 0o600);
  chmodSync(p.serverKeyPath, 0o600);
  return {
    ...p,
    caCertPem: readFileSync(p.caCertPath, "utf8"),
    caKeyPem: readFileSync(p.caKeyPath, "utf8"),
    serverCertPem: readFileSync(p.serverCertPath, "utf8"),
    serverKeyPem: readFileSync(p.serverKeyPath, "utf8"),
  };
}

/** A random bearer token (256 bits, hex). */
export function randomToken(): string {
  return randomBytes(32).toString("hex");
}
