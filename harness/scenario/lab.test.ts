// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the scenario reference syntax under test
// Steps and the runner against a real embedded lab: probes between real network namespaces (listener, closed
// port, iptables DROP and REJECT in the external host), flows on a node's br-phy, Pods, faults undone at cleanup,
// and runScenarios writing JUnit and Allure results. One lab for the whole file; it is taken down afterwards and checked for leftovers.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatArgv, run } from "../../images/common/exec.ts";
import { agnhostArgv } from "../../images/workloads/images.ts";
import { describeLeftovers, findLeftovers } from "../../lab/netns/leaks.ts";
import { Ledger, latestProcesses } from "../../lab/netns/ledger.ts";
import { NetnsProvider } from "../../lab/netns/provider.ts";
import type { ExecTarget, LabStatus } from "../../lab/provider.ts";
import { CLI, runCli, uniqueLabName } from "../../lab/testing/lab-fixture.ts";
import type { ArtifactSink } from "./artifacts.ts";
import { Kube } from "./kube.ts";
import { LabContext } from "./lab-context.ts";
import { generateAllureHtml } from "./report.ts";
import { runScenarios } from "./runner.ts";
import { type Protocol, probe } from "./steps/connect.ts";
import { stepKind } from "./steps/index.ts";
import { StepFailure } from "./steps/step-kind.ts";

const provider = new NetnsProvider();
const lab = uniqueLabName();
const dir = mkdtempSync(join(tmpdir(), "ovslab-scenario-lab-"));
let status: LabStatus;
const attachments: { name: string; content: string }[] = [];
const sink: ArtifactSink = {
  attach: async (name, content) => {
    attachments.push({ name, content });
  },
  step: (_name, fn) => fn(),
};

beforeAll(async () => {
  const up = await runCli(["up", "--name", lab]);
  expect(up.code, up.stderr).toBe(0);
  status = (await provider.status(lab))!;
  expect(status.kubeconfig).toBeDefined();
}, 120_000);

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await provider.down(lab);
  expect(describeLeftovers(await findLeftovers(lab))).toBe("");
});

function context(name: string, namespaces: string[] = ["x"]): LabContext {
  return new LabContext(
    { provider, name: lab, status },
    { name, file: join(dir, `${name}.yaml`), dir, namespaces },
    sink,
  );
}

async function step(ctx: LabContext, kind: string, body: unknown, timeoutMs = 10_000): Promise<void> {
  const k = stepKind(kind)!;
  const parsed = k.schema.parse(body);
  const ms = parsed.timeout ?? timeoutMs;
  await k.run(parsed, ctx, {
    timeoutMs: ms,
    deadline: Date.now() + ms,
    signal: new AbortController().signal,
  });
}

async function failure(p: Promise<void>): Promise<StepFailure> {
  const err = await p.catch((e: unknown) => e);
  expect(err).toBeInstanceOf(StepFailure);
  return err as StepFailure;
}

/** Runs the first `reproduce:` command of a failure message with this checkout's CLI. */
async function reproduce(err: StepFailure) {
  const line = /reproduce: ovslab (.*)/.exec(err.message)?.[1];
  expect(line).toBeDefined();
  return run(["sh", "-c", `${process.execPath} ${CLI} ${line}`], { allowFailure: true, timeoutMs: 30_000 });
}

const ext: ExecTarget = { kind: "external", name: "ext" };
const worker: ExecTarget = { kind: "node", name: "worker" };

