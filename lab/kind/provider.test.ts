// Contract tests of the kind provider against fake kind, docker and kubectl executables (testing/fake-tool.sh):
// the command sequences of up and down, rollback, idempotence, and the argv of exec and fault. Nothing here runs
// real Docker or kind.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadTopology } from "../topology/load.ts";
import type { TopologyFile } from "../topology/schema.ts";
import { kindConfig } from "./config.ts";
import { KindProvider } from "./provider.ts";
import { ANTREA_EXCERPT, type KindWorld, kindWorld } from "./testing/kind-world.ts";

const LAB = "t1";
let home: string;
let savedHome: string | undefined;
let spec: TopologyFile;
let world: KindWorld;

beforeAll(async () => {
  spec = (await loadTopology(new URL("../topologies/kind.yaml", import.meta.url).pathname)).spec;
  savedHome = process.env.OVSLAB_HOME;
  home = mkdtempSync(join(tmpdir(), "ovslab-kind-home-"));
  process.env.OVSLAB_HOME = home;
});
afterAll(() => {
  if (savedHome === undefined) delete process.env.OVSLAB_HOME;
  else process.env.OVSLAB_HOME = savedHome;
  rmSync(home, { recursive: true, force: true });
});
beforeEach(() => {
  world = kindWorld(LAB, home);
});
afterEach(() => {
  world.fakes.cleanup();
  rmSync(join(home, LAB), { recursive: true, force: true });
});

function provider(opts: { images?: string[] } = {}): KindProvider {
  return new KindProvider({
    env: world.fakes.env,
    antreaManifest: ANTREA_EXCERPT,
    readyTimeoutMs: 5000,
    ...opts,
  });
}

const stateDir = () => join(home, LAB);
const kubeconfig = () => join(home, LAB, "kubeconfig");
const kubectl = (args: string) => `kubectl --kubeconfig ${kubeconfig()} ${args}`;

