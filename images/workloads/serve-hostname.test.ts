import { afterEach, describe, expect, it } from "vitest";
import { freePort, httpGet, startAgnhost, stopAllChildren, tcpRead, udpExchange } from "./test-support.ts";

const POD = "serve-hostname-pod";

describe("agnhost serve-hostname", () => {
  afterEach(stopAllChildren);

  it("serves the hostname over HTTP on every path by default", async () => {
    const port = await freePort("tcp");
    const server = startAgnhost(["serve-hostname", `--port=${port}`, "--close"], { OVSLAB_POD_NAME: POD });
    await server.waitForOutput(/Serving on port \d+\./);
    expect(await httpGet(port, "/")).toMatchObject({ status: 200, body: POD });
    const other = await httpGet(port, "/any/path");
    expect(other.body).toBe(POD);
    expect(other.headers.connection).toBe("close");
  });

  it("serves the hostname over raw TCP and UDP with --http=false", async () => {
    const port = await freePort("tcp");
    const server = startAgnhost(
      ["serve-hostname", "--http=false", "--tcp", "--udp", "--port", String(port)],
      {
        OVSLAB_POD_NAME: POD,
      },
    );
    await server.waitForOutput(/Serving on port/);
    expect(await tcpRead(port)).toBe(POD);
    expect((await udpExchange(port, "anything")).reply).toBe(POD);
    await server.waitForOutput(/TCP request from 127\.0\.0\.1:\d+/);
  });

  it("refuses HTTP together with TCP, as agnhost does", async () => {
    const server = startAgnhost(["serve-hostname", "--tcp"]);
    expect((await server.exited).code).toBe(1);
    expect(server.output()).toMatch(/Can't server TCP\/UDP mode and HTTP mode at the same time\n$/);
  });

  it("exits 0 on SIGTERM", async () => {
    const port = await freePort("tcp");
    const server = startAgnhost(["serve-hostname", `--port=${port}`]);
    await server.waitForOutput(/Serving on port/);
    server.child.kill("SIGTERM");
    expect(await server.exited).toEqual({ code: 0, signal: null });
    expect(server.output()).toContain("Shutting down after receiving signal: terminated.");
  });
});
