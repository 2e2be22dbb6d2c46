// antctl against a real lab: Pods wired by the agent into the nodes' br-int, a K8s NetworkPolicy turned into
// controlplane objects by the controller and into flows by the agent, the nodes' real OVS and the lab's API
// server. antctl runs inside a node through `ovslab exec` (as a user runs it) and in-process through runAntctl
// (as `ovslab antctl` does).
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { assertNoLeftovers } from "../../lab/netns/leaks.ts";
import type { LabStatus } from "../../lab/provider.ts";
import { type CliResult, runCli, uniqueLabName } from "../../lab/testing/lab-fixture.ts";
import { TABLES } from "../agent/pipeline/tables.ts";
import { output, run } from "../common/exec.ts";
import { OvsTools, ovsEnv } from "../common/ovs.ts";
import { runAntctl } from "./antctl.ts";

const MAIN = fileURLToPath(new URL("./main.ts", import.meta.url));
const NODE = "worker";
const OTHER = "worker2";
const lab = uniqueLabName();
let kubeconfig = "";
let stateDir = "";

// web on NODE, client on OTHER; the policy lets client reach web on TCP 80, so it spans NODE only.
const MANIFESTS = `
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: default, labels: { app: web } }
spec:
  nodeName: ${NODE}
  containers: [{ name: pause, image: registry.k8s.io/pause:3.9 }]
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: default, labels: { app: client } }
spec:
  nodeName: ${OTHER}
  containers: [{ name: pause, image: registry.k8s.io/pause:3.9 }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: allow-client, namespace: default }
spec:
  podSelector: { matchLabels: { app: web } }
  policyTypes: [Ingress]
  ingress:
  - from: [{ podSelector: { matchLabels: { app: client } } }]
    ports: [{ protocol: TCP, port: 80 }]
`;

function mustSucceed(what: string, res: CliResult): string {
  if (res.code !== 0) throw new Error(`${what} failed (${res.code}):\n${res.stderr}${res.stdout}`);
  return res.stdout;
}

/** antctl inside NODE as a user runs it there: `ovslab exec node/NODE -- node --import tsx main.ts ...`. */
function antctlViaOvslabExec(args: string[]): Promise<CliResult> {
  const argv = [
    "exec",
    "--name",
    lab,
    `node/${NODE}`,
    "--",
    process.execPath,
    "--import",
    "tsx",
    MAIN,
    ...args,
  ];
  return runCli(argv, { ...process.env, KUBECONFIG: kubeconfig });
}

/** main.ts in NODE's network namespace, started directly (one process less than through the CLI). */
function antctlInNetns(args: string[]) {
  return run([process.execPath, "--import", "tsx", MAIN, ...args], {
    netns: `ol-${lab}-${NODE}`,
    env: { ...process.env, ...ovsEnv(`${stateDir}/hosts/${NODE}`), KUBECONFIG: kubeconfig },
    allowFailure: true,
  });
}

function antctl(args: string[], node = NODE) {
  return runAntctl(args, { ovsRundir: `${stateDir}/hosts/${node}`, kubeconfig, nodeName: node });
}

const kubectl = (args: string[]) => output(["kubectl", "--kubeconfig", kubeconfig, ...args]);

/** The web Pod's OVS port as the agent recorded it, read with ovs-vsctl directly. */
async function webPort() {
  const ovs = new OvsTools(`${stateDir}/hosts/${NODE}`);
  const vsctl = async (args: string[]) => (await ovs.vsctl(args, { noWait: true })).stdout.trim();
  const iface = await vsctl(["--bare", "--columns=name", "find", "Port", "external_ids:pod-name=web"]);
  const externalId = async (key: string) =>
    (await vsctl(["get", "Port", iface, `external_ids:${key}`])).replace(/^"(.*)"$/, "$1");
  return {
    iface,
    uuid: await vsctl(["get", "Port", iface, "_uuid"]),
    ofport: await vsctl(["get", "Interface", iface, "ofport"]),
    mac: await externalId("attached-mac"),
    ip: await externalId("ip-address"),
    containerId: await externalId("container-id"),
  };
}

/** Output lines without the final newline's empty string. */
const linesOf = (text: string) => text.replace(/\n$/, "").split("\n");

