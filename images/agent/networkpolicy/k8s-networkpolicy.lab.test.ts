// K8s NetworkPolicy end to end on a real lab: the seed policy nginx-allow (busybox loses nginx through its
// ClusterIP, relabelling busybox app=nginx restores it; conjunctive flows in IngressRule and the isolation drop in
// IngressDefaultRule on nginx's node; Realized on every Node of the span), then a default-deny ingress policy that
// blocks new connections while an established one keeps working (est/rel bypass) and stays in OVS while the agent
// restarts.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI } from "../../../lab/testing/lab-fixture.ts";
import { AgentLab, agnhostPod, eventually, type RunningPod } from "../testing/agent-lab.ts";

let lab: AgentLab | undefined;
let nginx0: RunningPod;
let nginx1: RunningPod;
let busybox: RunningPod;
let echo: RunningPod;
let clusterIP: string;

const ns = "default";
const server = { app: "nginx", role: "server" };

beforeAll(async () => {
  lab = await AgentLab.up();
  await lab.apply(
    agnhostPod({ namespace: ns, name: "busybox", node: "worker", labels: { app: "busybox" } }, ["pause"]),
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "nginx-0", namespace: ns, labels: server },
      spec: {
        nodeName: "worker",
        containers: [{ name: "nginx", image: "nginx", ports: [{ containerPort: 80 }] }],
      },
    },
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "nginx-1", namespace: ns, labels: server },
      spec: {
        nodeName: "worker2",
        containers: [{ name: "nginx", image: "nginx", ports: [{ containerPort: 80 }] }],
      },
    },
    // A TCP echo server: busybox images run their command as a host program in the Pod's sandbox.
    {
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "echo", namespace: ns, labels: { app: "echo" } },
      spec: {
        nodeName: "worker2",
        containers: [
          {
            name: "echo",
            image: "busybox",
            command: ["socat", "TCP-LISTEN:9000,reuseaddr,fork", "EXEC:cat"],
          },
        ],
      },
    },
    {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "nginx", namespace: ns },
      // Not just app=nginx: relabelled busybox must not become an Endpoint.
      spec: { selector: server, ports: [{ port: 80 }] },
    },
  );
  [busybox, nginx0, nginx1, echo] = await lab.running([
    { namespace: ns, name: "busybox" },
    { namespace: ns, name: "nginx-0" },
    { namespace: ns, name: "nginx-1" },
    { namespace: ns, name: "echo" },
  ]);
  clusterIP = (await lab.core.readNamespacedService({ name: "nginx", namespace: ns })).spec?.clusterIP ?? "";
}, 120_000);

afterAll(async () => {
  await lab?.down();
}, 60_000);

const nginxAllow = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "nginx-allow", namespace: ns },
  spec: {
    podSelector: { matchLabels: { app: "nginx" } },
    ingress: [
      { from: [{ podSelector: { matchLabels: { app: "nginx" } } }], ports: [{ protocol: "TCP", port: 80 }] },
    ],
  },
};

describe("the seed policy nginx-allow", () => {
  it("blocks busybox from nginx through its ClusterIP, with conjunctive flows, until busybox is labelled app=nginx", async () => {
    const l = lab!;
    expect(await l.probeUntil(busybox, clusterIP, 80, "connected")).toBe("connected");

    try {
      await l.apply(nginxAllow);
      const cp = await l.realized(nginxAllow);
      expect(cp.span).toEqual(["worker", "worker2"]);
      expect(await l.probeUntil(busybox, clusterIP, 80, "dropped", 10_000)).toBe("dropped");
      expect(await Promise.all([l.probe(busybox, nginx0.ip, 80), l.probe(busybox, nginx1.ip, 80)])).toEqual([
        "dropped",
        "dropped",
      ]);

      // nginx-0's node: from = nginx Pod IPs (1/3), to = nginx-0's ofport (2/3), service = tcp/80 (3/3).
      const ingress = await l.flows(nginx0.node, "IngressRule");
      const conj =
        /priority=190,conj_id=(\d+),ip actions=set_field:0x([0-9a-f]+)->reg6,ct\(commit,table=IngressMetric,zone=65520,exec\(set_field:0x\2\/0xffffffff->ct_label\)\)/.exec(
          ingress.join("\n"),
        );
      expect(conj, ingress.join("\n")).not.toBeNull();
      const id = conj![1];
      const ofport = Number.parseInt(
        /priority=200,reg1=0x([0-9a-f]+) actions=conjunction/.exec(ingress.join("\n"))?.[1] ?? "",
        16,
      );
      for (const line of [
        `priority=200,ip,nw_src=${nginx0.ip} actions=conjunction(${id},1/3)`,
        `priority=200,ip,nw_src=${nginx1.ip} actions=conjunction(${id},1/3)`,
        `priority=200,reg1=0x${ofport.toString(16)} actions=conjunction(${id},2/3)`,
        `priority=200,tcp,tp_dst=80 actions=conjunction(${id},3/3)`,
      ]) {
        expect(
          ingress.some((f) => f.endsWith(line)),
          line,
        ).toBe(true);
      }
      const drops = await l.flows(nginx0.node, "IngressDefaultRule");
      expect(drops.some((f) => f.endsWith(`priority=200,reg1=0x${ofport.toString(16)} actions=drop`))).toBe(
        true,
      );
      const dropped = /n_packets=(\d+)/.exec(
        drops.find((f) => f.includes(`reg1=0x${ofport.toString(16)} `)) ?? "",
      );
      expect(Number(dropped?.[1])).toBeGreaterThan(0);
      // The control-plane node is outside the span: none of it there.
      expect((await l.flows("control-plane", "IngressRule")).join("\n")).not.toContain("conjunction(");

      // Incremental: the new group member adds its clause flow; the flows that did not change stay as they
      // were in OVS (a rewritten flow would restart its duration).
      const duration = (flows: string[], what: string) =>
        Number(/duration=([\d.]+)s/.exec(flows.find((f) => f.includes(what)) ?? "")?.[1] ?? Number.NaN);
      const before = { at: Date.now(), action: duration(ingress, `conj_id=${id},`) };
      await l.label(busybox, { app: "nginx" });
      expect(await l.probeUntil(busybox, clusterIP, 80, "connected")).toBe("connected");
      const after = await l.flows(nginx0.node, "IngressRule");
      const elapsed = (Date.now() - before.at) / 1000;
      expect(duration(after, `conj_id=${id},`)).toBeGreaterThan(before.action + elapsed - 1);
      expect(duration(after, `nw_src=${nginx1.ip} `)).toBeGreaterThan(before.action + elapsed - 1);
      expect(
        after.some((f) => f.endsWith(`priority=200,ip,nw_src=${busybox.ip} actions=conjunction(${id},1/3)`)),
      ).toBe(true);
    } finally {
      await l.label(busybox, { app: "busybox" });
      await l.remove(nginxAllow);
    }
  });
});

