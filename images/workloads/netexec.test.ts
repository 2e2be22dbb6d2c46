import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  type AgnhostChild,
  freePort,
  httpGet,
  startAgnhost,
  stopAllChildren,
  udpExchange,
} from "./test-support.ts";

const POD = "netexec-pod-0";

describe("agnhost netexec", () => {
  let httpPort: number;
  let udpPort: number;

  beforeAll(async () => {
    httpPort = await freePort("tcp");
    udpPort = await freePort("udp");
    const netexec = startAgnhost(
      [
        "netexec",
        `--http-port=${httpPort}`,
        "--udp-port",
        String(udpPort),
        "--udp-listen-addresses=127.0.0.1",
      ],
      { OVSLAB_POD_NAME: POD },
    );
    const ms = await netexec.waitForOutput(/Started HTTP server on port \d+/);
    // A figure for the report (Pods start often), not an assertion.
    console.info(`agnhost netexec: spawn -> HTTP port listening in ${ms.toFixed(0)} ms`);
    expect(netexec.output()).toContain(`Started UDP server on port 127.0.0.1 ${udpPort}`);
  });
  afterAll(stopAllChildren);

  it("answers /hostname and /hostName with the Pod name", async () => {
    expect(await httpGet(httpPort, "/hostname")).toMatchObject({ status: 200, body: POD });
    expect((await httpGet(httpPort, "/hostName")).body).toBe(POD);
  });

  it("answers /clientip with the client's IP:PORT", async () => {
    const reply = await httpGet(httpPort, "/clientip");
    expect(reply.body).toBe(`127.0.0.1:${reply.localPort}`);
  });

  it("echoes msg, with the optional status code", async () => {
    expect(await httpGet(httpPort, "/echo?msg=hello%20world")).toMatchObject({
      status: 200,
      body: "hello world",
    });
    expect(await httpGet(httpPort, "/echo?msg=nope&code=503")).toMatchObject({ status: 503, body: "nope" });
    expect((await httpGet(httpPort, "/echo?code=x")).body).toBe(
      `argument 'code' must be an integer or empty, got "x"\n`,
    );
  });

  it("is healthy once its UDP server listens, and serves a timestamp on other paths", async () => {
    expect((await httpGet(httpPort, "/healthz")).status).toBe(200);
    expect((await httpGet(httpPort, "/no/such/endpoint")).body).toMatch(/^NOW: \d{4}-\d\d-\d\d /);
  });

  it("runs /shell commands and reports their output and exit status", async () => {
    expect(JSON.parse((await httpGet(httpPort, "/shell?cmd=echo%20hi")).body)).toEqual({ output: "hi\n" });
    expect(JSON.parse((await httpGet(httpPort, "/shell?shellCommand=exit%203")).body)).toEqual({
      error: "exit status 3",
    });
  });

  it("redirects to the given location", async () => {
    const reply = await httpGet(httpPort, "/redirect?location=/echo%3Fmsg%3Dx&code=307");
    expect(reply.status).toBe(307);
    expect(reply.headers.location).toBe("/echo?msg=x");
  });

  it("dials HTTP and UDP targets from /dial and reports responses and errors", async () => {
    const viaHttp = await httpGet(httpPort, `/dial?request=hostname&host=127.0.0.1&port=${httpPort}&tries=2`);
    expect(JSON.parse(viaHttp.body)).toEqual({ responses: [POD, POD] });
    const viaUdp = await httpGet(
      httpPort,
      `/dial?request=hostname&protocol=udp&host=127.0.0.1&port=${udpPort}`,
    );
    expect(JSON.parse(viaUdp.body)).toEqual({ responses: [POD] });
    const closed = await freePort("tcp");
    const failed = JSON.parse(
      (await httpGet(httpPort, `/dial?request=hostname&host=127.0.0.1&port=${closed}`)).body,
    );
    expect(failed.responses).toBeUndefined();
    expect(failed.errors).toEqual([expect.stringContaining("connection refused")]);
    expect((await httpGet(httpPort, "/dial?host=127.0.0.1&port=1")).status).toBe(400);
  });

  it("answers the UDP commands hostname, echo and clientip", async () => {
    expect((await udpExchange(udpPort, "hostname")).reply).toBe(POD);
    expect((await udpExchange(udpPort, "hostname\n")).reply).toBe(POD);
    // agnhost lower-cases the request before matching, so the echo comes back lower-cased.
    expect((await udpExchange(udpPort, "echo Hello There")).reply).toBe("hello there");
    const { reply, localPort } = await udpExchange(udpPort, "clientip");
    expect(reply).toBe(`127.0.0.1:${localPort}`);
  });
});

describe("agnhost netexec lifecycle", () => {
  afterEach(stopAllChildren);

  async function start(extra: string[] = []): Promise<{ netexec: AgnhostChild; port: number }> {
    const port = await freePort("tcp");
    const netexec = startAgnhost(["netexec", `--http-port=${port}`, "--udp-port=-1", ...extra]);
    await netexec.waitForOutput(/Started HTTP server/);
    return { netexec, port };
  }

  it("/exit with a timeout answers, shuts down gracefully and exits with the code", async () => {
    const { netexec, port } = await start();
    expect((await httpGet(port, "/exit?code=7&timeout=2s")).status).toBe(200);
    expect(await netexec.exited).toEqual({ code: 7, signal: null });
    expect(netexec.output()).toContain("Graceful shutdown completed");
  });

  it("/exit without a timeout exits at once, without answering", async () => {
    const { netexec, port } = await start();
    await expect(httpGet(port, "/exit?code=5")).rejects.toThrow(/socket hang up|ECONNRESET/);
    expect((await netexec.exited).code).toBe(5);
  });

  it("reports unhealthy without a UDP server, as agnhost does", async () => {
    const { port } = await start();
    expect((await httpGet(port, "/healthz")).status).toBe(412);
  });

  it("answers every path as --http-override", async () => {
    const { port } = await start(["--http-override=/echo?msg=overridden"]);
    expect((await httpGet(port, "/hostname")).body).toBe("overridden");
  });

  it("fails like log.Fatal when its port is taken", async () => {
    const { port } = await start();
    const second = startAgnhost(["netexec", `--http-port=${port}`, "--udp-port=-1"]);
    expect((await second.exited).code).toBe(1);
    expect(second.output()).toContain(`listen tcp :${port}: bind: address already in use`);
  });

  it("rejects unknown flags like cobra", async () => {
    const bad = startAgnhost(["netexec", "--no-such-flag=1"]);
    expect((await bad.exited).code).toBe(1);
    expect(bad.output()).toBe("Error: unknown flag: --no-such-flag\n");
  });
});
