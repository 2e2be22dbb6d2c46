// Process entry: `tsx lab/control-plane/main.ts --config FILE`. FILE is JSON:
//   { "host": "0.0.0.0", "port": 6443, "certFile": "...", "keyFile": "...", "token": "..." | "tokenFile": "...",
//     "serviceCIDR": "10.96.0.0/16", "snapshotFile": "...", "logLevel": "info",
//     "controllers": { "clusterCIDR": "10.244.0.0/16", "nodeMaskSize": 24, "podCIDRs": { "node": "cidr" } } }
// With "controllers", the scheduler and controllers (controllers/) run in this process too.
// Logs startup/shutdown (and, at debug level, one line per request) to stdout; exits 0 on SIGTERM/SIGINT.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { z } from "zod";
import { createLogger } from "./apiserver/log.ts";
import { startApiServer } from "./apiserver/server.ts";
import { startControllers } from "./controllers/index.ts";

const configSchema = z
  .strictObject({
    host: z.string().default("0.0.0.0"),
    port: z.number().int().min(0).max(65535).default(6443),
    certFile: z.string().min(1),
    keyFile: z.string().min(1),
    token: z.string().min(1).optional(),
    tokenFile: z.string().min(1).optional(),
    serviceCIDR: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be an IPv4 CIDR"),
    snapshotFile: z.string().min(1).optional(),
    logLevel: z.enum(["debug", "info", "warn", "error"]).default("info"),
    controllers: z
      .strictObject({
        clusterCIDR: z.string().regex(/^\d+\.\d+\.\d+\.\d+\/\d+$/, "must be an IPv4 CIDR"),
        nodeMaskSize: z.number().int().min(16).max(30).default(24),
        podCIDRs: z.record(z.string(), z.string()).default({}),
        nodeMonitorGracePeriodSeconds: z.number().positive().default(10),
      })
      .optional(),
  })
  .refine((c) => (c.token === undefined) !== (c.tokenFile === undefined), {
    message: "exactly one of token and tokenFile must be set",
  });

export type ControlPlaneConfig = z.infer<typeof configSchema>;

function loadConfig(path: string): ControlPlaneConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new Error(`config ${path}: ${(err as Error).message}`);
  }
  const r = configSchema.safeParse(raw);
  if (!r.success) throw new Error(`config ${path}: ${z.prettifyError(r.error)}`);
  return r.data;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: "string" } }, strict: true });
  if (!values.config) throw new Error("usage: main.ts --config FILE");
  const cfg = loadConfig(values.config);
  const log = createLogger(cfg.logLevel);
  const token = cfg.token ?? readFileSync(cfg.tokenFile ?? "", "utf8").trim();
  const server = await startApiServer({
    host: cfg.host,
    port: cfg.port,
    tls: { cert: readFileSync(cfg.certFile, "utf8"), key: readFileSync(cfg.keyFile, "utf8") },
    token,
    serviceCIDR: cfg.serviceCIDR,
    snapshotFile: cfg.snapshotFile,
    log,
  });
  const c = cfg.controllers;
  const stopControllers = c
    ? startControllers(server.api, {
        ipam: { clusterCIDR: c.clusterCIDR, nodeMaskSize: c.nodeMaskSize, preferred: c.podCIDRs },
        lifecycle: { gracePeriodMs: c.nodeMonitorGracePeriodSeconds * 1000 },
        log,
      })
    : () => {};
  if (c)
    log.info("controllers started: nodeipam, nodelifecycle, scheduler, deployment, replicaset, endpoints");
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`received ${signal}, shutting down`);
    stopControllers();
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error(`shutdown failed: ${String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  process.stderr.write(`control-plane: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
