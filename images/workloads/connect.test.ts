import dgram from "node:dgram";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunResult, run } from "../common/exec.ts";
import { agnhostArgv } from "./images.ts";
import { freePort } from "./test-support.ts";

// Failures must be exactly one stderr line with agnhost's prefix: Antrea's probe counts attempts by newlines
// and classifies them by TIMEOUT / REFUSED.
function connect(args: string[], netns?: string): Promise<RunResult> {
  return run(agnhostArgv(["connect", ...args]), { allowFailure: true, timeoutMs: 20_000, netns });
}

describe("agnhost connect over TCP", () => {
  let server: net.Server;
  let openPort: number;
  beforeAll(async () => {
    server = net.createServer((conn) => conn.destroy());
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    openPort = (server.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("exits 0 with nothing on stderr when the port accepts", async () => {
    const result = await connect([`127.0.0.1:${openPort}`, "--timeout=5s"]);
    expect(result).toMatchObject({ code: 0, stderr: "" });
  });

  it("prints REFUSED and exits 1 when the port is closed", async () => {
    const result = await connect([`127.0.0.1:${await freePort("tcp")}`, "--timeout", "5s"]);
    expect(result).toMatchObject({ code: 1, stderr: "REFUSED\n" });
  });

  it("reports malformed destinations and bad usage like agnhost", async () => {
    expect(await connect(["no-port-here"])).toMatchObject({
      code: 1,
      stderr: "UNKNOWN: address no-port-here: missing port in address\n",
    });
    expect(await connect(["127.0.0.1:http-alt"])).toMatchObject({
      code: 1,
      stderr: "DNS: lookup tcp/http-alt: unknown port\n",
    });
    expect((await connect([])).stderr).toBe("Error: accepts 1 arg(s), received 0\n");
    expect(await connect([`127.0.0.1:${openPort}`, "--protocol=icmp"])).toMatchObject({
      code: 1,
      stderr: "Unsupported protocol\nicmp",
    });
  });
});

describe("agnhost connect over UDP", () => {
  let echo: dgram.Socket;
  let silent: dgram.Socket;
  const received: string[] = [];
  beforeAll(async () => {
    echo = dgram.createSocket("udp4");
    echo.on("message", (msg, from) => {
      received.push(msg.toString("utf8"));
      echo.send("pod-x", from.port, from.address);
    });
    silent = dgram.createSocket("udp4");
    await Promise.all(
      [echo, silent].map((s) => new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve))),
    );
  });
  afterAll(() => {
    echo.close();
    silent.close();
  });

  it("sends the payload with a newline and exits 0 on a reply", async () => {
    const port = echo.address().port;
    expect(await connect([`127.0.0.1:${port}`, "--protocol=udp", "--timeout=5s"])).toMatchObject({
      code: 0,
      stderr: "",
    });
    expect(await connect([`127.0.0.1:${port}`, "--protocol=udp", "--udp-data=echo hi"])).toMatchObject({
      code: 0,
    });
    expect(received).toEqual(["hostname\n", "echo hi\n"]);
  });

  it("prints REFUSED with Go's error text when the port is closed (ICMP port unreachable)", async () => {
    const port = await freePort("udp");
    const result = await connect([`127.0.0.1:${port}`, "--protocol=udp", "--timeout=5s"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `^REFUSED: read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: read: connection refused\\n$`,
      ),
    );
  });

  it("prints TIMEOUT when nothing answers within --timeout", async () => {
    const port = silent.address().port;
    const result = await connect([`127.0.0.1:${port}`, "--protocol=udp", "--timeout=1s"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(`^TIMEOUT: read udp 127\\.0\\.0\\.1:\\d+->127\\.0\\.0\\.1:${port}: i/o timeout\\n$`),
    );
  });
});

// A TCP SYN that is silently dropped, and a name that cannot be resolved, both need a network the test owns:
// a namespace with only loopback, whose INPUT chain drops TCP to DROPPED_PORT. Nothing leaves it.
describe("agnhost connect inside a namespace that drops packets", () => {
  const netns = `ol-test-workloads-${process.pid}`;
  const DROPPED_PORT = 9;
  beforeAll(async () => {
    await run(["ip", "netns", "add", netns]);
    await run(["ip", "link", "set", "lo", "up"], { netns });
    await run(["iptables", "-A", "INPUT", "-p", "tcp", "--dport", String(DROPPED_PORT), "-j", "DROP"], {
      netns,
    });
  });
  afterAll(async () => {
    await run(["ip", "netns", "del", netns], { allowFailure: true });
  });

  it("prints TIMEOUT after --timeout when the SYN is dropped", async () => {
    const started = performance.now();
    const result = await connect([`127.0.0.1:${DROPPED_PORT}`, "--timeout=1s"], netns);
    expect(result).toMatchObject({ code: 1, stderr: "TIMEOUT\n" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(1000);
  });

  it("prints DNS when the name cannot be resolved", async () => {
    const result = await connect(["no-such-host.invalid:80", "--timeout=1s"], netns);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^DNS: lookup no-such-host\.invalid: .+\n$/);
  });
});
