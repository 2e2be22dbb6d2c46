// netexec's UDP server: answers "hostname", "echo <msg>" and "clientip" (one datagram each). Like agnhost it
// lower-cases and trims the request before matching, so "echo Hello" answers "hello".
import dgram from "node:dgram";
import net from "node:net";
import { errnoText, formatHostPort } from "./gonet.ts";
import { FatalError, logf } from "./log.ts";

/** Binds `address` ("" = every address, dual-stack when IPv6 is available) and serves until exit. */
export async function startUdpServer(address: string, port: number, hostname: string): Promise<void> {
  const socket = await bind(address, port);
  logf(`Started UDP server on port ${address} ${port}`);
  socket.on("message", (buf, from) => {
    const client = formatHostPort(from.address, from.port);
    const text = buf.toString("utf8").trim().toLowerCase();
    let reply: string | undefined;
    if (text === "hostname") {
      logf("Sending udp hostName response");
      reply = hostname;
    } else if (text.startsWith("echo ")) {
      reply = text.slice("echo ".length);
      logf(`Echoing ${reply} to UDP client ${client}`);
    } else if (text === "clientip") {
      logf(`Sending clientip back to UDP client ${client}`);
      reply = client;
    } else if (text.length > 0) {
      logf(`Unknown UDP command received from ${client}: ${text}`);
    }
    if (reply !== undefined) socket.send(reply, from.port, from.address);
  });
  socket.on("error", (err) => logf(`failed accepting UDP connections: ${errnoText(err)}`));
}

async function bind(address: string, port: number): Promise<dgram.Socket> {
  if (address !== "") return bindOne(net.isIPv6(address) ? "udp6" : "udp4", address, port);
  try {
    return await bindOne("udp6", "::", port);
  } catch (err) {
    if (!(err instanceof FatalError) || !/address family|cannot assign/.test(err.message)) throw err;
    return bindOne("udp4", "0.0.0.0", port);
  }
}

function bindOne(type: "udp4" | "udp6", address: string, port: number): Promise<dgram.Socket> {
  const socket = dgram.createSocket({ type, ipv6Only: false });
  return new Promise((resolve, reject) => {
    socket.once("error", (err) => {
      socket.close();
      const where = formatHostPort(address, port);
      reject(new FatalError(`failed to create listener for UDP address ${where}: bind: ${errnoText(err)}`));
    });
    socket.bind(port, address, () => {
      socket.removeAllListeners("error");
      resolve(socket);
    });
  });
}
