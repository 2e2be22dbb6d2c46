// Real sockets on 0.0.0.0 in the test's namespace; the only traffic is a connection to 127.0.0.1.
import { connect, createServer } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { PortSockets } from "./port-sockets.ts";

const opened: PortSockets[] = [];
const sockets = () => {
  const s = new PortSockets();
  opened.push(s);
  return s;
};
afterEach(async () => {
  await Promise.all(opened.splice(0).map((s) => s.closeAll()));
});

/** A port that is free right now (the kernel's pick). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().listen(0, "0.0.0.0", () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === "object" && addr ? resolve(addr.port) : reject(new Error("no port"))));
    });
  });
}

describe("NodePortLocal port sockets", () => {
  it("holds TCP and UDP ports, so that nobody else can take them until they are closed", async () => {
    const port = await freePort();
    const a = sockets();
    const b = sockets();
    expect(await a.open(port, "tcp")).toBe(true);
    expect(await a.open(port, "tcp")).toBe(true);
    expect(await a.open(port, "udp")).toBe(true);
    expect(await b.open(port, "tcp")).toBe(false);
    expect(await b.open(port, "udp")).toBe(false);
    await a.close(port, "tcp");
    expect(await b.open(port, "tcp")).toBe(true);
    expect(await b.open(port, "udp")).toBe(false);
    await a.closeAll();
    expect(await b.open(port, "udp")).toBe(true);
  });

  it("closes connections that reach a held port", async () => {
    const port = await freePort();
    expect(await sockets().open(port, "tcp")).toBe(true);
    const closed = await new Promise<boolean>((resolve) => {
      const c = connect(port, "127.0.0.1");
      c.on("close", () => resolve(true));
      c.on("error", () => undefined);
      c.setTimeout(3000, () => {
        c.destroy();
        resolve(false);
      });
    });
    expect(closed).toBe(true);
  });
});
