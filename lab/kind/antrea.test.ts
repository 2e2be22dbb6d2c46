import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import { loadManifest, NPL_PORT_RANGE, patchAntreaManifest } from "./antrea.ts";
import { ANTREA_EXCERPT } from "./testing/kind-world.ts";

const excerpt = readFileSync(ANTREA_EXCERPT, "utf8");

interface K8sObject {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  spec?: { template?: { spec?: { containers?: Container[]; initContainers?: Container[] } } };
}
interface Container {
  name: string;
  image: string;
  imagePullPolicy?: string;
}

function objects(text: string): K8sObject[] {
  return parseAllDocuments(text).map((d) => d.toJS() as K8sObject);
}
const find = (objs: K8sObject[], kind: string) => objs.find((o) => o.kind === kind)!;

describe("Antrea manifest patch", () => {
  it("turns on the scenarios' feature gates and NodePortLocal, and sets the tunnel type", () => {
    const objs = objects(patchAntreaManifest(excerpt, { tunnel: "vxlan" }));
    const data = find(objs, "ConfigMap").data!;
    const agent = parse(data["antrea-agent.conf"]!);
    expect(agent.featureGates).toEqual({
      AntreaPolicy: true,
      Egress: true,
      Traceflow: true,
      NodePortLocal: true,
    });
    expect(agent.nodePortLocal).toEqual({ enable: true, portRange: NPL_PORT_RANGE });
    expect(agent.tunnelType).toBe("vxlan");
    expect(agent.ovsBridge).toBe("br-int");
    expect(parse(data["antrea-controller.conf"]!)).toEqual({
      featureGates: { AntreaPolicy: true, Egress: true, Traceflow: true },
      apiPort: 10349,
    });
    // Untouched: the CNI conflist and the rest of the manifest, comments included, long lines unfolded.
    expect(data["antrea-cni.conflist"]).toBe(
      find(objects(excerpt), "ConfigMap").data!["antrea-cni.conflist"],
    );
    expect(objs.map((o) => o.kind)).toEqual([
      "CustomResourceDefinition",
      "ConfigMap",
      "Deployment",
      "DaemonSet",
    ]);
    const out = patchAntreaManifest(excerpt, { tunnel: "geneve", nplPortRange: "26000-27000" });
    expect(out).toContain("# Source: antrea/templates/agent/daemonset.yaml");
    expect(out).toContain(
      "this description is deliberately longer than eighty characters so that line folding would show.",
    );
    expect(parse(find(objects(out), "ConfigMap").data!["antrea-agent.conf"]!).nodePortLocal.portRange).toBe(
      "26000-27000",
    );
  });

  it("sets imagePullPolicy IfNotPresent on every container using a kind-loaded image", () => {
    const objs = objects(
      patchAntreaManifest(excerpt, { tunnel: "vxlan", loadedImages: ["antrea/antrea-agent-ubuntu:latest"] }),
    );
    const pod = find(objs, "DaemonSet").spec!.template!.spec!;
    expect([...pod.initContainers!, ...pod.containers!].map((c) => [c.name, c.imagePullPolicy])).toEqual([
      ["install-cni", "IfNotPresent"],
      ["antrea-agent", "IfNotPresent"],
      ["antrea-ovs", "IfNotPresent"],
    ]);
  });

  it("rejects a manifest that is not Antrea's", () => {
    expect(() =>
      patchAntreaManifest("kind: ConfigMap\nmetadata: { name: other }\n", { tunnel: "vxlan" }),
    ).toThrow(
      "the Antrea manifest has no ConfigMap antrea-config, Deployment antrea-controller, DaemonSet antrea-agent: " +
        "is it an Antrea v2 antrea.yml?",
    );
    expect(() => patchAntreaManifest("a: [", { tunnel: "vxlan" })).toThrow(/not valid YAML/);
  });
});

describe("Antrea manifest source", () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === "/antrea.yml") res.end(excerpt);
      else res.writeHead(404, "Not Found").end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("reads a file or downloads a URL", async () => {
    expect(await loadManifest(ANTREA_EXCERPT)).toBe(excerpt);
    expect(await loadManifest(`${base}/antrea.yml`)).toBe(excerpt);
  });

  it("says which source failed and why", async () => {
    await expect(loadManifest(`${base}/missing.yml`)).rejects.toThrow(
      `cannot download Antrea manifest ${base}/missing.yml: HTTP 404 Not Found`,
    );
    await expect(loadManifest("/nonexistent/antrea.yml")).rejects.toThrow(
      /cannot read Antrea manifest \/nonexistent\/antrea.yml: ENOENT/,
    );
  });
});
