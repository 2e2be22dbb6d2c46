// Antrea's Traceflow admission checks (pkg/controller/traceflow/validate.go) through the real kubectl: a
// non-live trace needs an existing, non-hostNetwork source Pod, every trace a source or destination Pod; the
// checks apply to creates and updates of the Traceflow but not to its status, which agents and the controller
// must be able to write after the source Pod is gone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../testing/test-cluster.ts";

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startTestCluster();
  for (const [name, hostNetwork] of [
    ["client", false],
    ["node-agent", true],
  ] as const) {
    cluster.server.api.client("pods").create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, namespace: "default" },
      spec: { hostNetwork, containers: [{ name: "c", image: "agnhost" }] },
    });
  }
});

afterAll(async () => {
  await cluster?.close();
});

const manifest = (name: string, spec: object) =>
  JSON.stringify({ apiVersion: "crd.antrea.io/v1beta1", kind: "Traceflow", metadata: { name }, spec });

const create = (name: string, spec: object) => cluster.kubectl(["create", "-f", "-"], manifest(name, spec));

const dest = { namespace: "default", pod: "server" };

describe("Traceflow admission", () => {
  it("refuses a non-live trace from a source Pod that does not exist, with Antrea's message", async () => {
    const res = await create("no-src", { source: { namespace: "default", pod: "nope" }, destination: dest });
    expect(res.code).toBe(1);
    expect(res.stderr.trim()).toBe(
      'The Traceflow "no-src" is invalid: spec.source.pod: Invalid value: "nope": ' +
        "requested source Pod default/nope not found",
    );
  });

  it("refuses a non-live trace without a source Pod or from a hostNetwork Pod", async () => {
    const noSource = await create("unsourced", { destination: dest });
    expect(noSource.code).toBe(1);
    expect(noSource.stderr).toContain("source Pod must be specified in non-live-traffic Traceflow");
    const noNamespace = await create("unsourced", { source: { pod: "client" }, destination: dest });
    expect(noNamespace.stderr).toContain("source Pod must be specified in non-live-traffic Traceflow");
    const host = await create("from-host", {
      source: { namespace: "default", pod: "node-agent" },
      destination: dest,
    });
    expect(host.code).toBe(1);
    expect(host.stderr).toContain(
      "using hostNetwork Pod as source in non-live-traffic Traceflow is not supported",
    );
  });

  it("refuses a live trace with neither a source nor a destination Pod", async () => {
    const res = await create("ip-to-ip", {
      liveTraffic: true,
      source: { ip: "10.10.1.2" },
      destination: { ip: "10.10.2.2" },
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain("Traceflow ip-to-ip has neither source nor destination Pod specified");
    // A live trace does not need its Pod to exist yet.
    const live = await create("live", {
      liveTraffic: true,
      destination: { namespace: "default", pod: "later" },
    });
    expect(live.stderr).toBe("");
    expect(live.stdout.trim()).toBe("traceflow.crd.antrea.io/live created");
  });

  it("reports schema errors before the webhook's", async () => {
    const res = await create("dropped", {
      droppedOnly: true,
      source: { namespace: "default", pod: "nope" },
      destination: dest,
    });
    expect(res.stderr).toContain("droppedOnly can only be set for live-traffic Traceflow");
    expect(res.stderr).not.toContain("not found");
  });

  it("checks updates of the Traceflow but not of its status once the source Pod is gone", async () => {
    cluster.server.api.client("pods").create({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "short-lived", namespace: "default" },
      spec: { containers: [{ name: "c", image: "agnhost" }] },
    });
    const ok = await create("tf-ok", {
      source: { namespace: "default", pod: "short-lived" },
      destination: dest,
    });
    expect(ok.stdout.trim()).toBe("traceflow.crd.antrea.io/tf-ok created");
    const label = await cluster.kubectl(["label", "traceflow", "tf-ok", "step=one"]);
    expect(label.code).toBe(0);
    cluster.server.api.client("pods").delete("short-lived", "default", { gracePeriodSeconds: 0 });
    const relabel = await cluster.kubectl(["label", "traceflow", "tf-ok", "step=two", "--overwrite"]);
    expect(relabel.code).toBe(1);
    expect(relabel.stderr).toContain("requested source Pod default/short-lived not found");
    const status = await cluster.kubectl([
      "patch",
      "traceflow",
      "tf-ok",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({ status: { phase: "Succeeded", results: [{ node: "n1", observations: [] }] } }),
    ]);
    expect(status.stderr).toBe("");
    expect(status.code).toBe(0);
    const phase = await cluster.kubectl(["get", "tf", "tf-ok", "-o", "jsonpath={.status.phase}"]);
    expect(phase.stdout).toBe("Succeeded");
  });
});