describe("probes between real network namespaces", () => {
  it("classify a listener as connected, a closed port and ICMP unreachable as rejected, an iptables DROP as dropped", async () => {
    const ctx = context("probe-classes");
    // agnhost netexec (HTTP on 8080) in the external host for 60 s at most; `down` ends it with the namespace.
    const server = formatArgv([
      "timeout",
      "60",
      ...agnhostArgv(["netexec", "--http-port=8080", "--udp-port=8090"]),
    ]);
    const started = await ctx.exec(ext, ["sh", "-c", `${server} >/dev/null 2>&1 &`]);
    expect(started.code).toBe(0);
    for (const rule of [
      ["-p", "tcp", "--dport", "8081", "-j", "DROP"],
      ["-p", "tcp", "--dport", "8082", "-j", "REJECT", "--reject-with", "icmp-host-unreachable"],
    ]) {
      expect((await ctx.exec(ext, ["iptables", "-A", "INPUT", ...rule])).code).toBe(0);
    }
    const extIp = await ctx.address("ext/ext");
    expect(extIp).toBe(status.hosts.find((h) => h.name === "ext")?.address);

    // The step retries until the listener is up.
    await step(ctx, "probe", { from: "node/worker", to: "ext/ext", port: 8080, expect: "connected" });
    const once = (protocol: Protocol, port?: number) =>
      probe(ctx, { source: worker, ip: extIp, port, protocol });
    const seen = async (protocol: Protocol, port?: number) => {
      const r = await once(protocol, port);
      return `${r.outcome}: ${r.detail}`;
    };
    expect(await seen("tcp", 8080)).toBe("connected: connected");
    expect(await seen("http", 8080)).toBe("connected: HTTP 200");
    expect(await seen("tcp", 8079)).toBe("rejected: REFUSED");
    expect(await seen("tcp", 8081)).toBe("dropped: TIMEOUT");
    expect(await seen("tcp", 8082)).toBe(
      `rejected: OTHER: dial tcp ${extIp}:8082: connect: no route to host`,
    );
    expect(await seen("http", 8081)).toMatch(/^dropped: curl: \(28\)/);
    expect(await seen("icmp")).toBe("connected: echo reply");
    expect(
      (
        await ctx.exec(ext, [
          "iptables",
          "-A",
          "INPUT",
          "-p",
          "icmp",
          "-j",
          "REJECT",
          "--reject-with",
          "icmp-host-prohibited",
        ])
      ).code,
    ).toBe(0);
    expect(await seen("icmp")).toBe("rejected: Destination Host Prohibited");
    expect((await ctx.exec(ext, ["iptables", "-A", "INPUT", "-p", "icmp", "-j", "DROP"])).code).toBe(0);
    expect(
      (
        await ctx.exec(ext, [
          "iptables",
          "-D",
          "INPUT",
          "-p",
          "icmp",
          "-j",
          "REJECT",
          "--reject-with",
          "icmp-host-prohibited",
        ])
      ).code,
    ).toBe(0);
    expect(await seen("icmp")).toBe("dropped: no reply");
    expect((await ctx.exec(ext, ["iptables", "-D", "INPUT", "-p", "icmp", "-j", "DROP"])).code).toBe(0);

    await step(ctx, "probe", { from: "node/worker", to: "ext/ext", port: 8081, expect: "dropped" });
    await step(ctx, "probe", { from: "node/worker", to: "${ext/ext.ip}", port: 8082, expect: "rejected" });
    const err = await failure(
      step(ctx, "probe", {
        from: "node/worker",
        to: "ext/ext",
        port: 8079,
        expect: "connected",
        timeout: "2s",
      }),
    );
    expect(err.message).toContain(`probe node/worker -> ext/ext (${extIp}:8079/tcp) was not connected`);
    expect(err.message).toContain("expected: connected");
    expect(err.message).toMatch(/seen: {5}rejected \(REFUSED\); \d+ attempt\(s\) in [\d.]+ s: rejected ×\d+/);
    const again = await reproduce(err);
    expect([again.code, again.stderr.trim()]).toEqual([1, "REFUSED"]);
  });
});

