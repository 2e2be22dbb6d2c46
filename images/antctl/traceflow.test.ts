// `antctl traceflow` against a real API server (lab/control-plane, HTTPS, the lab's admission). No controller or
// agent runs here: the test plays their part, watching for the Traceflow antctl creates and writing its status
// through the status subresource, as Antrea's controller (phase, tag) and agents (results) do.

import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi, KubeConfig, PatchStrategy, setHeaderOptions } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../../lab/control-plane/testing/test-cluster.ts";
import {
  parseTraceflow,
  TRACEFLOW_RESOURCE,
  type Traceflow,
  type TraceflowStatus,
} from "../api/traceflow.ts";
import { runAntctl } from "./antctl.ts";

const SUFFIX = "[bcdfghjklmnpqrstvwxz2456789]{8}";
let cluster: TestCluster;
let statusApi: CustomObjectsApi;

const client = (resource: string) => cluster.server.api.client(resource);
const traceflows = () => client("traceflows.crd.antrea.io");

function pod(namespace: string, name: string): void {
  client("pods").create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace },
    spec: { nodeName: "node-a", containers: [{ name: "c", image: "agnhost" }] },
  });
}

beforeAll(async () => {
  cluster = await startTestCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  statusApi = kc.makeApiClient(CustomObjectsApi);
  client("namespaces").create({ apiVersion: "v1", kind: "Namespace", metadata: { name: "ns1" } });
  pod("default", "client");
  pod("default", "web");
  pod("ns1", "db");
  client("services").create({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "frontend", namespace: "ns1" },
    spec: { selector: { app: "frontend" }, ports: [{ port: 80 }] },
  });
});

afterAll(async () => {
  await cluster?.close();
});

afterEach(() => {
  // Every test leaves the cluster without Traceflows, whatever happened.
  const left = traceflows().list();
  for (const tf of left) traceflows().delete(tf.metadata.name ?? "");
  expect(left.map((tf) => tf.metadata.name)).toEqual([]);
});

/** antctl in-process, with the cluster's kubeconfig (traceflow needs no OVS). */
function antctl(args: string[]) {
  return runAntctl(args, { ovsRundir: "/nonexistent", kubeconfig: cluster.kubeconfigPath });
}

/** The next Traceflow created from now on, as the controller's informer would see it. */
function nextTraceflow(): Promise<Traceflow> {
  const api = cluster.server.api;
  const { resourceVersion } = api.list(api.resolve("traceflows.crd.antrea.io"));
  return new Promise((resolve, reject) => {
    let cancel: (() => void) | undefined;
    const timer = setTimeout(() => {
      cancel?.();
      reject(new Error("no Traceflow was created within 5 s"));
    }, 5000);
    cancel = traceflows().watch({ resourceVersion }, (type, o) => {
      if (type !== "ADDED") return;
      clearTimeout(timer);
      cancel?.();
      const tf = parseTraceflow(o);
      if (tf) resolve(tf);
      else reject(new Error(`not a Traceflow: ${JSON.stringify(o)}`));
    });
  });
}

/** Writes status over HTTPS through the status subresource (a merge patch, as agents and controller update it). */
async function writeStatus(name: string, status: TraceflowStatus): Promise<void> {
  await statusApi.patchClusterCustomObjectStatus(
    { ...TRACEFLOW_RESOURCE, name, body: { status } },
    setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
  );
}

/** Whether `p` is still pending after `ms`. */
async function stillPending(p: Promise<unknown>, ms: number): Promise<boolean> {
  const pending = Symbol("pending");
  return (await Promise.race([p, sleep(ms, pending)])) === pending;
}

const now = () => Math.floor(Date.now() / 1000);

