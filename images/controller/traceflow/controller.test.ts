// The Traceflow controller in-process against a real API server: Traceflows are created through the API (so its
// admission checks apply), agents' results and failures are written to the status subresource over HTTPS as the
// agents write them, and the controller's tags, phases and timeouts are read back.
import { ApiException, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../lab/control-plane/object.ts";
import { startTestCluster, type TestCluster } from "../../../lab/control-plane/testing/test-cluster.ts";
import {
  type NodeResult,
  parseTraceflow,
  TRACEFLOW_RESOURCE,
  TRACEFLOW_TAGS,
  type TraceflowStatus,
} from "../../api/traceflow.ts";
import type { Logger } from "../log.ts";
import { startTraceflowController, type TraceflowController } from "./controller.ts";
import { TraceflowStatusWriter } from "./writer.ts";

let cluster: TestCluster;
let kc: KubeConfig;
let agentApi: CustomObjectsApi;
let controller: TraceflowController | undefined;
const logged: string[] = [];
const log: Logger = {
  debug: () => {},
  info: (m) => logged.push(m),
  warn: (m) => logged.push(m),
  error: (m) => logged.push(m),
};

beforeAll(async () => {
  cluster = await startTestCluster();
  kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  agentApi = kc.makeApiClient(CustomObjectsApi);
  pod("client", "10.10.1.2");
  pod("server", "10.10.2.2");
  pod("backend", "10.10.2.3");
  controller = await startTraceflowController({ kc, log });
});

afterEach(() => {
  for (const tf of traceflows().list()) traceflows().delete(tf.metadata.name ?? "");
});

afterAll(async () => {
  await controller?.stop();
  await cluster?.close();
});

const traceflows = () => cluster.server.api.client("traceflows.crd.antrea.io");

async function eventually<T>(probe: () => T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function pod(name: string, ip: string): void {
  const pods = cluster.server.api.client("pods");
  pods.create({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default" },
    spec: { nodeName: "n1", containers: [{ name: "c", image: "agnhost" }] },
  });
  const created = pods.get(name, "default");
  pods.updateStatus({ ...created, status: { phase: "Running", podIP: ip, podIPs: [{ ip }] } });
}

const podToPod = {
  source: { namespace: "default", pod: "client" },
  destination: { namespace: "default", pod: "server" },
};

function traceflow(name: string, spec: object = podToPod): void {
  traceflows().create({ apiVersion: "crd.antrea.io/v1beta1", kind: "Traceflow", metadata: { name }, spec });
}

function status(name: string): TraceflowStatus {
  const tf = parseTraceflow(traceflows().get(name));
  if (!tf) throw new Error(`${name} does not parse`);
  return tf.status ?? {};
}

/** Waits until Traceflow `name` is Running; returns its tag. */
async function runningTag(name: string): Promise<number> {
  const s = await eventually(() => {
    const s = status(name);
    expect(s.phase).toBe("Running");
    return s;
  });
  return s.dataplaneTag ?? -1;
}

/** What an agent does: read, change the status, PUT it to the status subresource, again on a conflict. */
async function agentWrite(name: string, change: (s: Record<string, unknown>) => object): Promise<void> {
  for (;;) {
    const live = (await agentApi.getClusterCustomObject({ ...TRACEFLOW_RESOURCE, name })) as KubeObject;
    const body = { ...live, status: change((live.status ?? {}) as Record<string, unknown>) };
    try {
      await agentApi.replaceClusterCustomObjectStatus({ ...TRACEFLOW_RESOURCE, name, body });
      return;
    } catch (err) {
      if (!(err instanceof ApiException && err.code === 409)) throw err;
    }
  }
}

const report = (name: string, result: NodeResult) =>
  agentWrite(name, (s) => ({ ...s, results: [...((s.results as object[]) ?? []), result] }));

const senderResult: NodeResult = {
  node: "n1",
  timestamp: 1700000000,
  observations: [
    { component: "SpoofGuard", action: "Forwarded", srcPodIP: "10.10.1.2" },
    { component: "Forwarding", componentInfo: "Output", action: "Forwarded", tunnelDstIP: "172.18.0.3" },
  ],
};
const receiverResult: NodeResult = {
  node: "n2",
  timestamp: 1700000001,
  observations: [
    { component: "Forwarding", action: "Received" },
    { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
  ],
};

describe("Traceflow controller", () => {
  it("gives new Traceflows the lowest free tags, Running with a startTime, and reuses a freed tag", async () => {
    const before = Date.now();
    for (const name of ["tf-a", "tf-b", "tf-c"]) traceflow(name);
    expect(await runningTag("tf-a")).toBe(7);
    expect(await runningTag("tf-b")).toBe(11);
    expect(await runningTag("tf-c")).toBe(15);
    const startTime = status("tf-a").startTime ?? "";
    expect(startTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(Date.parse(startTime)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(logged).toContain("Traceflow tf-b: Running, dataplaneTag 11");
    traceflows().delete("tf-b");
    traceflow("tf-d");
    expect(await runningTag("tf-d")).toBe(11);
    expect(logged).toContain("Traceflow tf-b: deleted, dataplaneTag 11 freed");
  });

  it("keeps a 15th Traceflow pending until one ends, then starts it with the freed tag", async () => {
    const names = TRACEFLOW_TAGS.map((_, i) => `full-${i}`);
    for (const name of names) traceflow(name);
    const tags = await Promise.all(names.map(runningTag));
    expect(tags).toEqual(TRACEFLOW_TAGS);
    traceflow("full-extra");
    await eventually(() =>
      expect(logged).toContain("Traceflow full-extra: pending, all 14 dataplane tags are in use"),
    );
    await sleep(300);
    expect(status("full-extra").phase).toBeUndefined();
    await report("full-4", senderResult);
    await sleep(200);
    expect(status("full-4").phase).toBe("Running");
    await report("full-4", receiverResult);
    await eventually(() =>
      expect(status("full-4")).toMatchObject({
        phase: "Succeeded",
        dataplaneTag: 0,
        results: [senderResult, receiverResult],
      }),
    );
    await eventually(() => expect(logged).toContain("Traceflow full-4: Succeeded, dataplaneTag 23 freed"));
    expect(await runningTag("full-extra")).toBe(23);
  });

  it("ends a live trace without a source Pod on the receiver's final action alone", async () => {
    traceflow("live-rx", { liveTraffic: true, destination: { namespace: "default", pod: "server" } });
    await runningTag("live-rx");
    await report("live-rx", { node: "n2", observations: [{ component: "Forwarding", action: "Received" }] });
    await sleep(200);
    expect(status("live-rx").phase).toBe("Running");
    await report("live-rx", receiverResult);
    await eventually(() => expect(status("live-rx").phase).toBe("Succeeded"));
  });

  it("ends a droppedOnly live trace with its first result", async () => {
    traceflow("dropped", {
      liveTraffic: true,
      droppedOnly: true,
      source: { namespace: "default", pod: "client" },
      destination: { namespace: "default", pod: "server" },
    });
    await runningTag("dropped");
    const drop = {
      node: "n2",
      observations: [
        { component: "Forwarding", action: "Received" },
        { component: "NetworkPolicy", componentInfo: "IngressDefaultRule", action: "Dropped" },
      ],
    };
    await report("dropped", drop);
    await eventually(() => expect(status("dropped")).toMatchObject({ phase: "Succeeded", results: [drop] }));
  });

  it("names the Pod behind a Service's translated destination IP", async () => {
    traceflow("to-svc", { source: podToPod.source, destination: { namespace: "default", service: "web" } });
    await runningTag("to-svc");
    await report("to-svc", {
      node: "n1",
      observations: [
        { component: "SpoofGuard", action: "Forwarded" },
        { component: "LB", action: "Forwarded", translatedDstIP: "10.10.2.3" },
        { component: "Forwarding", componentInfo: "Output", action: "Delivered" },
      ],
    });
    await eventually(() => expect(status("to-svc").phase).toBe("Succeeded"));
    expect(status("to-svc").results?.[0]?.observations?.[1]).toEqual({
      component: "LB",
      action: "Forwarded",
      translatedDstIP: "10.10.2.3",
      pod: "default/backend",
    });
  });

  it("still ends a trace whose source Pod was deleted: status writes pass admission", async () => {
    pod("leaving", "10.10.1.9");
    traceflow("orphan", { ...podToPod, source: { namespace: "default", pod: "leaving" } });
    await runningTag("orphan");
    cluster.server.api.client("pods").delete("leaving", "default", { gracePeriodSeconds: 0 });
    await report("orphan", senderResult);
    await report("orphan", receiverResult);
    await eventually(() => expect(status("orphan").phase).toBe("Succeeded"));
  });

  it("fails a trace with 'Traceflow timeout' within a second of its spec.timeout and frees its tag", async () => {
    traceflow("slow", { ...podToPod, timeout: 1 });
    const created = Date.now();
    const tag = await runningTag("slow");
    await report("slow", senderResult);
    const failedAt = await eventually(() => {
      expect(status("slow")).toMatchObject({
        phase: "Failed",
        reason: "Traceflow timeout",
        dataplaneTag: 0,
        results: [senderResult],
      });
      return Date.now();
    }, 4000);
    expect(failedAt - created).toBeGreaterThanOrEqual(1000);
    expect(failedAt - created).toBeLessThan(2000);
    await eventually(() =>
      expect(logged).toContain(`Traceflow slow: Failed (Traceflow timeout), dataplaneTag ${tag} freed`),
    );
    traceflow("after-slow");
    expect(await runningTag("after-slow")).toBe(tag);
  });

  it("frees the tag of a trace an agent failed", async () => {
    traceflow("first");
    traceflow("second");
    expect(await runningTag("first")).toBe(7);
    expect(await runningTag("second")).toBe(11);
    const reason = "Node: n1, error: failed to get source Pod";
    await agentWrite("first", (s) => ({ ...s, phase: "Failed", reason }));
    await eventually(() =>
      expect(logged).toContain(`Traceflow first: Failed (${reason}), dataplaneTag 7 freed`),
    );
    traceflow("third");
    expect(await runningTag("third")).toBe(7);
    expect(status("first")).toMatchObject({ phase: "Failed", reason });
  });

  it("keeps the tags of Running Traceflows across a controller restart", async () => {
    for (const name of ["z-old-1", "z-old-2", "z-old-3"]) traceflow(name);
    expect(await runningTag("z-old-1")).toBe(7);
    expect(await runningTag("z-old-2")).toBe(11);
    expect(await runningTag("z-old-3")).toBe(15);
    await controller?.stop();
    controller = undefined;
    traceflows().delete("z-old-2");
    // Listed before the Running ones (the API lists by name), so it must not get the first tag of the list.
    traceflow("a-while-down");
    controller = await startTraceflowController({ kc, log });
    expect(await runningTag("a-while-down")).toBe(11);
    traceflow("new");
    expect(await runningTag("new")).toBe(19);
    await report("z-old-3", senderResult);
    await report("z-old-3", receiverResult);
    await eventually(() => expect(status("z-old-3").phase).toBe("Succeeded"));
  });

  it("writes from the fresh object: results an agent adds during a status write are kept", async () => {
    traceflow("race");
    await runningTag("race");
    const writer = new TraceflowStatusWriter(kc);
    let calls = 0;
    const result = await writer.update("race", (fresh) => {
      calls++;
      // The first time, an agent's write lands between the controller's read and its write.
      if (calls === 1) {
        const live = traceflows().get("race");
        traceflows().updateStatus({
          ...live,
          status: { ...(live.status as object), results: [senderResult] },
        });
      }
      return { ...fresh.status, phase: "Succeeded", dataplaneTag: 0 };
    });
    expect(calls).toBe(2);
    expect(result.outcome).toBe("written");
    expect(status("race")).toMatchObject({ phase: "Succeeded", results: [senderResult] });
    expect(await writer.update("gone", () => ({}))).toEqual({ outcome: "gone" });
  });
});
