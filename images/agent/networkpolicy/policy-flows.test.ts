// compilePolicies + policyFlows: controlplane objects in, flow text out (spec §1.5, §1.6), for the seed policy and
// each rule shape the agent supports.
import { describe, expect, it } from "vitest";
import type {
  ControlplaneNetworkPolicy,
  GroupMember,
  NetworkPolicyRule,
  NetworkPolicyType,
} from "../../api/controlplane.ts";
import type { Flow } from "../openflow/flow.ts";
import { Pipeline } from "../pipeline/tables.ts";
import { ConjIdAllocator } from "./conj-id-allocator.ts";
import { policyFlows } from "./policy-flows.ts";
import { compilePolicies, type LocalPod, type PolicyInputs } from "./rules.ts";

const pipeline = new Pipeline({ service: true, antreaPolicy: true, egress: true });

// The seed lab: nginx-0 and busybox on this Node, nginx-1 elsewhere.
const nginx0: LocalPod = { namespace: "default", name: "nginx-0", ip: "10.244.1.3", ofport: 1 };
const busybox: LocalPod = { namespace: "default", name: "busybox", ip: "10.244.1.2", ofport: 2 };
const member = (name: string, ip: string, ports?: GroupMember["ports"]): GroupMember => ({
  pod: { namespace: "default", name },
  ips: [ip],
  ...(ports ? { ports } : {}),
});
const nginxMembers = [member("nginx-0", "10.244.1.3"), member("nginx-1", "10.244.2.2")];

function policy(
  name: string,
  rules: NetworkPolicyRule[],
  extra: Partial<ControlplaneNetworkPolicy> & { type?: NetworkPolicyType } = {},
): ControlplaneNetworkPolicy {
  const { type = "K8sNetworkPolicy", ...rest } = extra;
  return {
    metadata: { name, generation: 1 },
    rules,
    appliedToGroups: ["nginx"],
    sourceRef: { type, namespace: "default", name, uid: name },
    span: ["worker"],
    ...rest,
  };
}

const allow = (r: Partial<NetworkPolicyRule>): NetworkPolicyRule => ({
  direction: "In",
  from: {},
  to: {},
  priority: -1,
  action: "Allow",
  enableLogging: false,
  ...r,
});

function inputs(
  policies: ControlplaneNetworkPolicy[],
  groups: Record<string, GroupMember[]> = {},
  extra: Partial<PolicyInputs> = {},
): PolicyInputs {
  const all = { nginx: nginxMembers, busybox: [member("busybox", "10.244.1.2")], ...groups };
  return {
    policies,
    addressGroups: new Map(Object.entries(all)),
    appliedToGroups: new Map(Object.entries(all)),
    localPods: [nginx0, busybox],
    antreaPolicy: true,
    ...extra,
  };
}

/** The flows as `ovs-ofctl dump-flows --names` prints them (without cookies and counters), sorted. */
function dump(i: PolicyInputs, ids = new ConjIdAllocator()): string[] {
  const compiled = compilePolicies(i);
  const text = (f: Flow) =>
    `table=${f.table}, priority=${f.priority}${f.match ? `,${f.match}` : ""} actions=${f.actions}`;
  return policyFlows(pipeline, compiled, (c) => ids.get(c.key))
    .map(text)
    .sort();
}