describe("antctl traceflow, with the test as controller and agents", () => {
  it("creates a Pod-to-Pod trace, waits through Running until Succeeded, prints YAML and deletes the trace", async () => {
    const created = nextTraceflow();
    const running = antctl(["traceflow", "-S", "client", "-D", "web"]);
    const tf = await created;
    const name = tf.metadata.name;
    expect(name).toMatch(new RegExp(`^client-to-web-${SUFFIX}$`));
    expect(tf.spec).toEqual({
      source: { namespace: "default", pod: "client" },
      destination: { namespace: "default", pod: "web" },
      packet: { ipHeader: {}, transportHeader: {} },
      timeout: 10,
    });

    await writeStatus(name, { phase: "Running", dataplaneTag: 7, startTime: new Date().toISOString() });
    expect(await stillPending(running, 800)).toBe(true); // several polls saw Running and kept waiting
    const ts = now();
    await writeStatus(name, {
      phase: "Succeeded",
      results: [
        {
          node: "node-a",
          timestamp: ts,
          observations: [
            { component: "SpoofGuard", action: "Forwarded", srcPodIP: "10.10.0.5" },
            { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
          ],
        },
      ],
    });

    expect(await running).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        `name: ${name}`,
        "phase: Succeeded",
        "source: default/client",
        "destination: default/web",
        "results:",
        "- node: node-a",
        `  timestamp: ${ts}`,
        "  observations:",
        "  - component: SpoofGuard",
        "    action: Forwarded",
        "    srcPodIP: 10.10.0.5",
        "  - component: Forwarding",
        "    componentInfo: Output",
        "    action: Delivered",
        "",
      ].join("\n"),
    });
    expect(traceflows().find(name)).toBeUndefined();
  });

  it("traces to a Service with a TCP flow, prints a Failed trace as JSON and still exits 0, as Antrea", async () => {
    const created = nextTraceflow();
    const running = antctl([
      "tf",
      "-S",
      "ns1/db",
      "-D",
      "ns1/frontend",
      "-f",
      "tcp,tcp_dst=80",
      "-o",
      "json",
      "-t",
      "5s",
    ]);
    const tf = await created;
    const name = tf.metadata.name;
    expect(name).toMatch(new RegExp(`^ns1-db-to-ns1-frontend-${SUFFIX}$`));
    expect(tf.spec).toEqual({
      source: { namespace: "ns1", pod: "db" },
      destination: { namespace: "ns1", service: "frontend" },
      packet: { ipHeader: { protocol: 6 }, transportHeader: { tcp: { dstPort: 80 } } },
      timeout: 5,
    });
    await writeStatus(name, { phase: "Failed", reason: "Traceflow timeout" });

    expect(await running).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        "{",
        `  "name": "${name}",`,
        '  "phase": "Failed",',
        '  "reason": "Traceflow timeout",',
        '  "source": "ns1/db",',
        '  "destination": "ns1/frontend"',
        "}",
      ].join("\n"),
    });
    expect(traceflows().find(name)).toBeUndefined();
  });

  it("runs a live dropped-only trace to a Pod and prints the captured packet", async () => {
    const created = nextTraceflow();
    const running = antctl(["traceflows", "-L", "--dropped-only", "-D", "web", "-f", "tcp,tcp_dst=80"]);
    const tf = await created;
    const name = tf.metadata.name;
    expect(name).toMatch(new RegExp(`^any-to-web-${SUFFIX}$`));
    expect(tf.spec).toMatchObject({ source: {}, liveTraffic: true, droppedOnly: true, timeout: 10 });
    const ts = now();
    await writeStatus(name, {
      phase: "Succeeded",
      results: [
        {
          node: "node-a",
          timestamp: ts,
          observations: [
            { component: "Forwarding", action: "Received" },
            { component: "NetworkPolicy", componentInfo: "IngressDefaultRule", action: "Dropped" },
          ],
        },
      ],
      capturedPacket: {
        srcIP: "10.10.1.3",
        dstIP: "10.10.0.6",
        length: 60,
        ipHeader: { protocol: 6, ttl: 63, flags: 2 },
        transportHeader: { tcp: { srcPort: 40000, dstPort: 80, flags: 2 } },
      },
    });

    expect(await running).toEqual({
      code: 0,
      stderr: "",
      stdout: [
        `name: ${name}`,
        "phase: Succeeded",
        "source: /",
        "destination: default/web",
        "results:",
        "- node: node-a",
        `  timestamp: ${ts}`,
        "  observations:",
        "  - component: Forwarding",
        "    action: Received",
        "  - component: NetworkPolicy",
        "    componentInfo: IngressDefaultRule",
        "    action: Dropped",
        "capturedPacket:",
        "  srcIP: 10.10.1.3",
        "  dstIP: 10.10.0.6",
        "  length: 60",
        "  ipHeader:",
        "    protocol: 6",
        "    ttl: 63",
        "    flags: 2",
        "  tranportHeader:",
        "    tcp:",
        "      srcport: 40000",
        "      dstport: 80",
        "      flags: 2",
        "",
      ].join("\n"),
    });
    expect(traceflows().find(name)).toBeUndefined();
  });

  it("with --nowait creates the trace under its plain name, prints nothing and leaves it", async () => {
    const res = await antctl(["traceflow", "-S", "client", "-D", "10.0.0.5", "--nowait"]);
    expect(res).toEqual({ code: 0, stdout: "", stderr: "" });
    const tf = parseTraceflow(traceflows().find("client-to-10.0.0.5"));
    expect(tf?.spec.destination).toEqual({ ip: "10.0.0.5" });
    traceflows().delete("client-to-10.0.0.5");
  });

  it("on timeout prints what it has, fails with Antrea's message and deletes the trace", async () => {
    const created = nextTraceflow();
    const started = Date.now();
    const res = await antctl(["traceflow", "-S", "default/client", "-D", "default/web", "-t", "2s"]);
    const { name } = (await created).metadata;
    expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    expect(res).toEqual({
      code: 1,
      stdout: `name: ${name}\nsource: default/client\ndestination: default/web\n`,
      stderr: "Error: timeout waiting for Traceflow done\n",
    });
    expect(name).toMatch(new RegExp(`^default-client-to-default-web-${SUFFIX}$`));
    expect(traceflows().find(name)).toBeUndefined();
  });

  it("prints the API server's message when it refuses the trace", async () => {
    const res = await antctl(["traceflow", "-S", "client", "-D", "web", "-t", "400s"]);
    expect(res.code).toBe(1);
    expect(res.stdout).toBe("");
    expect(res.stderr).toMatch(
      new RegExp(
        `^Error: error when creating Traceflow, is Traceflow feature gate enabled\\? Traceflow "client-to-web-${SUFFIX}" is invalid: spec.timeout: Invalid value: 400: should be between 1 and 300\n$`,
      ),
    );
  });

  it("fails before creating anything when the endpoints or the flow are wrong", async () => {
    const cases: [string[], string][] = [
      [["-S", "10.0.0.1", "-D", "web"], "source must be a Pod if not a live-traffic Traceflow"],
      [["-L", "-S", "10.0.0.1", "-D", "ns1/frontend"], "one of source and destination must be a Pod"],
      [
        ["-S", "a/b/c", "-D", "web"],
        "source should be in the format of Namespace/Pod or Pod, or an IP address",
      ],
      [
        ["-S", "client", "-D", "web", "-f", "tcp,tcp_dst=http"],
        'failed to parse flow: error when parsing the flow: strconv.Atoi: parsing "http": invalid syntax',
      ],
    ];
    for (const [args, message] of cases) {
      expect(await antctl(["traceflow", ...args]), args.join(" ")).toEqual({
        code: 1,
        stdout: "",
        stderr: `Error: error when filling up Traceflow config: ${message}\n`,
      });
    }
  });
});