/**
 * The cells of an antctl table, cut where the header's columns start. Checks the layout on the way: every line
 * is equally long (each column padded to its widest cell plus one) and every cell starts at its column.
 */
function tableCells(text: string): string[][] {
  const [header, ...rows] = linesOf(text);
  const starts = [0, ...[...header!.matchAll(/ (?=\S)/g)].map((m) => m.index + 1)];
  return [header!, ...rows].map((line) => {
    expect(line.length, line).toBe(header!.length);
    return starts.map((at, i) => {
      expect(at === 0 || line[at - 1] === " ", line).toBe(true);
      return line.slice(at, starts[i + 1]).trimEnd();
    });
  });
}

beforeAll(async () => {
  mustSucceed("ovslab up", await runCli(["up", "--name", lab]));
  const status = JSON.parse(mustSucceed("status", await runCli(["status", "--name", lab, "-o", "json"])));
  stateDir = (status as LabStatus).stateDir!;
  kubeconfig = mustSucceed("kubeconfig", await runCli(["kubeconfig", "--name", lab])).trim();
  await run(["kubectl", "--kubeconfig", kubeconfig, "apply", "-f", "-"], { input: MANIFESTS });
  await kubectl(["wait", "--for=condition=Ready", "pod/web", "pod/client", "--timeout=30s"]);
  // The controller computes the policy and the agent realizes it; both report in the policy's status.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const phase = await kubectl([
      "get",
      "networkpolicies.controlplane.antrea.io",
      "-o",
      "jsonpath={.items[*].status.phase}",
    ]);
    if (phase === "Realized") break;
    if (Date.now() > deadline)
      throw new Error(`the NetworkPolicy was not realized in 30 s (phase "${phase}")`);
    await sleep(200);
  }
}, 180_000);

afterAll(async () => {
  // down is idempotent: it also sweeps what a failed up left.
  mustSucceed("ovslab down", await runCli(["down", "--name", lab]));
  await assertNoLeftovers(lab);
}, 60_000);

