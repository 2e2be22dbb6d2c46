// Test support for the real-lab Egress tests: a default lab (control-plane, worker, worker2, ext) running the
// reference stack, client Pods on every node, an ExternalIPPool of two addresses of the underlay for worker and
// worker2, and the checks the tests share (what the external host sees, who holds the IP, status).
import { setTimeout as sleep } from "node:timers/promises";
import { CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { stringify } from "yaml";
import { assertNoLeftovers } from "../../../lab/netns/leaks.ts";
import { NetnsProvider } from "../../../lab/netns/provider.ts";
import type { ExecTarget, LabStatus } from "../../../lab/provider.ts";
import { uniqueLabName } from "../../../lab/testing/lab-fixture.ts";
import { loadTopology } from "../../../lab/topology/load.ts";
import { run } from "../../common/exec.ts";
import { formatIp, parseCidr } from "../ipv4.ts";

const DEFAULT_TOPOLOGY = new URL("../../../lab/topologies/default.yaml", import.meta.url).pathname;
export const NAMESPACE = "egress-test";
export const EGRESS_NODES = ["worker", "worker2"] as const;

/** Client Pods: a on worker, b on worker2, c (not selected) on worker, d on the control-plane node. */
const PODS = { a: "worker", b: "worker2", c: "worker", d: "control-plane" } as const;
export type PodName = keyof typeof PODS;

export interface EgressView {
  egressIP?: string;
  egressNode?: string;
  conditions: { type: string; status: string; reason?: string; message?: string }[];
}

export class EgressLab {
  readonly provider = new NetnsProvider();
  readonly name = uniqueLabName();
  status!: LabStatus;
  private custom!: CustomObjectsApi;

  async up(): Promise<void> {
    const { spec } = await loadTopology(DEFAULT_TOPOLOGY);
    this.status = await this.provider.up(spec, { name: this.name });
    const kc = new KubeConfig();
    kc.loadFromFile(this.status.kubeconfig!);
    this.custom = kc.makeApiClient(CustomObjectsApi);
  }

  /** Takes the lab down (undoing nothing else first: down removes every process and namespace) and checks it. */
  async down(): Promise<void> {
    await this.provider.down(this.name);
    await assertNoLeftovers(this.name);
  }

  host(name: string): { address: string } {
    const h = this.status.hosts.find((x) => x.name === name);
    if (!h) throw new Error(`no host ${name} in lab ${this.name}`);
    return h;
  }

  /** The n-th address of the underlay (e.g. .200): the pool's addresses are on the node subnet. */
  underlayIP(n: number): string {
    return formatIp(parseCidr(this.status.topology.network.underlay).network + n);
  }

  async kubectl(args: string[], input?: string): Promise<string> {
    const res = await run(["kubectl", "--kubeconfig", this.status.kubeconfig!, ...args], {
      ...(input !== undefined ? { input } : {}),
      timeoutMs: 30_000,
    });
    return res.stdout;
  }

  /** The client Pods, the pool (two underlay addresses, worker and worker2) and an Egress selecting a, b and d. */
  async deploy(): Promise<void> {
    const pods = Object.entries(PODS).map(([name, node]) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: {
        name,
        namespace: NAMESPACE,
        labels: { app: "client", egress: name === "c" ? "unselected" : "selected" },
      },
      spec: {
        nodeSelector: { "ovslab.dev/topology-node": node },
        tolerations: [{ operator: "Exists" }],
        containers: [{ name: "c", image: "registry.k8s.io/e2e-test-images/agnhost:2.52", args: ["pause"] }],
      },
    }));
    const objects = [
      { apiVersion: "v1", kind: "Namespace", metadata: { name: NAMESPACE } },
      ...pods,
      {
        apiVersion: "crd.antrea.io/v1beta1",
        kind: "ExternalIPPool",
        metadata: { name: "pool" },
        spec: {
          ipRanges: [{ start: this.underlayIP(200), end: this.underlayIP(201) }],
          nodeSelector: {
            matchExpressions: [
              { key: "ovslab.dev/topology-node", operator: "In", values: [...EGRESS_NODES] },
            ],
          },
        },
      },
      {
        apiVersion: "crd.antrea.io/v1beta1",
        kind: "Egress",
        metadata: { name: "egress" },
        spec: {
          appliedTo: {
            podSelector: { matchLabels: { egress: "selected" } },
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": NAMESPACE } },
          },
          externalIPPool: "pool",
        },
      },
    ];
    await this.kubectl(["apply", "-f", "-"], objects.map((o) => stringify(o)).join("---\n"));
    await this.kubectl(["wait", "-n", NAMESPACE, "--for=condition=Ready", "pod", "--all", "--timeout=60s"]);
  }

  async egress(name = "egress"): Promise<EgressView> {
    const o = (await this.custom.getClusterCustomObject({
      group: "crd.antrea.io",
      version: "v1beta1",
      plural: "egresses",
      name,
    })) as { spec?: { egressIP?: string }; status?: Partial<EgressView> };
    return {
      ...(o.spec?.egressIP ? { egressIP: o.spec.egressIP } : {}),
      ...(o.status?.egressNode ? { egressNode: o.status.egressNode } : {}),
      conditions: o.status?.conditions ?? [],
    };
  }

  /** The address the external host saw for a request from Pod `pod` (its netexec's /clientip), or an error text. */
  async clientIP(pod: PodName, timeoutSeconds = 1): Promise<string> {
    const target: ExecTarget = { kind: "pod", namespace: NAMESPACE, name: pod };
    const url = `http://${this.host("ext").address}:8080/clientip`;
    const res = await this.provider.exec(
      this.name,
      target,
      [
        "curl",
        "-sS",
        "--connect-timeout",
        String(timeoutSeconds),
        "--max-time",
        String(timeoutSeconds * 2),
        url,
      ],
      { timeoutMs: 10_000 },
    );
    return res.code === 0 ? res.stdout.trim().replace(/:\d+$/, "") : `error: ${res.stderr.trim()}`;
  }

  async onNode(node: string, argv: string[]): Promise<string> {
    return (await this.provider.exec(this.name, { kind: "node", name: node }, argv, { timeoutMs: 10_000 }))
      .stdout;
  }

  /** The nodes whose `ip -br addr` shows `<ip>/32`. */
  async holders(ip: string): Promise<string[]> {
    const nodes = this.status.hosts.filter((h) => h.role !== "external").map((h) => h.name);
    const shows = await Promise.all(
      nodes.map(async (n) => (await this.onNode(n, ["ip", "-br", "addr"])).includes(`${ip}/32`)),
    );
    return nodes.filter((_, i) => shows[i]);
  }

  /** Packets that went through the Egress SNAT rule of `node` so far. */
  async snatPackets(node: string): Promise<number> {
    const out = await this.onNode(node, [
      "iptables",
      "-w",
      "-t",
      "nat",
      "-L",
      "ANTREA-POSTROUTING",
      "-v",
      "-x",
      "-n",
    ]);
    return out
      .split("\n")
      .filter((l) => l.includes("Antrea: SNAT Pod to external packets"))
      .reduce((sum, l) => sum + Number(l.trim().split(/\s+/)[0] ?? 0), 0);
  }
}

/** Polls `probe` every 100 ms until it returns a value `ok` accepts; returns it with the time it took. */
export async function until<T>(
  what: string,
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 20_000,
): Promise<{ value: T; ms: number }> {
  const start = Date.now();
  for (;;) {
    const value = await probe();
    if (ok(value)) return { value, ms: Date.now() - start };
    if (Date.now() - start > timeoutMs) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${JSON.stringify(value)}`);
    }
    await sleep(100);
  }
}
