// Helpers for this folder's tests: agnhost.ts as a long-lived child process, free loopback ports, and small
// real clients (HTTP GET, one UDP exchange). Every child started here is killed by `stopAllChildren`.
import { type ChildProcess, spawn } from "node:child_process";
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import { agnhostArgv } from "./images.ts";

export interface AgnhostChild {
  readonly child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the milliseconds since spawn at which `pattern` first appeared in the output. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<number>;
  /** Resolves when the process has exited and its output is complete. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children = new Set<ChildProcess>();

export function startAgnhost(args: readonly string[], env: Record<string, string> = {}): AgnhostChild {
  const [file, ...rest] = agnhostArgv(args);
  const started = performance.now();
  const child = spawn(file ?? "", rest, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.add(child);
  let text = "";
  const waiters = new Set<() => void>();
  const onData = (d: Buffer) => {
    text += d.toString("utf8");
    for (const w of waiters) w();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    // "close", not "exit": by then all of the child's output has been read.
    child.once("close", (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    output: () => text,
    exited,
    waitForOutput(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (!pattern.test(text)) return;
          cleanup();
          resolve(performance.now() - started);
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${pattern} in agnhost output within ${timeoutMs} ms:\n${text}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        void exited.then(({ code, signal }) => {
          if (!waiters.has(check)) return;
          cleanup();
          reject(new Error(`agnhost exited (code ${code}, signal ${signal}) before ${pattern}:\n${text}`));
        });
        check();
      });
    },
  };
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once("exit", () => resolve());
          child.kill("SIGKILL");
        }),
    ),
  );
}

/** A port that is free on 127.0.0.1 for `protocol` right now (the kernel picks it). */
export async function freePort(protocol: "tcp" | "udp"): Promise<number> {
  if (protocol === "udp") {
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    const { port } = socket.address();
    await new Promise<void>((resolve) => socket.close(resolve));
    return port;
  }
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface HttpReply {
  status: number;
  body: string;
  headers: http.IncomingHttpHeaders;
  /** The client's own port, to compare with what the server reports. */
  localPort: number;
}

export function httpGet(port: number, path: string): Promise<HttpReply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent: false }, (res) => {
      const localPort = res.socket.localPort ?? 0;
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () =>
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString("utf8"),
          headers: res.headers,
          localPort,
        }),
      );
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET 127.0.0.1:${port}${path} timed out`)));
    req.on("error", reject);
  });
}

/** Sends one datagram to 127.0.0.1:port and resolves with the reply and the client's own port. */
export async function udpExchange(
  port: number,
  payload: string,
): Promise<{ reply: string; localPort: number }> {
  const socket = dgram.createSocket("udp4");
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no UDP reply from 127.0.0.1:${port}`)), 5000);
      socket.on("error", reject);
      socket.on("message", (msg) => {
        clearTimeout(timer);
        resolve({ reply: msg.toString("utf8"), localPort: socket.address().port });
      });
      socket.send(payload, port, "127.0.0.1");
    });
  } finally {
    socket.close();
  }
}

/** Opens a TCP connection to 127.0.0.1:port and resolves with everything the server sent before closing. */
export function tcpRead(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    let text = "";
    socket.setTimeout(5000, () => socket.destroy(new Error(`TCP read from 127.0.0.1:${port} timed out`)));
    socket.on("data", (d: Buffer) => {
      text += d.toString("utf8");
    });
    socket.on("end", () => resolve(text));
    socket.on("error", reject);
  });
}