describe("flows step on a real node", () => {
  it("finds flows by table name or number, counts them, sees packet counters grow, and explains a miss", async () => {
    const ctx = context("flows");
    const named = await ctx.exec(worker, [
      "ovs-vsctl",
      "--timeout=5",
      "--",
      "--id=@ft",
      "create",
      "Flow_Table",
      "name=Classifier",
      "--",
      "set",
      "Bridge",
      "br-phy",
      "flow_tables:0=@ft",
    ]);
    expect(named.code, named.stderr).toBe(0);
    await step(ctx, "flows", {
      node: "worker",
      bridge: "br-phy",
      table: "Classifier",
      contains: ["table=Classifier", "actions=NORMAL"],
      absent: ["conjunction("],
      count: 1,
      save: "before",
    });
    await step(ctx, "flows", {
      node: "worker",
      bridge: "br-phy",
      table: 0,
      regex: ["n_packets=\\d+"],
      count: { min: 1, max: 1 },
    });
    const ping = await ctx.exec(ext, [
      "ping",
      "-c",
      "3",
      "-i",
      "0.2",
      "-W",
      "1",
      await ctx.address("node/worker"),
    ]);
    expect(ping.code).toBe(0);
    await step(ctx, "flows", {
      node: "worker",
      bridge: "br-phy",
      table: "Classifier",
      packetsIncreased: "before",
    });

    const err = await failure(
      step(ctx, "flows", {
        node: "worker",
        bridge: "br-phy",
        table: "Classifier",
        contains: ["conj_id="],
        count: 2,
        timeout: "1s",
      }),
    );
    expect(err.message).toContain('expected: contains "conj_id="; count 2');
    expect(err.message).toContain(
      'seen:\n      the flows does not contain "conj_id="; 1 flows, expected 2\n      1 flow(s):\n',
    );
    expect(err.message).toContain(
      `reproduce: ovslab exec --name ${lab} node/worker -- ovs-ofctl -O OpenFlow15 dump-flows --names br-phy table=Classifier`,
    );
    const again = await reproduce(err);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("table=Classifier");
    const unknown = await failure(
      step(ctx, "flows", { node: "worker", bridge: "br-phy", table: "Nope", timeout: "1s" }),
    );
    expect(unknown.message).toContain('ovs-ofctl exited with 1: ovs-ofctl: unknown table "Nope"');
    await expect(step(ctx, "flows", { node: "nonode", bridge: "br-phy" })).rejects.toThrow(
      `lab ${lab} has no node "nonode"`,
    );
  });
});

describe("Pods (embedded control plane and kubelets)", () => {
  it("applies Pods, waits, probes from a Pod, runs a reachability matrix and exec, then removes the namespace", async () => {
    const ctx = context("pods", ["x"]);
    const pod = (name: string) => ({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name, labels: { app: "matrix", pod: name } },
      spec: {
        containers: [
          {
            name: "agnhost",
            image: "registry.k8s.io/e2e-test-images/agnhost:2.40",
            args: ["netexec", "--http-port=80"],
          },
        ],
      },
    });
    await step(ctx, "apply", { manifests: [pod("a"), pod("b")] });
    await step(ctx, "wait", { for: "ready", selector: "app=matrix", count: 2 }, 30_000);
    await step(ctx, "probe", { from: "pod/x/a", to: "pod/b", port: 80, expect: "connected" });
    await step(ctx, "probe", { from: "pod/a", to: "${pod/x/b.ip}", port: 81, expect: "rejected" });
    await step(ctx, "probe", {
      from: "pod/a",
      to: "pod/x/b",
      port: 8081,
      protocol: "udp",
      expect: "connected",
    });
    await step(ctx, "exec", {
      on: "pod/x/a",
      command: ["/agnhost", "connect", "${pod/b.ip}:80", "--timeout=1s"],
      expect: { exitCode: 0 },
    });
    await step(ctx, "reachability", {
      namespaces: ["x"],
      selector: "app=matrix",
      nameLabel: "pod",
      ports: [80, 81],
      expect: { "tcp/80": "- a b\na - .\nb . -", "tcp/81": "- a b\na - Rej\nb Rej -" },
    });
    const matrix = attachments.filter((a) => a.name.startsWith("reachability-tcp-80")).at(-1)?.content;
    expect(matrix).toContain(
      "reachability: correct:2, incorrect:0, result=true\n\nexpected:\n-\ta\tb\na\t-\tCon\nb\tCon\t-",
    );

    const err = await failure(
      step(ctx, "reachability", { pods: ["a", "b"], port: 80, expect: "- a b\na . X\nb . .", timeout: "3s" }),
    );
    expect(err.message).toContain("reachability: 1 case(s) not as expected");
    expect(err.message).toContain("reachability: correct:3, incorrect:1, result=false");
    expect(err.message).toContain("comparison:\n      -\ta\tb\n      a\t.\tX");
    expect(err.message).toMatch(
      /reproduce: ovslab exec --name \w+ pod\/x-\w+\/a -- \/agnhost connect [\d.]+:80 --timeout=1s --protocol=tcp {3}# x\/a -> x\/b: connected/,
    );
    const again = await reproduce(err);
    expect(again.code, again.stderr).toBe(0);

    const kube = new Kube(status.kubeconfig!);
    const namespace = ctx.namespace("x");
    await ctx.cleanup(60_000);
    await expect(kube.core.readNamespace({ name: namespace })).rejects.toMatchObject({ code: 404 });
  }, 120_000);
});