describe("up", () => {
  it("creates the cluster, the external host and Antrea in this order, and records the lab", async () => {
    const steps: string[] = [];
    const status = await provider().up(spec, { name: LAB, progress: (e) => steps.push(e.step) });

    expect(world.fakes.calls()).toEqual([
      "docker info --format {{.ServerVersion}}",
      "lsmod",
      "kind get clusters",
      `kind create cluster --name t1 --config ${stateDir()}/kind-config.yaml --kubeconfig ${kubeconfig()}`,
      "docker network inspect kind --format {{json .IPAM.Config}}",
      "docker run --detach --name t1-ext-ext --hostname ext --network kind --label dev.ovslab.lab=t1 " +
        "--label dev.ovslab.host=ext registry.k8s.io/e2e-test-images/agnhost:2.40 netexec --http-port=8080 --udp-port=8081",
      kubectl(`apply -f ${stateDir()}/antrea.yml`),
      kubectl("-n kube-system rollout status deploy/antrea-controller --timeout=5s"),
      kubectl("-n kube-system rollout status ds/antrea-agent --timeout=5s"),
      kubectl("wait --for=condition=Ready nodes --all --timeout=5s"),
      kubectl("get nodes -o json"),
      'docker inspect --format {{with index .NetworkSettings.Networks "kind"}}{{.IPAddress}}{{end}} t1-ext-ext',
      // status
      "docker ps --all --filter label=io.x-k8s.kind.cluster=t1 --format {{.Names}} {{.State}}",
      "docker ps --all --filter label=dev.ovslab.lab=t1 --format {{.Names}} {{.State}}",
      kubectl("get nodes -o json"),
    ]);
    expect(steps.map((s) => s.split(" (")[0])).toEqual([
      `Antrea manifest ${ANTREA_EXCERPT}`,
      "kind cluster t1",
      "external host ext",
      "Antrea controller and agents rolled out",
      "all nodes Ready",
    ]);

    expect(parse(readFileSync(join(stateDir(), "kind-config.yaml"), "utf8"))).toEqual(kindConfig(LAB, spec));
    const configMap = parseAllDocuments(readFileSync(join(stateDir(), "antrea.yml"), "utf8"))
      .map((d) => d.toJS())
      .find((o) => o?.kind === "ConfigMap");
    expect(parse(configMap.data["antrea-agent.conf"]).tunnelType).toBe(spec.network.tunnel);

    expect(status).toMatchObject({
      name: LAB,
      provider: "kind",
      stateDir: stateDir(),
      kubeconfig: kubeconfig(),
    });
    expect(status.hosts).toEqual([
      {
        name: "control-plane",
        role: "control-plane",
        address: "172.18.0.2",
        podCIDR: "10.244.0.0/24",
        state: "running",
      },
      { name: "worker", role: "worker", address: "172.18.0.3", podCIDR: "10.244.1.0/24", state: "running" },
      { name: "worker2", role: "worker", address: "172.18.0.4", podCIDR: "10.244.2.0/24", state: "running" },
      { name: "ext", role: "external", address: "172.18.0.9", state: "running" },
    ]);
    expect(status.topology.network.underlay).toBe("172.18.0.0/16");

    const data = JSON.parse(readFileSync(join(stateDir(), "topology-data.json"), "utf8"));
    expect(data).toMatchObject({
      provider: "kind",
      cluster: LAB,
      complete: true,
      gateway: "172.18.0.1",
      nodes: [
        { name: "control-plane", role: "control-plane", container: "t1-control-plane" },
        { name: "worker", role: "worker", container: "t1-worker" },
        { name: "worker2", role: "worker", container: "t1-worker2" },
      ],
      external: [{ name: "ext", container: "t1-ext-ext" }],
    });
    expect(await provider().list()).toEqual([LAB]);
    expect(await provider().nodeMapping(LAB)).toEqual(data.nodes);
  });

  it("loads local images before deploying Antrea and keeps them from being pulled", async () => {
    const images = ["antrea/antrea-agent-ubuntu:latest", "antrea/antrea-controller-ubuntu:latest"];
    await provider({ images }).up(spec, { name: LAB });
    const calls = world.fakes.calls();
    const load = calls.indexOf(`kind load docker-image ${images.join(" ")} --name t1`);
    expect(load).toBeGreaterThan(calls.findIndex((c) => c.startsWith("docker run")));
    expect(load).toBeLessThan(calls.indexOf(kubectl(`apply -f ${stateDir()}/antrea.yml`)));
    const manifest = readFileSync(join(stateDir(), "antrea.yml"), "utf8");
    expect(manifest).not.toContain("imagePullPolicy: Always");
  });

  it("refuses a kind cluster of the same name that it did not create, and leaves it alone", async () => {
    world.fakes.prepend({ glob: "kind get clusters", output: "t1" });
    await expect(provider().up(spec, { name: LAB })).rejects.toThrow(
      /kind cluster named "t1" already exists .*kind delete cluster --name t1/,
    );
    const calls = world.fakes.calls();
    expect(calls.filter((c) => c.startsWith("kind ") && !c.startsWith("kind get"))).toEqual([]);
    expect(calls.some((c) => c.startsWith("docker rm"))).toBe(false);
    expect(existsSync(stateDir())).toBe(false);
  });

  it("tears down what it created when an image fails to load, and reports kind's error", async () => {
    world.fakes.prepend({
      glob: "kind load docker-image*",
      code: 1,
      output: 'ERROR: image: "antrea/antrea-agent-ubuntu:latest" not present locally',
    });
    await expect(
      provider({ images: ["antrea/antrea-agent-ubuntu:latest"] }).up(spec, { name: LAB }),
    ).rejects.toThrow(
      /kind load docker-image antrea\/antrea-agent-ubuntu:latest --name t1 exited with code 1: .*not present locally/,
    );
    const calls = world.fakes.calls();
    const failed = calls.findIndex((c) => c.startsWith("kind load"));
    expect(calls.slice(failed + 1)).toEqual([
      "kind get clusters",
      "docker ps --all --filter label=io.x-k8s.kind.cluster=t1 --format {{.Names}} {{.State}}",
      `kind delete cluster --name t1 --kubeconfig ${kubeconfig()}`,
      "docker ps --all --filter label=dev.ovslab.lab=t1 --format {{.Names}} {{.State}}",
      "docker rm --force t1-ext-ext",
    ]);
    expect(calls.some((c) => c.includes(" apply "))).toBe(false);
    expect(existsSync(stateDir())).toBe(false);
  });

  it("tears down when a rollout does not finish", async () => {
    world.fakes.prepend({
      glob: "kubectl*rollout status ds/antrea-agent*",
      code: 1,
      output: "error: timed out waiting for the condition",
    });
    await expect(provider().up(spec, { name: LAB })).rejects.toThrow(/ds\/antrea-agent .*timed out waiting/);
    expect(world.fakes.calls()).toContain(`kind delete cluster --name t1 --kubeconfig ${kubeconfig()}`);
    expect(existsSync(stateDir())).toBe(false);
  });

  it("rolls back when aborted after the cluster was created", async () => {
    const abort = new AbortController();
    const up = provider().up(spec, {
      name: LAB,
      signal: abort.signal,
      progress: (e) => {
        if (e.step.startsWith("kind cluster")) abort.abort(new Error("interrupted"));
      },
    });
    await expect(up).rejects.toThrow("interrupted");
    const calls = world.fakes.calls();
    expect(calls.some((c) => c.startsWith("docker run"))).toBe(false);
    expect(calls).toContain(`kind delete cluster --name t1 --kubeconfig ${kubeconfig()}`);
    expect(existsSync(stateDir())).toBe(false);
  });

  it("fails before touching anything when kind is missing", async () => {
    rmSync(join(world.fakes.bin, "kind"));
    await expect(provider().up(spec, { name: LAB })).rejects.toThrow(
      /kind is not installed: .*kind\.sigs\.k8s\.io/,
    );
    expect(world.fakes.calls()).toEqual(["docker info --format {{.ServerVersion}}", "lsmod"]);
    expect(existsSync(stateDir())).toBe(false);
  });

  it("rejects topologies kind cannot build before any command runs", async () => {
    const fixed: TopologyFile = { ...spec, network: { ...spec.network, underlay: "10.0.0.0/24" } };
    await expect(provider().up(fixed, { name: LAB })).rejects.toThrow(/network.underlay must be "auto"/);
    expect(world.fakes.calls()).toEqual([]);
  });
});

