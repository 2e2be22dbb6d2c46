import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseTopology } from "../topology/load.ts";
import { kindNodeMapping, renderKindConfig } from "./config.ts";

const topology = (body: string) => parseTopology("t.yaml", `name: lab\nprovider: kind\n${body}`).spec;

const threeNodes = topology(`
network: { pods: 10.10.0.0/16, services: 10.20.0.0/16 }
topology:
  nodes:
    a: { role: worker, labels: { zone: z1 } }
    cp: { role: control-plane }
    b: { role: worker }
`);

describe("kind config", () => {
  it("renders Antrea's kind settings with one control-plane and the workers in file order", () => {
    expect(parse(renderKindConfig("lab", threeNodes, { nodeImage: "ovslab/kind-node:v1.32.2" }))).toEqual({
      kind: "Cluster",
      apiVersion: "kind.x-k8s.io/v1alpha4",
      networking: {
        disableDefaultCNI: true,
        ipFamily: "ipv4",
        podSubnet: "10.10.0.0/16",
        serviceSubnet: "10.20.0.0/16",
        kubeProxyMode: "iptables",
        dnsSearch: [],
      },
      nodes: [
        {
          role: "control-plane",
          image: "ovslab/kind-node:v1.32.2",
          labels: { "ovslab.dev/topology-node": "cp" },
        },
        {
          role: "worker",
          image: "ovslab/kind-node:v1.32.2",
          labels: { zone: "z1", "ovslab.dev/topology-node": "a" },
        },
        { role: "worker", image: "ovslab/kind-node:v1.32.2", labels: { "ovslab.dev/topology-node": "b" } },
      ],
    });
  });

  it("leaves the node image to kind when none is given", () => {
    const nodes = parse(renderKindConfig("lab", threeNodes)).nodes as { image?: string }[];
    expect(nodes.map((n) => n.image)).toEqual([undefined, undefined, undefined]);
  });

  it("maps topology nodes to kind's node names", () => {
    expect(kindNodeMapping("lab", threeNodes)).toEqual([
      { name: "cp", role: "control-plane", container: "lab-control-plane" },
      { name: "a", role: "worker", container: "lab-worker" },
      { name: "b", role: "worker", container: "lab-worker2" },
    ]);
  });

  it("names everything kind cannot do in one error", () => {
    const fixed = topology(`
network: { underlay: 172.30.0.0/24, nodeMaskSize: 26 }
topology:
  nodes:
    cp: { role: control-plane, address: 172.30.0.10 }
    w: { role: worker }
  external:
    ext: { address: 172.30.0.200 }
`);
    expect(() => renderKindConfig("lab", fixed)).toThrow(
      "topology lab cannot run on provider kind:\n" +
        '  network.underlay must be "auto": kind nodes live on the "kind" docker network, which docker addresses\n' +
        "  fixed addresses are not supported (docker assigns them): remove address from cp, ext\n" +
        "  network.nodeMaskSize must be 24 (kube-controller-manager's default on kind)",
    );
  });
});
