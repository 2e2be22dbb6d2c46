// Egress IP allocation in-process against a real API server: pools and Egresses are created through the API,
// the controller's writes (spec.egressIP, IPAllocated, status.usage) are read back, and an agent's status fields
// survive them. `kubectl get` shows Antrea's columns.

import { KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { KubeObject } from "../../../lab/control-plane/object.ts";
import { startTestCluster, type TestCluster } from "../../../lab/control-plane/testing/test-cluster.ts";
import { stdoutLogger } from "../log.ts";
import { type EgressIPController, startEgressIPController } from "./controller.ts";

let cluster: TestCluster;
let controller: EgressIPController | undefined;

beforeAll(async () => {
  cluster = await startTestCluster();
  const kc = new KubeConfig();
  kc.loadFromFile(cluster.kubeconfigPath);
  controller = await startEgressIPController({ kc, log: stdoutLogger("error") });
});

afterAll(async () => {
  await controller?.stop();
  await cluster?.close();
});

const egresses = () => cluster.server.api.client("egresses.crd.antrea.io");
const pools = () => cluster.server.api.client("externalippools.crd.antrea.io");

async function eventually<T>(probe: () => T, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
}

function pool(name: string, ipRanges: object[]): void {
  pools().create({
    apiVersion: "crd.antrea.io/v1beta1",
    kind: "ExternalIPPool",
    metadata: { name },
    spec: { ipRanges, nodeSelector: {} },
  });
}

function egress(name: string, spec: object): void {
  egresses().create({
    apiVersion: "crd.antrea.io/v1beta1",
    kind: "Egress",
    metadata: { name },
    spec: { appliedTo: { podSelector: { matchLabels: { app: name } } }, ...spec },
  });
}

const field = (o: KubeObject, path: string): unknown =>
  path.split(".").reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], o);

function condition(name: string, type: string): Record<string, unknown> | undefined {
  const conditions = field(egresses().get(name), "status.conditions") as
    | Record<string, unknown>[]
    | undefined;
  return conditions?.find((c) => c.type === type);
}