describe("K8s NetworkPolicy flows", () => {
  it("realizes the seed policy nginx-allow as a 3-clause conjunction, its metric flows and the isolation drop", () => {
    const seed = policy("nginx-allow", [
      allow({ from: { addressGroups: ["nginx"] }, services: [{ protocol: "TCP", port: 80 }] }),
    ]);
    expect(dump(inputs([seed]))).toEqual([
      "table=IngressDefaultRule, priority=200,reg1=0x1 actions=drop",
      "table=IngressMetric, priority=200,ct_state=+new,ct_label=0x2/0xffffffff,ip actions=goto_table:27",
      "table=IngressMetric, priority=200,ct_state=-new,ct_label=0x2/0xffffffff,ip actions=goto_table:27",
      "table=IngressRule, priority=190,conj_id=2,ip actions=set_field:0x2->reg6,ct(commit,table=26,zone=65520,exec(set_field:0x2/0xffffffff->ct_label))",
      "table=IngressRule, priority=200,ip,nw_src=10.244.1.3 actions=conjunction(2,1/3)",
      "table=IngressRule, priority=200,ip,nw_src=10.244.2.2 actions=conjunction(2,1/3)",
      "table=IngressRule, priority=200,reg1=0x1 actions=conjunction(2,2/3)",
      "table=IngressRule, priority=200,tcp,tp_dst=80 actions=conjunction(2,3/3)",
    ]);
    expect(pipeline.id("ConntrackCommit")).toBe(27);
    expect(pipeline.id("IngressMetric")).toBe(26);
  });

  it("shares a match flow between rules (several conjunction actions) and grows with the sum of peers, Pods and ports", () => {
    const p = policy("two-rules", [
      allow({ from: { addressGroups: ["busybox"] }, services: [{ protocol: "TCP", port: 80 }] }),
      allow({ from: { addressGroups: ["busybox"] }, services: [{ protocol: "TCP", port: 443 }] }),
    ]);
    const flows = dump(inputs([p]));
    expect(flows).toContain(
      "table=IngressRule, priority=200,ip,nw_src=10.244.1.2 actions=conjunction(2,1/3),conjunction(3,1/3)",
    );
    expect(flows).toContain(
      "table=IngressRule, priority=200,reg1=0x1 actions=conjunction(2,2/3),conjunction(3,2/3)",
    );
    expect(flows.filter((f) => f.includes("tp_dst="))).toHaveLength(2);

    const peers = Array.from({ length: 20 }, (_, i) => member(`peer-${i}`, `10.244.9.${i + 2}`));
    const pods = Array.from({ length: 10 }, (_, i) => ({
      namespace: "default",
      name: `web-${i}`,
      ip: `10.244.1.${i + 10}`,
      ofport: i + 10,
    }));
    const big = policy(
      "big",
      [
        allow({
          from: { addressGroups: ["peers"] },
          services: [5, 6, 7].map((port) => ({ protocol: "TCP" as const, port })),
        }),
      ],
      { appliedToGroups: ["web"] },
    );
    const many = dump(
      inputs([big], { peers, web: pods.map((p) => member(p.name, p.ip)) }, { localPods: pods }),
    );
    // 20 + 10 + 3 clause flows, 1 action flow, 2 metric flows, 10 isolation drops.
    expect(many).toHaveLength(20 + 10 + 3 + 1 + 2 + 10);
  });

  it("isolates without rules, and keeps the drops while any policy isolates the Pod", () => {
    const deny = policy("deny", [{ direction: "In", from: {}, to: {}, enableLogging: false }], {
      appliedToGroups: ["all"],
    });
    const egressDeny = policy("egress-deny", [{ direction: "Out", from: {}, to: {}, enableLogging: false }], {
      appliedToGroups: ["busybox"],
    });
    expect(
      dump(inputs([deny, egressDeny], { all: [...nginxMembers, member("busybox", "10.244.1.2")] })),
    ).toEqual([
      "table=EgressDefaultRule, priority=200,ip,nw_src=10.244.1.2 actions=drop",
      "table=IngressDefaultRule, priority=200,reg1=0x1 actions=drop",
      "table=IngressDefaultRule, priority=200,reg1=0x2 actions=drop",
    ]);
  });

  it("turns an egress ipBlock with except into CIDRs, and an empty peer list into `ip`", () => {
    const egress = policy(
      "egress",
      [
        allow({
          direction: "Out",
          to: {
            ipBlocks: [
              {
                cidr: { ip: "10.244.0.0", prefixLength: 16 },
                except: [{ ip: "10.244.1.3", prefixLength: 32 }],
              },
            ],
          },
          services: [{ protocol: "TCP", port: 8000, endPort: 8007 }],
        }),
        allow({ direction: "Out", to: { ipBlocks: [{ cidr: { ip: "0.0.0.0", prefixLength: 0 } }] } }),
      ],
      { appliedToGroups: ["busybox"] },
    );
    const flows = dump(inputs([egress]));
    const to = flows.filter((f) => f.includes("nw_dst="));
    expect(to).toHaveLength(16);
    expect(to).toContain("table=EgressRule, priority=200,ip,nw_dst=10.244.1.2 actions=conjunction(2,2/3)");
    expect(to.some((f) => f.includes("nw_dst=10.244.1.3 "))).toBe(false);
    expect(flows).toContain(
      "table=EgressRule, priority=200,tcp,tp_dst=0x1f40/0xfff8 actions=conjunction(2,3/3)",
    );
    expect(flows).toContain(
      "table=EgressRule, priority=200,ip,nw_src=10.244.1.2 actions=conjunction(2,1/3),conjunction(3,1/2)",
    );
    expect(flows).toContain("table=EgressRule, priority=200,ip actions=conjunction(3,2/2)");
    expect(flows).toContain(
      "table=EgressRule, priority=190,conj_id=3,ip actions=set_field:0x3->reg5,ct(commit,table=15,zone=65520,exec(set_field:0x300000000/0xffffffff00000000->ct_label))",
    );
    expect(flows).toContain(
      "table=EgressMetric, priority=200,ct_state=+new,ct_label=0x300000000/0xffffffff00000000,ip actions=goto_table:16",
    );
    expect(flows).toContain("table=EgressDefaultRule, priority=200,ip,nw_src=10.244.1.2 actions=drop");
  });

  it("resolves a named port per applied-to Pod: one conjunction per port number", () => {
    const web = [
      member("nginx-0", "10.244.1.3", [{ name: "http", port: 8080, protocol: "TCP" }]),
      member("busybox", "10.244.1.2", [{ name: "http", port: 80, protocol: "TCP" }]),
      member("nginx-1", "10.244.2.2", [{ name: "http", port: 80, protocol: "TCP" }]),
    ];
    const anyone = { ipBlocks: [{ cidr: { ip: "0.0.0.0", prefixLength: 0 } }] };
    const p = policy("named", [allow({ from: anyone, services: [{ protocol: "TCP", port: "http" }] })], {
      appliedToGroups: ["web"],
    });
    const flows = dump(inputs([p], { web }));
    expect(flows.filter((f) => f.includes("conjunction(") && !f.includes("ip actions"))).toEqual([
      "table=IngressRule, priority=200,reg1=0x1 actions=conjunction(2,2/3)",
      "table=IngressRule, priority=200,reg1=0x2 actions=conjunction(3,2/3)",
      "table=IngressRule, priority=200,tcp,tp_dst=80 actions=conjunction(3,3/3)",
      "table=IngressRule, priority=200,tcp,tp_dst=8080 actions=conjunction(2,3/3)",
    ]);
    expect(flows).toContain(
      "table=IngressRule, priority=200,ip actions=conjunction(2,1/3),conjunction(3,1/3)",
    );
  });

  it("resolves a named port per peer Pod for egress; ipBlock peers only get numbered ports", () => {
    const peers = [
      member("a", "10.244.2.10", [{ name: "dns", port: 53, protocol: "UDP" }]),
      member("b", "10.244.2.11", [{ name: "dns", port: 5353, protocol: "UDP" }]),
      member("c", "10.244.2.12", [{ name: "dns", port: 53, protocol: "TCP" }]),
    ];
    const p = policy(
      "egress-named",
      [
        allow({
          direction: "Out",
          to: { addressGroups: ["peers"], ipBlocks: [{ cidr: { ip: "192.168.0.0", prefixLength: 24 } }] },
          services: [{ protocol: "UDP", port: "dns" }],
        }),
      ],
      { appliedToGroups: ["busybox"] },
    );
    const flows = dump(inputs([p], { peers }));
    expect(flows.filter((f) => f.includes("nw_dst=") || f.includes("tp_dst="))).toEqual([
      "table=EgressRule, priority=200,ip,nw_dst=10.244.2.10 actions=conjunction(2,2/3)",
      "table=EgressRule, priority=200,ip,nw_dst=10.244.2.11 actions=conjunction(3,2/3)",
      "table=EgressRule, priority=200,udp,tp_dst=53 actions=conjunction(2,3/3)",
      "table=EgressRule, priority=200,udp,tp_dst=5353 actions=conjunction(3,3/3)",
    ]);
  });

  it("waits for missing groups: no flows and not complete", () => {
    const p = policy("waiting", [allow({ from: { addressGroups: ["not-yet"] } })]);
    const compiled = compilePolicies(inputs([p]));
    expect(compiled.complete.size).toBe(0);
    expect(compiled.waiting.get("waiting")).toEqual(["not-yet"]);
    expect(compiled.conjunctions).toEqual([]);
    expect(compiled.isolation).toEqual([]);
  });

  it("installs nothing for a rule whose peer group is empty, but still isolates", () => {
    const p = policy("empty-peer", [allow({ from: { addressGroups: ["nobody"] } })]);
    expect(dump(inputs([p], { nobody: [] }))).toEqual([
      "table=IngressDefaultRule, priority=200,reg1=0x1 actions=drop",
    ]);
  });
});