describe("antctl get ovsflows", () => {
  it("prints an empty header line, then the flows of a table given by name, as dump-flows shows them", async () => {
    const { iface } = await webPort();
    const res = await antctlViaOvslabExec(["get", "ovsflows", "-T", "Classifier"]);
    expect(res.stderr).toBe("");
    expect(res.code).toBe(0);
    const [header, ...flows] = linesOf(res.stdout);
    expect(header).toBe("");
    expect(flows.length).toBeGreaterThanOrEqual(4);
    for (const f of flows) {
      expect(f).toMatch(
        /^table=Classifier, n_packets=\d+, n_bytes=\d+, idle_age=\d+, priority=\d+\S* actions=/,
      );
    }
    expect(flows.filter((f) => f.includes(`, priority=190,in_port="${iface}" actions=`))).toHaveLength(1);
    expect(flows.at(-1)).toMatch(/, priority=0 actions=drop$/);
  });

  it("takes table numbers (Antrea's stock numbering) and comma-separated lists", async () => {
    const res = await antctl(["get", "of", "-T", "3,Output"]);
    expect(res.code).toBe(0);
    const tables = linesOf(res.stdout)
      .slice(1)
      .map((l) => /^table=(\w+),/.exec(l)?.[1]);
    expect(new Set(tables)).toEqual(new Set(["Classifier", "Output"]));
    expect(tables.indexOf("Output")).toBeGreaterThan(tables.lastIndexOf("Classifier"));
  });

  it("rejects an unknown table as Antrea's agent does, with exit code 1", async () => {
    for (const table of ["NoSuchTable", "200", "Classifier,Nope"]) {
      expect(await antctl(["get", "ovsflows", "-T", table])).toEqual({
        code: 1,
        stdout: "",
        stderr: "Error: request to server failed: Bad Request: invalid table name or number\n",
      });
    }
  });

  it("dumps the flows of a local Pod's interface (-p with -n)", async () => {
    const port = await webPort();
    const res = await antctl(["get", "ovsflows", "-p", "web", "-n", "default"]);
    expect(res.code).toBe(0);
    const flows = linesOf(res.stdout).slice(1);
    expect(flows.map((f) => /^table=(\w+),/.exec(f)?.[1])).toEqual([
      "Classifier",
      "SpoofGuard",
      "ARPSpoofGuard",
      "L3Forwarding",
      "L2ForwardingCalc",
      "SNATMark",
    ]);
    expect(flows[1]).toContain(
      `, priority=200,ip,in_port="${port.iface}",dl_src=${port.mac},nw_src=${port.ip} `,
    );
    expect(flows[2]).toMatch(/n_packets=[1-9]/); // the CNI's gratuitous ARPs went through it
    const reg1 = `0x${Number(port.ofport).toString(16)}`;
    expect(flows[4]).toContain(`, priority=200,dl_dst=${port.mac} actions=set_field:${reg1}->reg1,`);

    expect((await antctl(["get", "ovsflows", "-p", "web", "-n", "default"], OTHER)).stderr).toBe(
      "Error: request to server failed: Not Found: the server could not find the requested resource\n",
    );
    expect((await antctl(["get", "ovsflows", "-p", "web"])).stderr).toBe(
      "Error: request to server failed: Bad Request: namespace must be provided\n",
    );
  });

  it("lists the table names only, sorted, after the empty header line", async () => {
    const res = await antctl(["get", "ovsflows", "--table-names-only"]);
    expect(res.code).toBe(0);
    // The lab's agent runs with AntreaProxy, AntreaPolicy and Egress: every table of the pipeline is there.
    const names = TABLES.map((t) => t.name as string).sort((a, b) => (a < b ? -1 : 1));
    expect(res.stdout).toBe(`\n${names.join("\n")}\n`);
  });

  it("dumps a Service's flows and group (-S) and groups by ID (-G)", async () => {
    const svc = await antctl(["get", "ovsflows", "-S", "kubernetes", "-n", "default"]);
    expect(svc.code).toBe(0);
    const lines = linesOf(svc.stdout).slice(1);
    expect(lines[0]).toMatch(/^table=ServiceLB, .*,nw_dst=10\.96\.0\.1,tp_dst=443 actions=.*group:\d+$/);
    const group = /group:(\d+)$/.exec(lines[0]!)![1]!;
    expect(lines.at(-1)).toMatch(new RegExp(`^group_id=${group},type=select,`));
    expect((await antctl(["get", "ovsflows", "-G", group])).stdout).toBe(`\n${lines.at(-1)}\n`);
    expect((await antctl(["get", "ovsflows", "-G", "x"])).stderr).toBe(
      "Error: request to server failed: Bad Request: invalid group ID\n",
    );
  });

  it("dumps a NetworkPolicy's flows (-N): action flow, conjunctive match flows, then default drops", async () => {
    const port = await webPort();
    const clientIP = await kubectl(["get", "pod", "client", "-o", "jsonpath={.status.podIP}"]);
    const res = await antctl(["get", "of", "-N", "allow-client", "-n", "default", "--type", "K8sNP"]);
    expect(res.stderr).toBe("");
    const flows = linesOf(res.stdout).slice(1);
    const conj = /conj_id=(\d+),/.exec(flows[0] ?? "")?.[1];
    const reg1 = `reg1=0x${Number(port.ofport).toString(16)}`;
    const stats = "n_packets=\\d+, n_bytes=\\d+, idle_age=\\d+";
    expect(flows.map((f) => f.replace(new RegExp(stats), "STATS"))).toEqual([
      expect.stringMatching(
        new RegExp(`^table=IngressRule, STATS, priority=190,conj_id=${conj},ip actions=`),
      ),
      `table=IngressRule, STATS, priority=200,ip,nw_src=${clientIP} actions=conjunction(${conj},1/3)`,
      `table=IngressRule, STATS, priority=200,${reg1} actions=conjunction(${conj},2/3)`,
      `table=IngressRule, STATS, priority=200,tcp,tp_dst=80 actions=conjunction(${conj},3/3)`,
      `table=IngressDefaultRule, STATS, priority=200,${reg1} actions=drop`,
    ]);

    expect((await antctl(["get", "of", "-N", "allow-client"])).stderr).toBe(
      "Error: request to server failed: Bad Request: policy type must be provided with policy name\n",
    );
    expect((await antctl(["get", "of", "-N", "allow-client", "--type", "k8snp"])).stderr).toBe(
      "Error: unsupported value k8snp for flag type\n",
    );
    // The policy spans NODE only: OTHER's agent does not know it.
    expect(
      (await antctl(["get", "of", "-N", "allow-client", "-n", "default", "--type", "K8sNP"], OTHER)).code,
    ).toBe(1);
  });
});