describe("down", () => {
  it("deletes the cluster, the external container and the state, and is idempotent", async () => {
    await provider().up(spec, { name: LAB });
    world.fakes.clearLog();

    expect(await provider().down(LAB)).toEqual({ name: LAB, removed: 4, existed: true });
    expect(world.fakes.calls()).toEqual([
      "kind get clusters",
      "docker ps --all --filter label=io.x-k8s.kind.cluster=t1 --format {{.Names}} {{.State}}",
      `kind delete cluster --name t1 --kubeconfig ${kubeconfig()}`,
      "docker ps --all --filter label=dev.ovslab.lab=t1 --format {{.Names}} {{.State}}",
      "docker rm --force t1-ext-ext",
    ]);
    expect(existsSync(stateDir())).toBe(false);
    expect(await provider().status(LAB)).toBeUndefined();
    expect(await provider().list()).toEqual([]);

    world.fakes.clearLog();
    expect(await provider().down(LAB)).toEqual({ name: LAB, removed: 0, existed: false });
    expect(world.fakes.calls()).toEqual([
      "kind get clusters",
      "docker ps --all --filter label=io.x-k8s.kind.cluster=t1 --format {{.Names}} {{.State}}",
      "docker ps --all --filter label=dev.ovslab.lab=t1 --format {{.Names}} {{.State}}",
    ]);
  });
});

