// The real kubectl (1.32, default settings: aggregated discovery, Table output, strict validation) against the
// embedded API server over TLS.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestCluster, type TestCluster } from "../testing/test-cluster.ts";

let c: TestCluster;

beforeAll(async () => {
  c = await startTestCluster();
});

afterAll(async () => {
  await c?.close();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await c.kubectl(args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

/** Splits kubectl table output into rows of cells (columns are separated by 2+ spaces). */
function table(out: string): string[][] {
  return out
    .trim()
    .split("\n")
    .map((l) => l.trim().split(/\s{2,}/));
}

const NODES = `
apiVersion: v1
kind: Node
metadata:
  name: node-a
  labels: {node-role.kubernetes.io/control-plane: ""}
status:
  conditions: [{type: Ready, status: "True", reason: KubeletReady}]
  addresses: [{type: InternalIP, address: 172.18.9.2}, {type: Hostname, address: node-a}]
  nodeInfo: {kubeletVersion: v1.32.0, osImage: Debian GNU/Linux 12, kernelVersion: "6.1.0", containerRuntimeVersion: "ovslab://0.1.0"}
---
apiVersion: v1
kind: Node
metadata: {name: node-b}
spec: {unschedulable: true}
status:
  conditions: [{type: Ready, status: "False"}]
  addresses: [{type: InternalIP, address: 172.18.9.3}]
  nodeInfo: {kubeletVersion: v1.32.0}
`;

function appManifest(replicas: number, envValue: string): string {
  return `
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: agnhost:2.40
        ports: [{containerPort: 80}]
        env: [{name: MODE, value: "${envValue}"}, {name: KEEP, value: "k"}]
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: 80}]
`;
}

describe("kubectl against the embedded API server", () => {
  it("lists Nodes created through the API with -o wide columns", async () => {
    expect(await ok(["create", "-f", "-"], NODES)).toContain("node/node-a created");
    const rows = table(await ok(["get", "nodes", "-o", "wide"]));
    expect(rows[0]).toEqual([
      "NAME",
      "STATUS",
      "ROLES",
      "AGE",
      "VERSION",
      "INTERNAL-IP",
      "EXTERNAL-IP",
      "OS-IMAGE",
      "KERNEL-VERSION",
      "CONTAINER-RUNTIME",
    ]);
    const a = rows.find((r) => r[0] === "node-a");
    expect(a?.slice(1, 3)).toEqual(["Ready", "control-plane"]);
    expect(a?.slice(4)).toEqual([
      "v1.32.0",
      "172.18.9.2",
      "<none>",
      "Debian GNU/Linux 12",
      "6.1.0",
      "ovslab://0.1.0",
    ]);
    const b = rows.find((r) => r[0] === "node-b");
    expect(b?.slice(1, 3)).toEqual(["NotReady,SchedulingDisabled", "<none>"]);
  });

  it("applies a Deployment and Service client-side, then again as a strategic merge patch", async () => {
    const first = await ok(["apply", "-f", "-"], appManifest(2, "one"));
    expect(first).toContain("deployment.apps/web created");
    expect(first).toContain("service/web created");
    // A change made by someone else must survive the next apply: it is a patch, not a replace.
    await ok(["annotate", "deployment", "web", "owner=someone-else"]);
    const second = await ok(["apply", "-f", "-"], appManifest(3, "two"));
    expect(second).toContain("deployment.apps/web configured");
    expect(second).toContain("service/web unchanged");
    const dep = JSON.parse(await ok(["get", "deployment", "web", "-o", "json"]));
    expect(dep.spec.replicas).toBe(3);
    expect(dep.metadata.annotations.owner).toBe("someone-else");
    expect(dep.metadata.generation).toBe(2);
    expect(dep.spec.template.spec.containers[0].env).toEqual([
      { name: "MODE", value: "two" },
      { name: "KEEP", value: "k" },
    ]);
    const svc = JSON.parse(await ok(["get", "service", "web", "-o", "json"]));
    expect(svc.spec.clusterIP).toMatch(/^10\.96\.0\.\d+$/);
    const deployRows = table(await ok(["get", "deploy"]));
    expect(deployRows[0]).toEqual(["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"]);
    expect(deployRows[1]?.slice(0, 4)).toEqual(["web", "0/3", "0", "0"]);
    const svcRows = table(await ok(["get", "svc", "web"]));
    expect(svcRows[0]).toEqual(["NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"]);
    expect(svcRows[1]?.slice(0, 5)).toEqual(["web", "ClusterIP", svc.spec.clusterIP, "<none>", "80/TCP"]);
  });

  it("applies server-side, creating, updating and dropping fields the manager no longer sets", async () => {
    const cm = (extra: string) => `
apiVersion: v1
kind: ConfigMap
metadata: {name: ssa, labels: {a: "1"${extra}}}
data: {k: v}
`;
    expect(await ok(["apply", "--server-side", "-f", "-"], cm(', b: "2"'))).toContain(
      "configmap/ssa serverside-applied",
    );
    expect(await ok(["apply", "--server-side", "-f", "-"], cm(""))).toContain(
      "configmap/ssa serverside-applied",
    );
    const live = JSON.parse(await ok(["get", "configmap", "ssa", "-o", "json", "--show-managed-fields"]));
    expect(live.metadata.labels).toEqual({ a: "1" });
    expect(live.metadata.managedFields[0]).toMatchObject({ manager: "kubectl", operation: "Apply" });
    // The objects created client-side above can be taken over server-side too.
    expect(await ok(["apply", "--server-side", "-f", "-"], appManifest(1, "three"))).toContain(
      "deployment.apps/web serverside-applied",
    );
    expect(JSON.parse(await ok(["get", "deploy", "web", "-o", "json"])).spec.replicas).toBe(1);
  });

  it("scales a Deployment through the scale subresource", async () => {
    expect(await ok(["scale", "deployment", "web", "--replicas=4"])).toContain("deployment.apps/web scaled");
    expect(await ok(["get", "deploy", "web", "-o", "jsonpath={.spec.replicas}"])).toBe("4");
  });

  it("accepts the protobuf bodies of kubectl's typed create generators", async () => {
    await ok([
      "create",
      "deployment",
      "idle",
      "--image=busybox",
      "--replicas=0",
      "--port=8080",
      "--",
      "sleep",
      "9",
    ]);
    const dep = JSON.parse(await ok(["get", "deploy", "idle", "-o", "json"]));
    expect(dep.spec.replicas).toBe(0);
    expect(dep.spec.template.spec.containers[0]).toMatchObject({
      name: "busybox",
      image: "busybox",
      command: ["sleep", "9"],
      ports: [{ containerPort: 8080, protocol: "TCP" }],
    });
    await ok(["create", "service", "nodeport", "idle", "--tcp=81:http"]);
    const svc = JSON.parse(await ok(["get", "svc", "idle", "-o", "json"]));
    expect(svc.spec.ports).toEqual([
      { name: "81-http", protocol: "TCP", port: 81, targetPort: "http", nodePort: 30000 },
    ]);
    await ok(["create", "secret", "generic", "pw", "--from-literal=pw=hunter2"]);
    expect(await ok(["get", "secret", "pw", "-o", "jsonpath={.data.pw}"])).toBe(
      Buffer.from("hunter2").toString("base64"),
    );
  });

  it("shows pods of all namespaces with wide columns, status set through the status subresource", async () => {
    expect(await ok(["create", "namespace", "team"])).toContain("namespace/team created"); // a protobuf body
    await ok([
      "run",
      "probe",
      "-n",
      "team",
      "--image=busybox",
      "--overrides",
      '{"spec":{"nodeName":"node-a"}}',
    ]);
    await ok([
      "patch",
      "pod",
      "probe",
      "-n",
      "team",
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify({
        status: {
          phase: "Running",
          podIP: "10.10.1.5",
          containerStatuses: [
            {
              name: "probe",
              ready: true,
              restartCount: 0,
              image: "busybox",
              imageID: "",
              state: { running: {} },
            },
          ],
        },
      }),
    ]);
    const rows = table(await ok(["get", "pods", "-A", "-o", "wide"]));
    expect(rows[0]).toEqual([
      "NAMESPACE",
      "NAME",
      "READY",
      "STATUS",
      "RESTARTS",
      "AGE",
      "IP",
      "NODE",
      "NOMINATED NODE",
      "READINESS GATES",
    ]);
    const probe = rows.find((r) => r[1] === "probe");
    expect(probe?.[0]).toBe("team");
    expect(probe?.slice(2, 5)).toEqual(["1/1", "Running", "0"]);
    expect(probe?.slice(6)).toEqual(["10.10.1.5", "node-a", "<none>", "<none>"]);
    // A write to the main resource cannot change status.
    await ok(["label", "pod", "probe", "-n", "team", "x=y"]);
    expect(await ok(["get", "pod", "probe", "-n", "team", "-o", "jsonpath={.status.podIP}"])).toBe(
      "10.10.1.5",
    );
  });

  it("prints NetworkPolicies, Traceflows (also by short name) and Egresses with their columns", async () => {
    await ok(
      ["apply", "-f", "-"],
      `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: allow-web}
spec:
  podSelector: {matchLabels: {app: web}}
  ingress: [{ports: [{port: 80}]}]
---
apiVersion: crd.antrea.io/v1beta1
kind: Traceflow
metadata: {name: tf-1}
spec:
  source: {namespace: team, pod: probe}
  destination: {namespace: team, pod: other}
---
apiVersion: crd.antrea.io/v1beta1
kind: Egress
metadata: {name: egress-web}
spec:
  appliedTo: {podSelector: {matchLabels: {app: web}}}
  egressIP: 172.18.9.100
`,
    );
    const np = table(await ok(["get", "networkpolicies"]));
    expect(np[0]).toEqual(["NAME", "POD-SELECTOR", "AGE"]);
    expect(np[1]?.slice(0, 2)).toEqual(["allow-web", "app=web"]);
    await ok([
      "patch",
      "traceflow",
      "tf-1",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"phase":"Running"}}',
    ]);
    for (const name of ["traceflows", "tf"]) {
      const tf = table(await ok(["get", name]));
      expect(tf[0]).toEqual(["NAME", "PHASE", "AGE"]);
      expect(tf[1]?.slice(0, 2)).toEqual(["tf-1", "Running"]);
    }
    const wide = table(await ok(["get", "tf", "-o", "wide"]));
    expect(wide[0]).toEqual([
      "NAME",
      "PHASE",
      "SOURCE-POD",
      "DESTINATION-POD",
      "DESTINATION-IP",
      "LIVE-TRAFFIC",
      "DROPPED-ONLY",
      "TIMEOUT",
      "AGE",
    ]);
    expect(wide[1]?.slice(0, 4)).toEqual(["tf-1", "Running", "probe", "other"]);
    await ok([
      "patch",
      "egress",
      "egress-web",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"egressIP":"172.18.9.100","egressNode":"node-a"}}',
    ]);
    const eg = table(await ok(["get", "egresses"]));
    expect(eg[0]).toEqual(["NAME", "EGRESSIP", "AGE", "NODE"]);
    expect([eg[1]?.[0], eg[1]?.[1], eg[1]?.[3]]).toEqual(["egress-web", "172.18.9.100", "node-a"]);
  });

  it("streams `get pods -w` and answers `wait --for=condition=Ready`", async () => {
    await ok(["run", "before", "--image=busybox"]);
    const watch = c.kubectlStream(["get", "pods", "-w"]);
    await watch.waitFor(/before\s+0\/1\s+Pending/);
    await ok(["run", "watched", "--image=busybox"]);
    await watch.waitFor(/watched\s+0\/1\s+Pending/);
    const wait = c.kubectl(["wait", "--for=condition=Ready", "pod/watched", "--timeout=20s"]);
    await new Promise((r) => setTimeout(r, 300));
    await ok([
      "patch",
      "pod",
      "watched",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"}]}}',
    ]);
    const waited = await wait;
    expect(waited.stdout).toContain("pod/watched condition met");
    expect(waited.code).toBe(0);
    await watch.waitFor(/watched\s+0\/1\s+Running/);
    await watch.stop();
    // Header printed once, then one line per change.
    expect(watch.output().match(/NAME\s+READY/g)).toHaveLength(1);
  });

  it("deletes what a manifest created", async () => {
    const out = await ok(["delete", "-f", "-"], appManifest(1, "x"));
    expect(out).toContain('deployment.apps "web" deleted');
    expect(out).toContain('service "web" deleted');
    const r = await c.kubectl(["get", "deployment", "web"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('deployments.apps "web" not found');
  });

  it("reports errors the way a real cluster does", async () => {
    const bad = await c.kubectl(
      ["apply", "-f", "-"],
      "apiVersion: v1\nkind: Pod\nmetadata: {name: empty}\nspec: {}\n",
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('The Pod "empty" is invalid: spec.containers: Required value');

    const unknown = await c.kubectl(["get", "foo"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('the server doesn\'t have a resource type "foo"');

    await ok(["create", "configmap", "cfg", "--from-literal=a=1"]);
    const stale = JSON.parse(await ok(["get", "configmap", "cfg", "-o", "json"]));
    await ok(["patch", "configmap", "cfg", "--type=merge", "-p", '{"data":{"a":"2"}}']);
    const conflict = await c.kubectl(["replace", "-f", "-"], JSON.stringify(stale));
    expect(conflict.code).toBe(1);
    expect(conflict.stderr).toContain("Error from server (Conflict)");
    expect(conflict.stderr).toContain("the object has been modified");

    const dup = await c.kubectl(
      ["create", "-f", "-"],
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n",
    );
    expect(dup.stderr).toContain("Error from server (AlreadyExists)");
    expect(dup.stderr).toContain('configmaps "cfg" already exists');
  });
});