describe("antctl get podinterface", () => {
  it("shows the Pod's interface in Antrea's columns", async () => {
    const port = await webPort();
    expect(port.containerId.length).toBeGreaterThan(12); // so that the 11-character cut shows
    expect(tableCells((await antctl(["get", "podinterface"])).stdout)).toEqual([
      ["NAMESPACE", "NAME", "INTERFACE-NAME", "IP", "MAC", "PORT-UUID", "OF-PORT", "CONTAINER-ID"],
      [
        "default",
        "web",
        port.iface,
        port.ip,
        port.mac,
        port.uuid,
        port.ofport,
        port.containerId.slice(0, 11),
      ],
    ]);
  });

  it("filters by name and Namespace, answers NotFound for an unknown name, and prints JSON", async () => {
    const port = await webPort();
    const json = await antctl(["get", "pi", "web", "-n", "default", "-o", "json"]);
    expect(JSON.parse(json.stdout)).toEqual([
      {
        name: "web",
        podNamespace: "default",
        interfaceName: port.iface,
        ips: [port.ip],
        mac: port.mac,
        portUUID: port.uuid,
        ofPort: Number(port.ofport),
        containerID: port.containerId,
      },
    ]);
    expect((await antctl(["get", "pi", "-n", "kube-system"])).stdout).toBe("\n");
    expect((await antctl(["get", "pi", "client"])).code).toBe(1); // on the other node
  });
});

describe("antctl get agentinfo", () => {
  it("shows this Node's agent in one row, finding the Node by its address", async () => {
    const jsonpath = (kind: string, path: string) => kubectl(["get", kind, NODE, "-o", `jsonpath={${path}}`]);
    // The agent reports its Pod count periodically: compare with what it reported, not with a guess.
    const [podCIDR, localPods] = await Promise.all([
      jsonpath("node", ".spec.podCIDR"),
      jsonpath("antreaagentinfo", ".localPodNum"),
    ]);
    // No NODE_NAME: antctl finds its Node by the addresses of the namespace it runs in.
    const res = await antctlInNetns(["get", "agentinfo"]);
    expect(res.stderr).toBe("");
    expect(tableCells(res.stdout)).toEqual([
      [
        "POD",
        "NODE",
        "STATUS",
        "NODE-SUBNET",
        "NETWORK-POLICIES",
        "ADDRESS-GROUPS",
        "APPLIED-TO-GROUPS",
        "LOCAL-PODS",
      ],
      // The lab's agent runs outside a Pod: its podRef is empty, which antctl shows as "/".
      [
        "/",
        NODE,
        "Healthy",
        podCIDR,
        expect.stringMatching(/^\d+$/),
        expect.stringMatching(/^\d+$/),
        expect.stringMatching(/^\d+$/),
        localPods,
      ],
    ]);
  });
});