describe("Egress IP allocation", () => {
  it("allocates the pool's first free IP into spec.egressIP and says so in IPAllocated and usage", async () => {
    pool("p1", [{ cidr: "169.254.100.0/30" }]);
    egress("e1", { externalIPPool: "p1" });
    await eventually(() => expect(field(egresses().get("e1"), "spec.egressIP")).toBe("169.254.100.1"));
    await eventually(() =>
      expect(condition("e1", "IPAllocated")).toMatchObject({
        status: "True",
        reason: "Allocated",
        message: "EgressIP is successfully allocated",
      }),
    );
    await eventually(() => expect(field(pools().get("p1"), "status.usage")).toEqual({ total: 2, used: 1 }));
  });

  it("keeps a requested IP of the pool, and reports AllocationError for one an older Egress holds", async () => {
    egress("e2", { externalIPPool: "p1", egressIP: "169.254.100.2" });
    egress("e3", { externalIPPool: "p1", egressIP: "169.254.100.2" });
    await eventually(() => expect(condition("e2", "IPAllocated")).toMatchObject({ status: "True" }));
    await eventually(() =>
      expect(condition("e3", "IPAllocated")).toMatchObject({
        status: "False",
        reason: "AllocationError",
        message:
          "Cannot allocate EgressIP from ExternalIPPool: error when allocating IP 169.254.100.2 for Egress e3 " +
          "from ExternalIPPool p1: cannot allocate IP 169.254.100.2 in any range",
      }),
    );
    await eventually(() => expect(field(pools().get("p1"), "status.usage")).toEqual({ total: 2, used: 2 }));
  });

  it("has the API refuse an IP outside the pool, a missing pool and overlapping or deleted ranges", async () => {
    const apply = (doc: object) => cluster.kubectl(["apply", "-f", "-"], JSON.stringify(doc));
    const egressDoc = (spec: object) => ({
      apiVersion: "crd.antrea.io/v1beta1",
      kind: "Egress",
      metadata: { name: "bad" },
      spec: { appliedTo: { podSelector: {} }, ...spec },
    });
    const poolDoc = (name: string, ipRanges: object[]) => ({
      apiVersion: "crd.antrea.io/v1beta1",
      kind: "ExternalIPPool",
      metadata: { name },
      spec: { ipRanges, nodeSelector: {} },
    });
    const outside = await apply(egressDoc({ externalIPPool: "p1", egressIP: "10.9.9.9" }));
    expect(outside.code).not.toBe(0);
    expect(outside.stderr).toContain(
      'spec.egressIP: Invalid value: "10.9.9.9": IP 10.9.9.9 is not within the IP range',
    );
    const noPool = await apply(egressDoc({ externalIPPool: "nope", egressIP: "10.9.9.9" }));
    expect(noPool.stderr).toContain(
      'spec.externalIPPool: Invalid value: "nope": ExternalIPPool nope does not exist',
    );
    const overlap = await apply(poolDoc("p2", [{ start: "169.254.100.3", end: "169.254.100.9" }]));
    expect(overlap.stderr).toContain("spec.ipRanges[0]: Invalid value: ");
    expect(overlap.stderr).toContain(
      "range [169.254.100.3-169.254.100.9] overlaps with range [169.254.100.0/30] of pool p1",
    );
    const shrink = await apply(poolDoc("p1", [{ cidr: "169.254.101.0/30" }]));
    expect(shrink.stderr).toContain("existing IPRanges [169.254.100.0/30] cannot be deleted");
  });

  it("leaves the agents' status fields alone and shows EGRESSIP and NODE in kubectl get", async () => {
    const e1 = egresses().get("e1");
    const status = (e1.status ?? {}) as Record<string, unknown>;
    egresses().updateStatus({
      ...e1,
      status: {
        ...status,
        egressNode: "worker",
        egressIP: "169.254.100.1",
        conditions: [
          ...((status.conditions as object[]) ?? []),
          { type: "IPAssigned", status: "True", reason: "Assigned", message: "m" },
        ],
      },
    });
    // A change that makes the controller write the condition again: the pool becomes smaller than its usage.
    egress("e4", { externalIPPool: "p1" });
    await eventually(() => expect(condition("e4", "IPAllocated")).toMatchObject({ status: "False" }));
    const after = egresses().get("e1");
    expect(field(after, "status.egressNode")).toBe("worker");
    expect(condition("e1", "IPAssigned")).toMatchObject({ status: "True" });
    const get = await cluster.kubectl(["get", "egresses", "e1"]);
    expect(get.stdout.split("\n")[0]).toMatch(/^NAME\s+EGRESSIP\s+AGE\s+NODE\s*$/);
    expect(get.stdout.split("\n")[1]).toMatch(/^e1\s+169\.254\.100\.1\s+\S+\s+worker\s*$/);
    const eip = await cluster.kubectl(["get", "eip", "p1"]);
    expect(eip.stdout).toMatch(/^NAME\s+TOTAL\s+USED\s+AGE\s*\np1\s+2\s+2\s+\S+/);
  });

  it("releases the IP of a deleted Egress, and the next Egress gets it", async () => {
    egresses().delete("e4");
    egresses().delete("e1");
    await eventually(() => expect(field(pools().get("p1"), "status.usage")).toEqual({ total: 2, used: 1 }));
    egress("e5", { externalIPPool: "p1" });
    await eventually(() => expect(field(egresses().get("e5"), "spec.egressIP")).toBe("169.254.100.1"));
  });

  it("clears spec.egressIP when the pool is deleted", async () => {
    pools().delete("p1");
    await eventually(() => expect(field(egresses().get("e5"), "spec.egressIP")).toBeUndefined());
    await eventually(() =>
      expect(condition("e5", "IPAllocated")).toMatchObject({
        status: "False",
        message: "Cannot allocate EgressIP from ExternalIPPool: ExternalIPPool p1 does not exist",
      }),
    );
  });
});
