// Test support: fake answers of a healthy machine with Docker, kind and kubectl for one lab. Answers that change
// (the cluster list, node and external containers, the agent Pods) live in files that the fakes' effects rewrite,
// so that `up` then `down` then `down` again sees what a real machine would show.
import { FakeTools } from "./fake-tools.ts";

export const ANTREA_EXCERPT = new URL("../testdata/antrea-excerpt.yml", import.meta.url).pathname;

export interface KindWorld {
  fakes: FakeTools;
  lab: string;
  /** Replaces the agent Pods `kubectl get pods` reports. */
  setAgentPods(pods: readonly { name: string; node: string; ready?: boolean }[]): void;
}

/** `stateRoot` is the test's $OVSLAB_HOME: the fake `kind create cluster` writes the lab's kubeconfig there. */
export function kindWorld(lab: string, stateRoot: string): KindWorld {
  const fakes = new FakeTools();
  const nodes = [`${lab}-control-plane`, `${lab}-worker`, `${lab}-worker2`];
  const clusters = fakes.file("clusters", "");
  const nodesPs = fakes.file("nodes-ps", "");
  const nodesUp = fakes.file("nodes-ps.up", nodes.map((n) => `${n} running\n`).join(""));
  const extPs = fakes.file("ext-ps", "");
  const extUp = fakes.file("ext-ps.up", `${lab}-ext-ext running\n`);
  const nodesJson = fakes.file(
    "nodes.json",
    JSON.stringify({
      items: nodes.map((name, i) => ({
        metadata: { name },
        spec: { podCIDR: `10.244.${i}.0/24` },
        status: {
          addresses: [{ type: "InternalIP", address: `172.18.0.${i + 2}` }],
          conditions: [{ type: "Ready", status: "True" }],
        },
      })),
    }),
  );
  const setAgentPods: KindWorld["setAgentPods"] = (pods) => {
    for (const node of nodes) {
      const items = pods
        .filter((p) => p.node === node)
        .map((p) => ({
          metadata: { name: p.name },
          status: { conditions: [{ type: "Ready", status: p.ready === false ? "False" : "True" }] },
        }));
      fakes.file(`pods-${node}.json`, JSON.stringify({ items }));
    }
  };
  setAgentPods(nodes.map((node, i) => ({ name: `antrea-agent-${i}`, node })));

  fakes.append(
    { glob: "docker info*", output: "28.2.2" },
    { glob: "lsmod", output: "openvswitch           200704  0" },
    { glob: "kind get clusters", output: `@${clusters}` },
    {
      glob: "kind create cluster*",
      effect: `echo ${lab} >> ${clusters}; cp ${nodesUp} ${nodesPs}; echo 'kind: Config' > ${stateRoot}/${lab}/kubeconfig`,
    },
    { glob: "kind delete cluster*", effect: `: > ${clusters}; : > ${nodesPs}` },
    {
      glob: "docker network inspect kind*",
      output:
        '[{"Subnet":"fc00:f853:ccd:e793::/64","Gateway":"fc00:f853:ccd:e793::1"},' +
        '{"Subnet":"172.18.0.0/16","Gateway":"172.18.0.1"}]',
    },
    { glob: "docker run*", output: "c0ffee", effect: `cp ${extUp} ${extPs}` },
    { glob: `docker ps*io.x-k8s.kind.cluster=${lab}*`, output: `@${nodesPs}` },
    { glob: `docker ps*dev.ovslab.lab=${lab}*`, output: `@${extPs}` },
    { glob: "docker rm*", effect: `: > ${extPs}` },
    { glob: "docker inspect*", output: "172.18.0.9" },
    { glob: "kubectl*get nodes*", output: `@${nodesJson}` },
    // The trailing space keeps "<lab>-worker" from matching "<lab>-worker2".
    ...nodes.map((node) => ({
      glob: `kubectl*get pods*spec.nodeName=${node} *`,
      output: `@${fakes.dir}/pods-${node}.json`,
    })),
    { glob: "kubectl*get --raw /readyz", output: "ok" },
  );
  return { fakes, lab, setAgentPods };
}
