// The npl step's pure parts: reading Antrea's annotation JSON, judging the mappings, and the commands that send
// traffic to a node port, run for real against servers on 127.0.0.1; and its load-time rules.
import dgram from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../../images/common/exec.ts";
import { InvalidInputError } from "../../../lab/common/source-file.ts";
import { loadScenarioFile } from "../loader.ts";
import { annotationProblems, type NplMapping, nodePortArgv, parseNplAnnotation } from "./npl.ts";

const ANTREA_EXAMPLE =
  '[{"podPort":8080,"nodeIP":"10.10.10.10","nodePort":61002,"protocol":"tcp","ipFamily":"IPv4"}]';
const RANGE = { start: 61000, end: 62000 };
const mapping = (over: Partial<NplMapping> = {}): NplMapping => ({
  podPort: 8080,
  nodeIP: "10.10.10.10",
  nodePort: 61002,
  protocol: "tcp",
  ipFamily: "IPv4",
  ...over,
});

describe("parseNplAnnotation", () => {
  it("reads Antrea's JSON; no annotation or an empty value is no mappings", () => {
    expect(parseNplAnnotation(ANTREA_EXAMPLE)).toEqual([mapping()]);
    expect(parseNplAnnotation(undefined)).toEqual([]);
    expect(parseNplAnnotation("")).toEqual([]);
    expect(parseNplAnnotation("[]")).toEqual([]);
  });

  it("rejects what Antrea does not write: other field names, upper-case protocols, missing ipFamily", () => {
    const v1 =
      '[{"podPort":8080,"nodeIP":"10.10.10.10","nodePort":61002,"protocol":"tcp","protocols":["tcp"],"ipFamily":"IPv4"}]';
    expect(parseNplAnnotation(v1)).toMatch(/not Antrea's JSON: 0: Unrecognized key: "protocols"/);
    expect(parseNplAnnotation(ANTREA_EXAMPLE.replace('"tcp"', '"TCP"'))).toMatch(
      /^the annotation is not Antrea's JSON: 0\.protocol/,
    );
    expect(parseNplAnnotation(ANTREA_EXAMPLE.replace(',"ipFamily":"IPv4"', ""))).toMatch(/0\.ipFamily/);
    expect(parseNplAnnotation("{")).toMatch(/^the annotation is not JSON/);
  });
});

describe("annotationProblems", () => {
  const want = { nodeIP: "10.10.10.10", range: RANGE };

  it("accepts mappings with the node IP, ports in range, and the expected (podPort, protocol, ipFamily)", () => {
    const entries = [mapping(), mapping({ podPort: 8081, protocol: "udp", nodePort: 61000 })];
    expect(annotationProblems(entries, want)).toEqual([]);
    expect(annotationProblems(entries, { ...want, expect: 2 })).toEqual([]);
    const list = [
      { podPort: 8081, protocol: "udp", ipFamily: "IPv4" },
      { podPort: 8080, protocol: "tcp", ipFamily: "IPv4" },
    ] as const;
    expect(annotationProblems(entries, { ...want, expect: list })).toEqual([]);
  });

  it("names every problem", () => {
    expect(annotationProblems([], want)).toEqual(["no mappings"]);
    const entries = [
      mapping({ nodeIP: "10.10.10.11" }),
      mapping({ nodePort: 62001, protocol: "udp" }),
      mapping({ podPort: 9090, nodeIP: "10.10.10.11" }),
    ];
    expect(
      annotationProblems(entries, {
        ...want,
        expect: [{ podPort: 8080, protocol: "tcp", ipFamily: "IPv6" }],
      }),
    ).toEqual([
      "8080/tcp -> 10.10.10.11:61002 (IPv4): nodeIP is not the Pod's node IP 10.10.10.10",
      "8080/udp -> 10.10.10.10:62001 (IPv4): nodePort outside 61000-62000",
      "9090/tcp -> 10.10.10.11:61002 (IPv4): nodeIP is not the Pod's node IP 10.10.10.10",
      "9090/tcp -> 10.10.10.11:61002 (IPv4): node port listed twice",
      "missing 8080/tcp/IPv6",
      "unexpected 8080/tcp/IPv4, 8080/udp/IPv4, 9090/tcp/IPv4",
    ]);
    expect(annotationProblems([mapping()], { ...want, expect: 2 })).toEqual(["1 mapping(s), expected 2"]);
  });
});

describe("nodePortArgv", () => {
  let httpServer: http.Server;
  let udpServer: dgram.Socket;
  let freeUdpPort: number;
  let freeTcpPort: number;

  beforeAll(async () => {
    httpServer = http.createServer((req, res) => res.end(req.url === "/hostname" ? "a" : "other"));
    await new Promise<void>((ok) => httpServer.listen(0, "127.0.0.1", ok));
    // netexec's UDP protocol: the datagram "hostname" is answered with the Pod name.
    udpServer = dgram.createSocket("udp4");
    udpServer.on("message", (msg, from) => {
      if (msg.toString().trim() === "hostname") udpServer.send("a", from.port, from.address);
    });
    await new Promise<void>((ok) => udpServer.bind(0, "127.0.0.1", ok));
    // Ports nothing listens on: bound, read, closed.
    const udpProbe = dgram.createSocket("udp4");
    await new Promise<void>((ok) => udpProbe.bind(0, "127.0.0.1", ok));
    freeUdpPort = udpProbe.address().port;
    await new Promise<void>((ok) => udpProbe.close(() => ok()));
    const tcpProbe = http.createServer();
    await new Promise<void>((ok) => tcpProbe.listen(0, "127.0.0.1", ok));
    freeTcpPort = (tcpProbe.address() as AddressInfo).port;
    await new Promise<void>((ok) => tcpProbe.close(() => ok()));
  });
  afterAll(async () => {
    await new Promise<void>((ok) => httpServer.close(() => ok()));
    await new Promise<void>((ok) => udpServer.close(() => ok()));
  });

  const at = (port: number, protocol: "tcp" | "udp") =>
    mapping({ nodeIP: "127.0.0.1", nodePort: port, protocol });

  it("gets the hostname over TCP (HTTP GET path) and UDP (netexec's hostname datagram)", async () => {
    const tcp = await run(nodePortArgv(at((httpServer.address() as AddressInfo).port, "tcp"), "/hostname"));
    expect(tcp.stdout).toBe("a");
    const udp = await run(nodePortArgv(at(udpServer.address().port, "udp"), "/hostname"));
    expect(udp.stdout.trim()).toBe("a");
  });

  it("gets no answer where nothing listens", async () => {
    const udp = await run(nodePortArgv(at(freeUdpPort, "udp"), "/"), { allowFailure: true });
    expect(udp.stdout).toBe("");
    const tcp = await run(nodePortArgv(at(freeTcpPort, "tcp"), "/"), { allowFailure: true });
    expect(tcp.code).toBe(7); // curl: could not connect
  });
});

describe("npl step at load time", () => {
  const dir = mkdtempSync(join(tmpdir(), "ovslab-npl-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("reports bad references and field combinations at file:line:column", async () => {
    const file = join(dir, "npl.yaml");
    writeFileSync(
      file,
      [
        "apiVersion: ovslab.dev/v1alpha1",
        "kind: Scenario",
        "metadata: { name: npl }",
        "spec:",
        "  steps:",
        "  - npl: { pod: node/worker }",
        "  - npl: { pod: pod/a, absent: true, expect: 2 }",
        "  - npl: { pod: pod/a, portRange: 62000-61000, from: [service/web] }",
        "",
      ].join("\n"),
    );
    const err = await loadScenarioFile(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).problems.map((p) => `${p.line}:${p.column}: ${p.message}`)).toEqual([
      "6:17: spec.steps[0].npl.pod: expected pod/..., not node/...",
      "7:46: spec.steps[1].npl.expect: absent takes no expect",
      "8:35: spec.steps[2].npl.portRange: must be START-END, e.g. 61000-62000",
      expect.stringMatching(/^8:55: spec\.steps\[2\]\.npl\.from\[0\]: a service cannot be used here/),
    ]);
  });
});
