// netexec's /dial endpoint: the server itself makes `tries` requests to host:port (HTTP GET of /request,
// or a UDP datagram) and reports {"errors": [...], "responses": [...]}. Kubernetes' e2e networking
// checks drive Pod-to-Pod traffic through it.
import dgram from "node:dgram";
import http from "node:http";
import net from "node:net";
import { errnoText, formatHostPort } from "./gonet.ts";
import { logf } from "./log.ts";

const DIAL_TIMEOUT_MS = 5000;

export interface DialReply {
  status: number;
  body: string;
}

export async function dial(query: URLSearchParams): Promise<DialReply> {
  const host = query.get("host") ?? "";
  const port = query.get("port") ?? "";
  const request = query.get("request") ?? "";
  const protocol = query.get("protocol") ?? "";
  const triesParam = query.get("tries") ?? "";
  logf(`GET /dial?host=${host}&protocol=${protocol}&port=${port}&request=${request}&tries=${triesParam}`);
  let tries = 1;
  if (triesParam !== "") {
    if (!/^[-+]?\d+$/.test(triesParam)) {
      return badRequest(`tries parameter is invalid. strconv.Atoi: parsing "${triesParam}": invalid syntax`);
    }
    tries = Number(triesParam);
  }
  if (request === "") return badRequest("request parameter not specified. <nil>");
  const dialer = { "": dialHTTP, http: dialHTTP, udp: dialUDP }[protocol.toLowerCase()];
  if (!dialer) return badRequest(`unsupported protocol. ${protocol}`);
  const portNumber = /^\d+$/.test(port) ? Number(port) : Number.NaN;
  if (!(portNumber <= 65535) || host === "") {
    return badRequest(`host and/or port param are invalid. address ${host}:${port}: invalid address`);
  }
  const errors: string[] = [];
  const responses: string[] = [];
  let last = "";
  for (let i = 0; i < tries; i++) {
    try {
      last = await dialer(request, host, portNumber);
      responses.push(last);
    } catch (err) {
      last = "";
      errors.push((err as Error).message);
    }
  }
  // Same quirk as agnhost: "responses" is present only when the last attempt returned something.
  const output: Record<string, string[]> = {};
  if (errors.length > 0) output.errors = errors;
  if (last.length > 0) output.responses = responses;
  return { status: 200, body: JSON.stringify(output) };
}

function badRequest(message: string): DialReply {
  return { status: 400, body: `${message}\n` };
}

function dialHTTP(request: string, host: string, port: number): Promise<string> {
  const url = `http://${formatHostPort(host, port)}/${request.replace(/^\/+/, "")}`;
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: DIAL_TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
      res.on("error", (err) => reject(new Error(`Get "${url}": ${errnoText(err)}`)));
    });
    req.on("timeout", () => req.destroy(new Error("context deadline exceeded (Client.Timeout exceeded)")));
    req.on("error", (err) => {
      const why = (err as NodeJS.ErrnoException).code ? `dial tcp: ${errnoText(err)}` : err.message;
      reject(new Error(`Get "${url}": ${why}`));
    });
  });
}

function dialUDP(request: string, host: string, port: number): Promise<string> {
  const socket = dgram.createSocket(net.isIPv6(host) ? "udp6" : "udp4");
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error("reading from udp connection failed. err:'i/o timeout'")),
      DIAL_TIMEOUT_MS,
    );
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`reading from udp connection failed. err:'read: ${errnoText(err)}'`));
    });
    socket.on("message", (msg) => {
      clearTimeout(timer);
      if (msg.length === 0) reject(new Error("reading from udp connection failed. err:'<nil>'"));
      else resolve(msg.toString("utf8"));
    });
    socket.connect(port, host, (err?: Error) => {
      if (!err) return socket.send(request);
      clearTimeout(timer);
      reject(new Error(`udp dial failed. err:${errnoText(err)}`));
    });
  }).finally(() => socket.close());
}