const deny = {
  apiVersion: "networking.k8s.io/v1",
  kind: "NetworkPolicy",
  metadata: { name: "default-deny-ingress", namespace: ns },
  spec: { podSelector: {}, policyTypes: ["Ingress"] },
};

describe("default deny ingress", () => {
  it("drops new connections to every Pod of the Namespace while an established one keeps working", async () => {
    const l = lab!;
    // A connection busybox -> echo, open before the policy exists.
    const client = spawn(
      process.execPath,
      [CLI, "exec", "--name", l.name, "pod/default/busybox", "--", "socat", "-", `TCP:${echo.ip}:9000`],
      {
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    try {
      const lines: string[] = [];
      let stderr = "";
      createInterface({ input: client.stdout }).on("line", (line) => lines.push(line));
      client.stderr.on("data", (d: Buffer) => {
        stderr += d.toString();
      });
      const roundTrip = async (text: string) => {
        client.stdin.write(`${text}\n`);
        await eventually(async () => {
          if (!lines.includes(text)) throw new Error(`no echo of ${text}: ${lines.join("|")} ${stderr}`);
        }, 30_000);
      };
      await roundTrip("before");

      await l.apply(deny);
      const cp = await l.realized(deny);
      expect(cp.span).toEqual(["worker", "worker2"]);
      expect(await l.probeUntil(busybox, echo.ip, 9000, "dropped", 10_000)).toBe("dropped");
      await roundTrip("after");

      const echoNode = await l.flows(echo.node);
      expect(
        echoNode.filter(
          (f) =>
            f.includes("table=IngressDefaultRule") &&
            f.includes("actions=drop") &&
            f.includes("priority=200,reg1="),
        ),
      ).toHaveLength(2);
      expect(
        echoNode.some(
          (f) =>
            f.includes("table=AntreaPolicyIngressRule") &&
            f.includes("priority=64990,ct_state=-new+est,ip actions=goto_table:IngressMetric"),
        ),
      ).toBe(true);
    } finally {
      await l.remove(deny);
      client.stdin.end();
      if (client.exitCode === null) await new Promise((r) => client.once("close", r));
    }
  });
});

describe("agent restart", () => {
  it("keeps the isolation drops in OVS all through a restart of the agent (no window without policy)", async () => {
    const l = lab!;
    await l.apply(deny);
    try {
      await l.realized(deny);
      expect(await l.probeUntil(busybox, echo.ip, 9000, "dropped", 10_000)).toBe("dropped");
      const drops = async () =>
        (await l.flows(echo.node, "IngressDefaultRule")).filter((f) => f.includes("actions=drop")).length;
      expect(await drops()).toBe(2);
      // Sample the drops every 50 ms while the agent restarts, and for 3 s after (its controllers re-sync then).
      const seen: number[] = [];
      let restarting = true;
      const sampler = (async () => {
        let after = 0;
        while (restarting || after++ < 60) {
          seen.push(await drops());
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
      await l.restartAgent(echo.node).finally(() => {
        restarting = false;
      });
      await sampler;
      expect(seen.length).toBeGreaterThan(60);
      expect(seen.filter((n) => n !== 2)).toEqual([]);
      expect(await l.probe(busybox, echo.ip, 9000)).toBe("dropped");
    } finally {
      await l.remove(deny);
    }
  }, 120_000);
});