describe("antctl get networkpolicy / addressgroup / appliedtogroup", () => {
  const names = async (plural: string) =>
    (
      await kubectl(["get", `${plural}.controlplane.antrea.io`, "-o", "jsonpath={.items[*].metadata.name}"])
    ).split(" ");

  it("lists the NetworkPolicies that span this Node, with <NONE> for a K8s policy's priorities", async () => {
    const [policy] = await names("networkpolicies");
    const [atg] = await names("appliedtogroups");
    const expected = [
      ["NAME", "APPLIED-TO", "RULES", "SOURCE", "TIER-PRIORITY", "PRIORITY"],
      [policy, atg, "1", "K8sNetworkPolicy:default/allow-client", "<NONE>", "<NONE>"],
    ];
    expect(tableCells((await antctl(["get", "networkpolicy"])).stdout)).toEqual(expected);
    expect(tableCells((await antctl(["get", "netpol", "-p", "default/web", "-T", "K8sNP"])).stdout)).toEqual(
      expected,
    );
    expect((await antctl(["get", "netpol", "-T", "ACNP"])).stdout).toBe("\n");
    expect((await antctl(["get", "netpol"], OTHER)).stdout).toBe("\n");
    const json = JSON.parse((await antctl(["get", "netpol", "-o", "json"])).stdout);
    expect(json).toMatchObject([{ metadata: { name: policy }, sourceRef: { name: "allow-client" } }]);
    expect((await antctl(["get", "netpol", policy!, "-n", "default"])).stderr).toBe(
      "Error: request to server failed: Bad Request: with a policy name, none of the other options should be set\n",
    );
  });

  it("lists this Node's address groups and applied-to groups", async () => {
    const [ag] = await names("addressgroups");
    const [atg] = await names("appliedtogroups");
    const clientIP = await kubectl(["get", "pod", "client", "-o", "jsonpath={.status.podIP}"]);
    expect(tableCells((await antctl(["get", "addressgroup"])).stdout)).toEqual([
      ["NAME", "POD-IPS", "NODE-IPS"],
      [ag, clientIP, "<NONE>"],
    ]);
    expect(tableCells((await antctl(["get", "atg"])).stdout)).toEqual([
      ["NAME", "PODS"],
      [atg, "default/web"],
    ]);
    expect((await antctl(["get", "ag", ag!, "-o", "yaml"])).stdout).toBe(
      `name: ${ag}\npods:\n- ip: ${clientIP}\n  pod:\n    name: client\n    namespace: default\n`,
    );
    expect((await antctl(["get", "ag"], OTHER)).stdout).toBe("\n");
    expect((await antctl(["get", "ag", "nosuch"])).code).toBe(1);
  });
});

describe("antctl version, traceflow and help", () => {
  it("prints the agent's and its own version as YAML, and takes the global flags", async () => {
    const res = await antctl(["version"]);
    expect(res.stdout).toMatch(/^agentVersion: v\S+\nantctlVersion: v\S+\n$/);
    const verbose = await antctl(["-v", "version", "-t", "10s"]);
    expect(verbose.stdout).toBe(res.stdout);
    expect(verbose.stderr).toContain("antctl: version args:");
    const badTimeout = await antctl(["version", "-t", "10x"]);
    expect(badTimeout.code).toBe(1);
    expect(badTimeout.stderr).toContain('time: invalid duration "10x"');
  });

  it("creates Traceflows to the lab's Pods and Services; --nowait leaves them under their plain names", async () => {
    const names = ["client-to-web", "client-to-kubernetes"];
    try {
      // As a user runs it inside the node, and in-process.
      const viaExec = await antctlViaOvslabExec(["traceflow", "-S", "client", "-D", "web", "--nowait"]);
      expect(viaExec.stderr).toBe("");
      expect(viaExec.code).toBe(0);
      expect(await antctl(["tf", "-S", "client", "-D", "kubernetes", "--nowait"])).toEqual({
        code: 0,
        stdout: "",
        stderr: "",
      });
      const list = JSON.parse(await kubectl(["get", "traceflows", ...names, "-o", "json"])) as {
        items: { metadata: { name: string }; spec: Record<string, unknown> }[];
      };
      expect(list.items.map((tf) => [tf.metadata.name, tf.spec.destination])).toEqual([
        ["client-to-web", { namespace: "default", pod: "web" }],
        ["client-to-kubernetes", { namespace: "default", service: "kubernetes" }],
      ]);
      expect(list.items[0]?.spec).toMatchObject({
        source: { namespace: "default", pod: "client" },
        timeout: 10,
      });
    } finally {
      await kubectl(["delete", "traceflows", ...names, "--ignore-not-found"]);
    }
  });

  it("has --help for every command and alias", async () => {
    const commands = [
      [],
      ["version"],
      ["get"],
      ["get", "of"],
      ["get", "pi"],
      ["get", "ai"],
      ["get", "netpol"],
      ["get", "ag"],
      ["get", "atg"],
      ["tf"],
    ];
    for (const cmd of commands) {
      const res = await antctl([...cmd, "--help"]);
      expect(res.code, cmd.join(" ")).toBe(0);
      expect(res.stdout).toMatch(/^Usage: antctl/);
    }
    const of = (await antctl(["get", "of", "--help"])).stdout;
    for (const flag of [
      "-n, --namespace",
      "-p, --pod",
      "-S, --service",
      "-N, --networkpolicy",
      "--type",
      "-T, --table",
      "--table-names-only",
      "-G, --groups",
      "-o, --output",
    ]) {
      expect(of).toContain(flag);
    }
  });
});