describe("status", () => {
  it("reports a paused node as degraded and a removed external container as stopped", async () => {
    await provider().up(spec, { name: LAB });
    world.fakes.prepend(
      { glob: "docker ps*io.x-k8s.kind.cluster=t1*", output: "t1-control-plane running" },
      { glob: "docker ps*dev.ovslab.lab=t1*", output: "" },
    );
    const status = await provider().status(LAB);
    expect(status?.hosts.map((h) => [h.name, h.state, h.detail])).toEqual([
      ["control-plane", "running", undefined],
      ["worker", "stopped", "container t1-worker missing"],
      ["worker2", "stopped", "container t1-worker2 missing"],
      ["ext", "stopped", "container t1-ext-ext missing"],
    ]);
  });
});

describe("exec", () => {
  beforeEach(async () => {
    await provider().up(spec, { name: LAB });
    world.fakes.clearLog();
  });

  it("runs node commands in the node container, by topology or kind name", async () => {
    const p = provider();
    await p.exec(LAB, { kind: "node", name: "worker" }, ["ip", "-br", "addr"]);
    await p.exec(LAB, { kind: "node", name: "t1-worker2" }, ["sh", "-c", "cat > /tmp/x"], {
      input: "hello",
      env: { A: "1" },
    });
    expect(world.fakes.calls()).toEqual([
      "docker exec --env OVS_RUNDIR=/var/run/antrea/openvswitch t1-worker ip -br addr",
      "docker exec --interactive --env OVS_RUNDIR=/var/run/antrea/openvswitch --env A=1 t1-worker2 sh -c cat > /tmp/x",
    ]);
  });

  it("runs OVS tools in the node's antrea-ovs container and antctl in antrea-agent", async () => {
    const p = provider();
    await p.exec(LAB, { kind: "node", name: "worker" }, ["ovs-ofctl", "dump-flows", "br-int", "--names"]);
    await p.exec(LAB, { kind: "node", name: "worker2" }, ["antctl", "get", "ovsflows"]);
    const pods = (node: string) =>
      kubectl(
        `-n kube-system get pods -l app=antrea,component=antrea-agent --field-selector spec.nodeName=${node} -o json`,
      );
    expect(world.fakes.calls()).toEqual([
      pods("t1-worker"),
      kubectl("exec -n kube-system antrea-agent-1 -c antrea-ovs -- ovs-ofctl dump-flows br-int --names"),
      pods("t1-worker2"),
      kubectl("exec -n kube-system antrea-agent-2 -c antrea-agent -- antctl get ovsflows"),
    ]);
  });

  it("runs Pod commands with kubectl exec and external ones in the external container", async () => {
    const p = provider();
    await p.exec(
      LAB,
      { kind: "pod", namespace: "default", name: "busybox", container: "c" },
      ["wget", "-qO-", "x"],
      {
        env: { A: "1" },
      },
    );
    await p.exec(LAB, { kind: "external", name: "ext" }, ["hostname"]);
    expect(world.fakes.calls()).toEqual([
      kubectl("exec -n default busybox -c c -- env A=1 wget -qO- x"),
      "docker exec t1-ext-ext hostname",
    ]);
  });

  it("returns the command's exit code and output instead of throwing", async () => {
    world.fakes.prepend({ glob: "docker exec*false*", code: 3, output: "boom" });
    const res = await provider().exec(LAB, { kind: "node", name: "worker" }, ["false"]);
    expect(res).toEqual({ code: 3, stdout: "", stderr: "boom\n", timedOut: false });
  });

  it("names the known nodes when asked for an unknown one", async () => {
    await expect(provider().exec(LAB, { kind: "node", name: "nope" }, ["true"])).rejects.toThrow(
      'lab t1 has no node "nope" (control-plane (t1-control-plane), worker (t1-worker), worker2 (t1-worker2))',
    );
    await expect(provider().exec("other", { kind: "node", name: "worker" }, ["true"])).rejects.toThrow(
      'no kind lab named "other"',
    );
  });
});

