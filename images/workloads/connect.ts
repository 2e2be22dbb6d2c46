// `agnhost connect HOST:PORT [--timeout=D] [--protocol=tcp|udp|sctp] [--udp-data=S]`: one connection
// attempt whose failure is classified on stderr with agnhost's fixed prefixes, which probes count:
// TIMEOUT (dropped), REFUSED (rejected), DNS, OTHER, UNKNOWN. Exit 0 on success, 1 on any failure.
// Every failure is exactly one line, because Antrea's probe counts attempts by stderr newlines.
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import net from "node:net";
import { parseFlags, UsageError } from "./flags.ts";
import { errnoCode, errnoText, formatHostPort, splitHostPort } from "./gonet.ts";

const SPEC = {
  timeout: { kind: "duration", default: 0 },
  protocol: { kind: "string", default: "tcp" },
  "udp-data": { kind: "string", default: "hostname" },
  // Accepted so that agnhost command lines parse; SCTP itself is not available (see below).
  "sctp-data": { kind: "string", default: "hostname" },
} as const;

/** Runs the subcommand and returns the exit code; the failure line is already on stderr. */
export async function connectCommand(argv: readonly string[]): Promise<number> {
  const { flags, args } = parseFlags(argv, SPEC);
  const [dest] = args;
  if (dest === undefined || args.length !== 1) {
    throw new UsageError(`accepts 1 arg(s), received ${args.length}`);
  }
  switch (flags.protocol) {
    case "":
    case "tcp":
      return fail(await connectTCP(dest, flags.timeout));
    case "udp":
      return fail(await connectUDP(dest, flags.timeout, flags["udp-data"]));
    case "sctp":
      // Node has no SCTP sockets; say so in the OTHER class rather than pretend.
      return fail("OTHER: sctp is not supported by the embedded lab's agnhost");
    default:
      process.stderr.write(`Unsupported protocol\n${flags.protocol}`);
      return 1;
  }
}

function fail(line: string | undefined): number {
  if (line === undefined) return 0;
  process.stderr.write(`${line}\n`);
  return 1;
}

const DNS_ERROR_TEXT: Record<string, string> = {
  ENOTFOUND: "no such host",
  EAI_AGAIN: "temporary failure in name resolution",
};

type Resolved = { ok: true; ip: string; port: number } | { ok: false; line: string };

// Go's ResolveTCPAddr/ResolveUDPAddr: errors here, including a malformed port, are reported as DNS.
async function resolve(dest: string, network: "tcp" | "udp"): Promise<Resolved> {
  let host: string;
  let portText: string;
  try {
    ({ host, port: portText } = splitHostPort(dest));
  } catch (err) {
    return { ok: false, line: `DNS: ${(err as Error).message}` };
  }
  const port = /^\d+$/.test(portText) ? Number(portText) : Number.NaN;
  if (!(port >= 0 && port <= 65535))
    return { ok: false, line: `DNS: lookup ${network}/${portText}: unknown port` };
  if (host === "" || net.isIP(host)) return { ok: true, ip: host || "127.0.0.1", port };
  try {
    return { ok: true, ip: (await lookup(host)).address, port };
  } catch (err) {
    const why = DNS_ERROR_TEXT[errnoCode(err) ?? ""] ?? errnoCode(err) ?? String(err);
    return { ok: false, line: `DNS: lookup ${host}: ${why}` };
  }
}

async function connectTCP(dest: string, timeoutMs: number): Promise<string | undefined> {
  try {
    splitHostPort(dest);
  } catch (err) {
    return `UNKNOWN: ${(err as Error).message}`;
  }
  const target = await resolve(dest, "tcp");
  if (!target.ok) return target.line;
  return new Promise((settle) => {
    const socket = net.connect({ host: target.ip, port: target.port });
    const timer = timeoutMs > 0 ? setTimeout(() => done("TIMEOUT"), timeoutMs) : undefined;
    function done(line: string | undefined) {
      clearTimeout(timer);
      socket.destroy();
      settle(line);
    }
    socket.once("connect", () => done(undefined));
    socket.once("error", (err) => {
      const code = errnoCode(err);
      if (code === "ECONNREFUSED") done("REFUSED");
      else if (code === "ETIMEDOUT") done("TIMEOUT");
      else done(`OTHER: dial tcp ${formatHostPort(target.ip, target.port)}: connect: ${errnoText(err)}`);
    });
  });
}

async function connectUDP(dest: string, timeoutMs: number, data: string): Promise<string | undefined> {
  const target = await resolve(dest, "udp");
  if (!target.ok) return target.line;
  const socket = dgram.createSocket(net.isIPv6(target.ip) ? "udp6" : "udp4");
  try {
    await new Promise<void>((ok, ko) => {
      socket.once("error", ko);
      socket.connect(target.port, target.ip, () => {
        socket.off("error", ko);
        ok();
      });
    });
  } catch (err) {
    socket.close();
    return `OTHER: dial udp ${formatHostPort(target.ip, target.port)}: connect: ${errnoText(err)}`;
  }
  const local = socket.address();
  const pair = `udp ${formatHostPort(local.address, local.port)}->${formatHostPort(target.ip, target.port)}`;
  return new Promise((settle) => {
    const timer =
      timeoutMs > 0 ? setTimeout(() => done(`TIMEOUT: read ${pair}: i/o timeout`), timeoutMs) : undefined;
    let finished = false;
    function done(line: string | undefined) {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.close();
      settle(line);
    }
    // The kernel reports an ICMP error for a connected socket on the next receive (or send).
    const classify = (op: "read" | "write", err: Error) => {
      const text = `${op} ${pair}: ${op}: ${errnoText(err)}`;
      done(errnoCode(err) === "ECONNREFUSED" ? `REFUSED: ${text}` : `UNKNOWN: ${text}`);
    };
    socket.on("error", (err) => classify("read", err));
    socket.on("message", (msg) =>
      done(
        msg.length === 0
          ? "OTHER: No data received from the server. Cannot guarantee the server received the request."
          : undefined,
      ),
    );
    socket.send(`${data}\n`, (err) => {
      if (err) classify("write", err);
    });
  });
}
