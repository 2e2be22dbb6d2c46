// Listening sockets that hold the allocated node ports (Antrea's LocalPortOpener): a TCP listener or a bound UDP
// socket on 0.0.0.0:<nodePort>, so no other program on the node takes a port whose traffic is DNATed to a Pod.
// Connections that reach them anyway (the DNAT rule is missing) are closed at once; datagrams are dropped.
import { createSocket, type Socket } from "node:dgram";
import { createServer, type Server } from "node:net";
import type { NplProtocol } from "./annotation.ts";

const key = (port: number, protocol: NplProtocol) => `${port}/${protocol}`;

export class PortSockets {
  private readonly held = new Map<string, Server | Socket>();

  /** Opens the port; false when it is in use or not allowed. */
  async open(port: number, protocol: NplProtocol): Promise<boolean> {
    if (this.held.has(key(port, protocol))) return true;
    try {
      const socket = protocol === "tcp" ? await listenTcp(port) : await bindUdp(port);
      this.held.set(key(port, protocol), socket);
      return true;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EADDRINUSE" || code === "EACCES") return false;
      throw err;
    }
  }

  async close(port: number, protocol: NplProtocol): Promise<void> {
    const socket = this.held.get(key(port, protocol));
    this.held.delete(key(port, protocol));
    if (socket) await closeSocket(socket);
  }

  async closeAll(): Promise<void> {
    const sockets = [...this.held.values()];
    this.held.clear();
    await Promise.all(sockets.map(closeSocket));
  }
}

// After setup, `reject` is a no-op: later socket errors are ignored (the port stays held or is closed by us).
function listenTcp(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((conn) => conn.destroy());
    server.on("error", reject);
    server.listen({ port, host: "0.0.0.0", exclusive: true }, () => resolve(server));
  });
}

function bindUdp(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = createSocket("udp4");
    const onBindError = (err: Error) => {
      socket.close();
      reject(err);
    };
    socket.once("error", onBindError);
    socket.on("message", () => undefined);
    socket.bind({ port, address: "0.0.0.0", exclusive: true }, () => {
      socket.off("error", onBindError);
      socket.on("error", () => undefined);
      resolve(socket);
    });
  });
}

function closeSocket(socket: Server | Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}
