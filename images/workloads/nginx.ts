// The nginx personality, for images named nginx*: an HTTP server answering every path with 200 and a small
// "Welcome to nginx!" page that names the Pod, so a probe can tell which backend answered.
import http from "node:http";
import { parseFlags, UsageError } from "./flags.ts";
import { errnoText, plainIp } from "./gonet.ts";
import { podHostname } from "./hostname.ts";
import { FatalError } from "./log.ts";

const SPEC = { port: { kind: "int", default: 80 } } as const;

export function nginxPage(hostname: string): string {
  return `<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>Served by ${escapeHtml(hostname)}.</p>
</body>
</html>
`;
}

export async function nginxCommand(argv: readonly string[]): Promise<undefined> {
  const { flags, args } = parseFlags(argv, SPEC);
  if (args.length > 0) throw new UsageError(`accepts at most 0 arg(s), received ${args.length}`);
  const page = nginxPage(podHostname());
  const server = http.createServer((req, res) => {
    // nginx's combined access log format, on stdout as in the nginx image.
    const client = plainIp(req.socket.remoteAddress ?? "-");
    const agent = req.headers["user-agent"] ?? "-";
    process.stdout.write(
      `${client} - - [${nginxTime(new Date())}] "${req.method} ${req.url} HTTP/${req.httpVersion}" 200 ${Buffer.byteLength(page)} "-" "${agent}"\n`,
    );
    res.writeHead(200, { "Content-Type": "text/html", Server: "nginx" });
    res.end(page);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(new FatalError(`bind() to 0.0.0.0:${flags.port} failed (${errnoText(err)})`)),
    );
    server.listen(flags.port, resolve);
  });
  process.once("SIGTERM", () => process.exit(0));
  process.stderr.write(`nginx personality: listening on port ${flags.port}\n`);
  return undefined;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** nginx's $time_local, in UTC: "21/Nov/2026:08:55:28 +0000". */
function nginxTime(d: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
