// The agent's CNI server: listens on a unix socket for the antrea plugin, one request per connection (wire format
// in wire.ts), and answers through cni-service.ts. Only root can connect (mode 0600): the plugin runs as root,
// started by the kubelet.
import { chmod, mkdir, rm } from "node:fs/promises";
import { createServer, type Socket } from "node:net";
import { dirname } from "node:path";
import type { PodNetwork } from "../pod-network.ts";
import { cniService } from "./cni-service.ts";
import { CniErrorCode, errorMessage } from "./errors.ts";
import { type CniResponse, MAX_REQUEST_BYTES } from "./wire.ts";

/** Antrea waits this long for the agent's network at ADD; kept under the kubelet's 30 s plugin timeout. */
const DEFAULT_READINESS_TIMEOUT_MS = 20_000;

/** A client that has not finished sending its request by then is dropped. */
const REQUEST_READ_TIMEOUT_MS = 10_000;

export interface CniServerOptions {
  socketPath: string;
  podNetwork: PodNetwork;
  log?: (message: string) => void;
  /** Where to find host-local; default: each request's CNI_PATH. */
  ipamPluginDirs?: readonly string[];
  /** Whether the agent can wire Pods yet; ADD waits for it, STATUS reports it. Default: always ready. */
  readiness?: () => boolean | Promise<boolean>;
  /** How long ADD waits for readiness before answering TRY_AGAIN_LATER (default 20 s). */
  readinessTimeoutMs?: number;
}

export interface CniServer {
  /** Stops accepting, lets requests being handled finish, removes the socket. */
  close(): Promise<void>;
}

export async function startCniServer(opts: CniServerOptions): Promise<CniServer> {
  const log = opts.log ?? (() => {});
  const handle = cniService({
    podNetwork: opts.podNetwork,
    log,
    ipamPluginDirs: opts.ipamPluginDirs,
    readiness: opts.readiness,
    readinessTimeoutMs: opts.readinessTimeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS,
  });
  const reading = new Set<Socket>();
  const handling = new Set<Promise<void>>();

  const server = createServer({ allowHalfOpen: true }, (socket) => {
    reading.add(socket);
    socket.setTimeout(REQUEST_READ_TIMEOUT_MS, () => socket.destroy());
    socket.on("error", (err) => log(`CNI server: connection error: ${errorMessage(err)}`));
    const chunks: Buffer[] = [];
    let size = 0;
    socket.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_REQUEST_BYTES) chunks.push(chunk);
    });
    socket.on("end", () => {
      reading.delete(socket);
      socket.setTimeout(0);
      const respond = async () => {
        const response: CniResponse =
          size > MAX_REQUEST_BYTES
            ? {
                error: {
                  code: CniErrorCode.DECODING_FAILURE,
                  message: `request of ${size} bytes exceeds the limit of ${MAX_REQUEST_BYTES}`,
                },
              }
            : await handle(Buffer.concat(chunks).toString("utf8"));
        // 'close' comes however the connection ends (the plugin may have been killed meanwhile).
        await new Promise<void>((resolve) => {
          if (socket.destroyed) return resolve();
          socket.once("close", () => resolve());
          socket.end(JSON.stringify(response));
        });
      };
      const done = respond().finally(() => handling.delete(done));
      handling.add(done);
    });
    socket.on("close", () => reading.delete(socket));
  });

  await mkdir(dirname(opts.socketPath), { recursive: true, mode: 0o755 });
  // The path belongs to this agent: a socket left by a previous run would make listen fail.
  await rm(opts.socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.socketPath, () => {
      server.off("error", reject);
      resolve();
    });
  });
  await chmod(opts.socketPath, 0o600);
  log(`CNI server listening on ${opts.socketPath}`);

  return {
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of reading) socket.destroy();
      await Promise.all(handling);
      await closed;
      await rm(opts.socketPath, { force: true });
    },
  };
}