describe("antctl traceflow flag checks", () => {
  it("prints Antrea's messages on stdout, without a newline, and exits 0 as Antrea does", async () => {
    const cases: [string[], string][] = [
      [["-D", "web"], "Please provide source"],
      [["-S", "client"], "Please provide destination"],
      [["-L"], "One of source and destination must be a Pod"],
      [
        ["-S", "client", "-D", "web", "--dropped-only"],
        "--dropped-only works only with live-traffic Traceflow",
      ],
      [["-S", "client", "-D", "web", "-t", "13h"], "Timeout cannot be longer than 12 hours"],
    ];
    for (const [args, message] of cases) {
      expect(await antctl(["traceflow", ...args]), args.join(" ")).toEqual({
        code: 0,
        stdout: message,
        stderr: "",
      });
    }
  });

  it("has Antrea's flags in its help, and takes no arguments", async () => {
    const help = (await antctl(["tf", "--help"])).stdout;
    for (const flag of [
      "-S, --source",
      "-D, --destination",
      "-f, --flow",
      "-L, --live-traffic",
      "--dropped-only",
      "--nowait",
      "-o, --output",
      "-t, --timeout",
    ]) {
      expect(help).toContain(flag);
    }
    expect((await antctl(["traceflow", "web"])).code).not.toBe(0);
  });
});
