// netexec's HTTP endpoints, with agnhost's paths, parameters, bodies and status codes. Every path that is not
// an endpoint falls through to "/", as with Go's ServeMux. /upload is not provided.
import type { IncomingMessage, ServerResponse } from "node:http";
import { run } from "../common/exec.ts";
import { parseGoDuration } from "./flags.ts";
import { formatHostPort } from "./gonet.ts";
import { logf } from "./log.ts";
import { dial } from "./netexec-dial.ts";

export interface NetexecServer {
  hostname: string;
  /** True once the UDP server listens; /healthz answers 412 until then (and always, with --udp-port=-1). */
  ready(): boolean;
  /** Stops accepting, lets open connections finish for up to `timeoutMs`, then exits with `code`. */
  shutdown(code: number, timeoutMs: number): void;
}

interface Reply {
  status: number;
  body: string;
  headers?: Record<string, string>;
  /** Runs once the reply is sent. */
  afterSent?: () => void;
}
type Handler = (
  query: URLSearchParams,
  req: IncomingMessage,
  server: NetexecServer,
) => Reply | Promise<Reply>;

const ok = (body: string): Reply => ({ status: 200, body });

const ROUTES: Record<string, Handler> = {
  "/clientip": (_q, req) => {
    logf("GET /clientip");
    return ok(formatHostPort(req.socket.remoteAddress ?? "", req.socket.remotePort ?? 0));
  },
  "/dial": (q) => dial(q),
  "/echo": (q) => {
    const msg = q.get("msg") ?? "";
    const code = q.get("code") ?? "";
    logf(`GET /echo?msg=${msg}&code=${code}`);
    if (code === "") return ok(msg);
    if (!/^[-+]?\d+$/.test(code)) return ok(`argument 'code' must be an integer or empty, got "${code}"\n`);
    return { status: Number(code), body: msg };
  },
  "/exit": exit,
  "/healthz": (_q, _req, server) => {
    logf("GET /healthz");
    return { status: server.ready() ? 200 : 412, body: "" };
  },
  "/hostname": (_q, _req, server) => {
    logf("GET /hostname");
    return ok(server.hostname);
  },
  "/hostName": (_q, _req, server) => {
    logf("GET /hostName");
    return ok(server.hostname);
  },
  "/redirect": (q, req) => {
    const location = q.get("location") ?? "";
    const code = q.get("code") ?? "";
    logf(`${req.method} /redirect?msg=${location}&code=${code}`);
    if (code !== "" && !/^[-+]?\d+$/.test(code)) {
      return ok(`argument 'code' must be an integer or empty, got "${code}"\n`);
    }
    return { status: code === "" ? 302 : Number(code), body: "", headers: { Location: location } };
  },
  "/shell": shell,
  "/shutdown": () => {
    logf("GET /shutdown");
    process.exit(0);
  },
};

function root(): Reply {
  logf("GET /");
  return ok(`NOW: ${new Date().toISOString().replace("T", " ").replace("Z", " +0000 UTC")}`);
}

/** The request handler; `override` replaces every request's path and query (agnhost's --http-override). */
export function netexecHandler(server: NetexecServer, override = "") {
  return (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(override || req.url || "/", "http://netexec");
    const handler = ROUTES[url.pathname.replace(/\/{2,}/g, "/")] ?? root;
    Promise.resolve(handler(url.searchParams, req, server))
      .then((reply) => {
        res.writeHead(reply.status, { "Content-Type": "text/plain; charset=utf-8", ...reply.headers });
        res.end(reply.body, reply.afterSent);
      })
      .catch((err: unknown) => {
        // Go's net/http drops the connection when a handler panics (e.g. /echo?code=1).
        logf(
          `http: panic serving ${formatHostPort(req.socket.remoteAddress ?? "", req.socket.remotePort ?? 0)}: ${err}`,
        );
        res.destroy();
      });
  };
}

async function exit(q: URLSearchParams, _req: IncomingMessage, server: NetexecServer): Promise<Reply> {
  const waitText = q.get("wait") ?? "";
  const timeoutText = q.get("timeout") ?? "";
  const codeText = q.get("code") ?? "";
  logf(`GET /exit?code=${codeText}&timeout=${timeoutText}&wait=${waitText}`);
  const timeout = timeoutText === "" ? 0 : parseGoDuration(timeoutText);
  if (timeout === undefined) {
    return ok(`argument 'timeout' must be a valid golang duration or empty, got "${timeoutText}"\n`);
  }
  const wait = waitText === "" ? 0 : parseGoDuration(waitText);
  if (wait === undefined) {
    return ok(`argument 'wait' must be a valid golang duration or empty, got "${waitText}"\n`);
  }
  if (codeText !== "" && !/^[-+]?\d+$/.test(codeText)) {
    return ok(`argument 'code' must be an integer [0-127] or empty, got "${codeText}"\n`);
  }
  const code = codeText === "" ? 0 : Number(codeText);
  logf(
    `Will begin shutdown in ${waitText || "0s"}, allowing ${timeoutText || "0s"} for connections to close, then will exit with ${code}`,
  );
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  // With no timeout agnhost exits at once, without answering.
  if (timeout <= 0) process.exit(code);
  return { ...ok(""), afterSent: () => server.shutdown(code, timeout) };
}

async function shell(q: URLSearchParams): Promise<Reply> {
  const cmd = q.get("shellCommand") || q.get("cmd") || "";
  logf(`GET /shell?cmd=${cmd}`);
  const result = await run(["/bin/sh", "-c", cmd], { allowFailure: true });
  // Go marshals the map with sorted keys: "error" before "output".
  const output: Record<string, string> = {};
  if (result.code !== 0) output.error = `exit status ${result.code}`;
  if (result.stdout + result.stderr) output.output = result.stdout + result.stderr;
  logf(`Output: ${JSON.stringify(output)}`);
  return ok(JSON.stringify(output));
}