describe("runScenarios", () => {
  const scenario = (name: string, steps: string[]) =>
    [
      "apiVersion: ovslab.dev/v1alpha1",
      "kind: Scenario",
      `metadata: { name: ${name}, tags: [t] }`,
      "spec:",
      "  steps:",
      ...steps,
      "",
    ].join("\n");

  it("runs scenarios as vitest suites on the running lab: exit 0, JUnit and Allure results, then exit 1 when a step fails", async () => {
    const out = join(dir, "out");
    const files = {
      "pass.yaml": scenario("underlay-pass", [
        "  - exec: { on: node/worker, command: [ovs-vsctl, --timeout=5, br-exists, br-phy] }",
        "  - probe: { from: ext/ext, to: node/worker, protocol: icmp, expect: connected }",
        "  - probe: { from: node/worker2, to: node/worker, port: 9, expect: rejected }",
        '  - exec: { on: ext/ext, command: "echo ${node/worker.ip}", expect: { stdout: { regex: ["^172\\\\."] } } }',
      ]),
      "fail.yaml": scenario("underlay-fail", [
        "  - probe: { from: ext/ext, to: node/worker, port: 9, expect: connected, timeout: 1500ms }",
        '  - exec: { on: node/worker, command: ["true"] }',
      ]),
    };
    writeFileSync(join(dir, "pass.yaml"), files["pass.yaml"]);
    const lines: string[] = [];
    const common = { lab, artifacts: join(out, "artifacts"), progress: (l: string) => lines.push(l) };
    const pass = await runScenarios({
      ...common,
      paths: [join(dir, "pass.yaml")],
      junit: join(out, "pass.xml"),
      allure: join(out, "allure"),
    });
    expect(pass, lines.join("\n")).toBe(0);
    expect(lines).toContain(`using the running lab ${lab}`);
    expect(
      lines.some((l) => /^ {2}✓ 03 probe node\/worker2 -> node\/worker:9 tcp expect rejected \(/.test(l)),
    ).toBe(true);
    expect(lines.at(-1)).toBe("scenarios: 1 passed, 0 failed; steps: 4 passed, 0 failed, 0 skipped");
    const junit = readFileSync(join(out, "pass.xml"), "utf8");
    expect(junit).toMatch(/<testsuites name="ovslab scenarios" tests="4" failures="0" errors="0"/);
    expect(junit).toContain(
      'name="underlay-pass &gt; 01 exec node/worker ovs-vsctl --timeout=5 br-exists br-phy"',
    );
    const results = readdirSync(join(out, "allure")).filter((f) => f.endsWith("-result.json"));
    expect(results).toHaveLength(4);
    const first = results.map((f) => JSON.parse(readFileSync(join(out, "allure", f), "utf8")));
    expect(first.map((r) => r.status)).toEqual(["passed", "passed", "passed", "passed"]);
    expect(
      first.flatMap((r) => r.labels).filter((l: { name: string }) => l.name === "feature"),
    ).toContainEqual({
      name: "feature",
      value: "underlay-pass",
    });
    expect(
      existsSync(
        join(
          out,
          "artifacts",
          "underlay-pass",
          "02_probe_ext_ext_-_node_worker_icmp_expect_connected",
          "01-probe.txt",
        ),
      ),
    ).toBe(true);
    const html = await generateAllureHtml(join(out, "allure"), join(out, "html"));
    expect(readFileSync(html, "utf8")).toContain("<html");

    writeFileSync(join(dir, "fail.yaml"), files["fail.yaml"]);
    lines.length = 0;
    const fail = await runScenarios({
      ...common,
      paths: [join(dir, "pass.yaml"), join(dir, "fail.yaml")],
      junit: join(out, "fail.xml"),
    });
    expect(fail, lines.join("\n")).toBe(1);
    expect(lines.join("\n")).toContain("  ✗ 01 probe ext/ext -> node/worker:9 tcp expect connected (");
    expect(lines.join("\n")).toContain(`reproduce: ovslab exec --name ${lab} ext/ext --`);
    expect(lines).toContain(
      "  - 02 exec node/worker true (skipped: step 01 probe ext/ext -> node/worker:9 tcp expect connected failed)",
    );
    expect(lines.at(-1)).toBe("scenarios: 1 passed, 1 failed; steps: 4 passed, 1 failed, 1 skipped");
    expect(readFileSync(join(out, "fail.xml"), "utf8")).toMatch(
      /<testsuites name="ovslab scenarios" tests="6" failures="1"/,
    );
    const bundle = readdirSync(
      join(out, "artifacts", "underlay-fail", "01_probe_ext_ext_-_node_worker_9_tcp_expect_connected"),
    );
    expect(bundle).toEqual(
      expect.arrayContaining(["02-flows-control-plane.txt", "03-ovs-vsctl-show-control-plane.txt"]),
    );
    expect(bundle.some((f) => f.includes("log-hosts_worker_ovs-vswitchd.log"))).toBe(true);
    expect((await provider.status(lab))?.name).toBe(lab); // a reused lab stays up

    lines.length = 0;
    writeFileSync(join(dir, "broken.yaml"), scenario("broken", ["  - probe: { from: node/worker }"]));
    expect(await runScenarios({ ...common, paths: [join(dir, "broken.yaml")] })).toBe(2);
    expect(lines.join("\n")).toMatch(/broken\.yaml:6:\d+: spec\.steps\[0\]\.probe\.to: /);
    const none = await runScenarios({ ...common, paths: [join(dir, "pass.yaml")], tag: "nothing-has-this" });
    expect(none).toBe(0);
    expect(lines.at(-1)).toBe("0 of 1 scenario(s) selected (--tag nothing-has-this)");
  }, 120_000);

  it("brings up the lab the scenarios name (spec.lab, relative to the file) and takes it down afterwards", async () => {
    const own = uniqueLabName();
    writeFileSync(
      join(dir, "tiny.yaml"),
      "name: tiny\ntopology:\n  nodes:\n    cp: { role: control-plane }\n  external:\n    outside: {}\n",
    );
    writeFileSync(
      join(dir, "tiny-scenario.yaml"),
      [
        "apiVersion: ovslab.dev/v1alpha1",
        "kind: Scenario",
        "metadata: { name: tiny }",
        "spec:",
        "  lab: ./tiny.yaml",
        "  steps:",
        "  - probe: { from: ext/outside, to: node/cp, protocol: icmp, expect: connected }",
        "",
      ].join("\n"),
    );
    const lines: string[] = [];
    try {
      const code = await runScenarios({
        paths: [join(dir, "tiny-scenario.yaml")],
        lab: own,
        artifacts: join(dir, "out", "artifacts"),
        progress: (l) => lines.push(l),
      });
      expect(code, lines.join("\n")).toBe(0);
      expect(lines).toContain(`bringing up lab ${own} from ${join(dir, "tiny.yaml")}`);
      expect(lines).toContain(`removing lab ${own}`);
      expect(await provider.status(own)).toBeUndefined();
    } finally {
      await provider.down(own);
      expect(describeLeftovers(await findLeftovers(own))).toBe("");
    }
  }, 120_000);
});

describe("fault step", () => {
  it("faults no later step undid are undone at cleanup: a stopped agent runs again, a downed link comes up", async () => {
    const ctx = context("fault-undo", []);
    const ledger = new Ledger(status.stateDir ?? "");
    const agent = latestProcesses(await ledger.entries()).find(
      (p) => p.host === "worker" && p.name === "agent",
    );
    expect(agent?.pid).toBeDefined();
    const state = () => readFileSync(`/proc/${agent!.pid}/stat`, "utf8").split(") ")[1]?.[0];
    const pingCp = () =>
      ctx.exec({ kind: "node", name: "worker2" }, ["ping", "-c", "1", "-W", "1", status.hosts[0]!.address]);

    await step(ctx, "fault", { node: "worker", process: "agent", action: "stop" });
    await step(ctx, "fault", { node: "worker2", link: "down" });
    // A later step that undoes a fault takes it off the list: one stop + cont pair leaves nothing to undo.
    await step(ctx, "fault", { node: "worker2", process: "kubelet", action: "stop" });
    await step(ctx, "fault", { node: "worker2", process: "kubelet", action: "cont" });
    expect(state()).toBe("T");
    expect((await pingCp()).code).not.toBe(0);

    await ctx.cleanup(10_000);
    expect(state()).not.toBe("T");
    await expect.poll(async () => (await pingCp()).code, { timeout: 5000, interval: 100 }).toBe(0);
  }, 60_000);
});