describe("fault", () => {
  beforeEach(async () => {
    await provider().up(spec, { name: LAB });
    world.fakes.clearLog();
  });

  it("pauses and resumes a process with pkill inside the node, as Antrea's e2e does", async () => {
    const p = provider();
    await p.fault(LAB, { type: "signal", node: "worker", process: "agent", signal: "SIGSTOP" });
    await p.fault(LAB, { type: "signal", node: "worker", process: "agent", signal: "SIGCONT" });
    await p.fault(LAB, { type: "signal", node: "control-plane", process: "ovs-vswitchd", signal: "SIGKILL" });
    expect(world.fakes.calls()).toEqual([
      "docker exec t1-worker pkill -STOP -x antrea-agent",
      "docker exec t1-worker pkill -CONT -x antrea-agent",
      "docker exec t1-control-plane pkill -KILL -x ovs-vswitchd",
    ]);
  });

  it("fails when no such process runs on the node", async () => {
    world.fakes.prepend({ glob: "docker exec*pkill*", code: 1 });
    await expect(
      provider().fault(LAB, { type: "signal", node: "worker", process: "agent", signal: "SIGSTOP" }),
    ).rejects.toThrow("signalling antrea-agent on node worker (t1-worker) failed: exit 1");
  });

  it("takes the node's link down and up, restoring its default route", async () => {
    const p = provider();
    await p.fault(LAB, { type: "link", node: "worker2", state: "down" });
    await p.fault(LAB, { type: "link", node: "worker2", state: "up" });
    expect(world.fakes.calls()).toEqual([
      "docker exec t1-worker2 ip link set eth0 down",
      "docker exec t1-worker2 ip link set eth0 up",
      "docker exec t1-worker2 ip route replace default via 172.18.0.1 dev eth0",
    ]);
  });

  it("restarts the agent by deleting its Pod and waiting for the DaemonSet's replacement", async () => {
    const newPods = world.fakes.file(
      "pods-new.json",
      JSON.stringify({
        items: [
          {
            metadata: { name: "antrea-agent-x" },
            status: { conditions: [{ type: "Ready", status: "True" }] },
          },
        ],
      }),
    );
    world.fakes.prepend({
      glob: "kubectl*delete pod antrea-agent-1*",
      effect: `cp ${newPods} ${world.fakes.dir}/pods-t1-worker.json`,
    });
    await provider().fault(LAB, { type: "restart", node: "worker", process: "agent" });
    const pods = kubectl(
      "-n kube-system get pods -l app=antrea,component=antrea-agent --field-selector spec.nodeName=t1-worker -o json",
    );
    expect(world.fakes.calls()).toEqual([
      pods,
      kubectl("-n kube-system delete pod antrea-agent-1 --wait=true"),
      pods,
    ]);
  });

  it("times out naming the Pod when the agent is not replaced", async () => {
    world.fakes.prepend({ glob: "kubectl*delete pod*" });
    const p = new KindProvider({
      env: world.fakes.env,
      antreaManifest: ANTREA_EXCERPT,
      readyTimeoutMs: 1500,
    });
    await expect(p.fault(LAB, { type: "restart", node: "worker", process: "agent" })).rejects.toThrow(
      /waiting for a new antrea-agent Pod on node t1-worker: antrea-agent-1 not replaced yet/,
    );
  });

  it("restarts kubelet with systemd and the API server through its static Pod", async () => {
    const p = provider();
    await p.fault(LAB, { type: "restart", node: "worker", process: "kubelet" });
    await p.fault(LAB, { type: "restart", node: "control-plane", process: "control-plane" });
    await expect(p.fault(LAB, { type: "restart", node: "worker", process: "control-plane" })).rejects.toThrow(
      "node worker runs no control plane",
    );
    expect(world.fakes.calls()).toEqual([
      "docker exec t1-worker systemctl restart kubelet",
      "docker exec t1-control-plane pkill -TERM -x kube-apiserver",
      kubectl("get --raw /readyz"),
    ]);
  });
});
