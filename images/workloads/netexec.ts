// `agnhost netexec`: the HTTP server (netexec-http.ts) and UDP server (netexec-udp.ts) that most e2e
// probes talk to. "Started HTTP server" is logged once the port really listens, so it marks readiness.
import http from "node:http";
import { parseFlags, UsageError } from "./flags.ts";
import { errnoText } from "./gonet.ts";
import { podHostname } from "./hostname.ts";
import { FatalError, logf } from "./log.ts";
import { netexecHandler } from "./netexec-http.ts";
import { startUdpServer } from "./netexec-udp.ts";

const SPEC = {
  "http-port": { kind: "int", default: 8080 },
  "udp-port": { kind: "int", default: 8081 },
  "sctp-port": { kind: "int", default: -1 },
  "http-override": { kind: "string", default: "" },
  "udp-listen-addresses": { kind: "string", default: "" },
} as const;

export async function netexecCommand(argv: readonly string[]): Promise<undefined> {
  const { flags, args } = parseFlags(argv, SPEC);
  if (args.length > 0) throw new UsageError(`accepts at most 0 arg(s), received ${args.length}`);
  const httpPort = flags["http-port"];
  let udpReady = false;
  const server = http.createServer();
  server.on(
    "request",
    netexecHandler(
      {
        hostname: podHostname(),
        ready: () => udpReady,
        shutdown: (code, timeoutMs) => {
          const finish = (outcome: string) => {
            logf(`Graceful shutdown completed with: ${outcome}`);
            process.exit(code);
          };
          setTimeout(() => finish("context deadline exceeded"), timeoutMs);
          server.close(() => finish("<nil>"));
        },
      },
      flags["http-override"],
    ),
  );

  if (flags["udp-port"] !== -1) {
    const addresses = flags["udp-listen-addresses"]
      ? [...new Set(flags["udp-listen-addresses"].split(","))]
      : [""];
    for (const address of addresses) await startUdpServer(address, flags["udp-port"], podHostname());
    udpReady = true;
  }
  if (flags["sctp-port"] !== -1)
    logf(`SCTP is not supported in the embedded lab; ignoring --sctp-port=${flags["sctp-port"]}`);

  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) => reject(new FatalError(`listen tcp :${httpPort}: bind: ${errnoText(err)}`)));
    server.listen(httpPort, resolve);
  });
  logf(`Started HTTP server on port ${httpPort}`);
  return undefined;
}