describe("Antrea-native policy flows", () => {
  const acnp = (rules: NetworkPolicyRule[], priority = 5, tierPriority = 250) =>
    policy("acnp", rules, { type: "AntreaClusterNetworkPolicy", priority, tierPriority });
  const rule = (action: NetworkPolicyRule["action"], index: number, r: Partial<NetworkPolicyRule> = {}) =>
    allow({ action, priority: index, from: { addressGroups: ["busybox"] }, ...r });

  it("puts Allow, Drop, Reject and Pass at the tier/priority formula, every flow of a rule at one priority", () => {
    const flows = dump(
      inputs([acnp([rule("Allow", 0), rule("Drop", 1), rule("Reject", 2), rule("Pass", 3)])]),
    );
    expect(flows.filter((f) => f.includes("conj_id="))).toEqual([
      "table=AntreaPolicyIngressRule, priority=14497,conj_id=5 actions=set_field:0x5->reg6,goto_table:24",
      "table=AntreaPolicyIngressRule, priority=14498,conj_id=4 actions=set_field:0x4->reg3,set_field:0x400/0x400->reg0,set_field:0x1000/0x1800->reg0,controller(max_len=256,userdata=02.04),goto_table:26",
      "table=AntreaPolicyIngressRule, priority=14499,conj_id=3 actions=set_field:0x3->reg3,set_field:0x400/0x400->reg0,goto_table:26",
      "table=AntreaPolicyIngressRule, priority=14500,conj_id=2,ip actions=set_field:0x2->reg6,ct(commit,table=26,zone=65520,exec(set_field:0x2/0xffffffff->ct_label))",
    ]);
    expect(pipeline.id("IngressRule")).toBe(24);
    expect(flows).toContain(
      "table=AntreaPolicyIngressRule, priority=14499,reg1=0x1 actions=conjunction(3,2/2)",
    );
    expect(flows).toContain(
      "table=AntreaPolicyIngressRule, priority=14499,ip,nw_src=10.244.1.2 actions=conjunction(3,1/2)",
    );
    expect(flows).toContain("table=IngressMetric, priority=200,reg0=0x400/0x400,reg3=0x3 actions=drop");
    expect(flows).toContain("table=IngressMetric, priority=200,reg0=0x400/0x400,reg3=0x4 actions=drop");
    // No isolation for Antrea-native policies.
    expect(flows.some((f) => f.includes("DefaultRule"))).toBe(false);
  });

  it("puts Baseline rules below the K8s isolation drops, and egress rules on the Pods' IPs", () => {
    const flows = dump(
      inputs([
        acnp([rule("Drop", 0, { direction: "Out", from: {}, to: { addressGroups: ["nginx"] } })], 1, 253),
      ]),
    );
    expect(flows).toContain(
      "table=EgressDefaultRule, priority=170,ip,nw_src=10.244.1.3 actions=conjunction(2,1/2)",
    );
    expect(flows).toContain(
      "table=EgressDefaultRule, priority=170,ip,nw_dst=10.244.2.2 actions=conjunction(2,2/2)",
    );
    expect(flows).toContain(
      "table=EgressDefaultRule, priority=170,conj_id=2 actions=set_field:0x2->reg3,set_field:0x400/0x400->reg0,goto_table:15",
    );
  });

  it("applies per-rule appliedTo, and skips Antrea-native policies without the AntreaPolicy tables", () => {
    const p = acnp([rule("Drop", 0, { appliedToGroups: ["busybox"], from: { addressGroups: ["nginx"] } })]);
    expect(dump(inputs([p])).filter((f) => f.includes("reg1="))).toEqual([
      "table=AntreaPolicyIngressRule, priority=14500,reg1=0x2 actions=conjunction(2,2/2)",
    ]);
    const without = compilePolicies(inputs([p], {}, { antreaPolicy: false }));
    expect(without.conjunctions).toEqual([]);
    expect(without.complete.size).toBe(0);
    expect(without.unsupported.get("acnp")).toMatch(/AntreaPolicy feature gate/);
  });
});
