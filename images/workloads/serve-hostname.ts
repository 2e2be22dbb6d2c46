// `agnhost serve-hostname [--http=true] [--tcp] [--udp] [--close] [--port=9376]`: answers every HTTP
// request, TCP connection or UDP datagram with the hostname. As in agnhost, HTTP is on by default and
// cannot be combined with TCP/UDP (`--http=false --tcp --udp` is the raw form).
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import { parseFlags, UsageError } from "./flags.ts";
import { errnoText, formatHostPort } from "./gonet.ts";
import { podHostname } from "./hostname.ts";
import { FatalError, logf } from "./log.ts";

const SPEC = {
  tcp: { kind: "bool", default: false },
  udp: { kind: "bool", default: false },
  http: { kind: "bool", default: true },
  close: { kind: "bool", default: false },
  port: { kind: "int", default: 9376 },
} as const;

export async function serveHostnameCommand(argv: readonly string[]): Promise<undefined> {
  const { flags, args } = parseFlags(argv, SPEC);
  if (args.length > 0) throw new UsageError(`accepts at most 0 arg(s), received ${args.length}`);
  if (flags.http && (flags.tcp || flags.udp)) {
    throw new FatalError("Can't server TCP/UDP mode and HTTP mode at the same time");
  }
  const name = podHostname();
  const { port } = flags;
  if (flags.tcp) {
    const server = net.createServer((conn) => {
      logf(`TCP request from ${formatHostPort(conn.remoteAddress ?? "", conn.remotePort ?? 0)}`);
      conn.end(name);
    });
    await listen(server, port, "tcp");
  }
  if (flags.udp) {
    const socket = dgram.createSocket({ type: "udp6", ipv6Only: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", (err) =>
        reject(new FatalError(`Error from ListenUDP(): listen udp :${port}: bind: ${errnoText(err)}`)),
      );
      socket.bind(port, resolve);
    });
    socket.on("message", (_msg, from) => {
      logf(`UDP request from ${formatHostPort(from.address, from.port)}`);
      socket.send(name, from.port, from.address);
    });
  }
  if (flags.http) {
    const server = http.createServer((req, res) => {
      logf(`HTTP request from ${formatHostPort(req.socket.remoteAddress ?? "", req.socket.remotePort ?? 0)}`);
      res.writeHead(200, {
        "Content-Type": "text/plain; charset=utf-8",
        ...(flags.close ? { Connection: "close" } : {}),
      });
      res.end(name);
    });
    await listen(server, port, "tcp");
  }
  // agnhost then sleeps 60 s "awaiting pod deletion"; in the lab the Pod is already being deleted, so exit
  // at once and keep Pod deletion fast.
  process.once("SIGTERM", () => {
    logf("Shutting down after receiving signal: terminated.");
    process.exit(0);
  });
  logf(`Serving on port ${port}.`);
  return undefined;
}

function listen(server: net.Server, port: number, network: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", (err) =>
      reject(new FatalError(`listen ${network} :${port}: bind: ${errnoText(err)}`)),
    );
    server.listen(port, resolve);
  });
}
