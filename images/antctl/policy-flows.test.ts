import { describe, expect, it } from "vitest";
import type { TableName } from "../agent/pipeline/tables.ts";
import type {
  AddressGroup,
  AppliedToGroup,
  ControlplaneNetworkPolicy,
  NetworkPolicyRule,
} from "../api/controlplane.ts";
import { type PolicyContext, policyFlowLines, ruleTables } from "./policy-flows.ts";

// Flow lines as antctl prints them (spec §1.5): two K8s NetworkPolicies applied to the same Pod (ofport 0x25,
// 10.10.0.24), so the applied-to clause flow is shared by their rules 3 and 4.
const flow = (table: string, rest: string) => `table=${table}, n_packets=0, n_bytes=0, idle_age=1, ${rest}`;
const INGRESS = [
  flow("IngressRule", "priority=200,ip,nw_src=10.10.0.26 actions=conjunction(3,1/3)"),
  flow("IngressRule", "priority=200,ip,nw_src=10.10.1.5 actions=conjunction(3,1/3)"),
  flow("IngressRule", "priority=200,ip,nw_src=10.10.0.99 actions=conjunction(4,1/3)"),
  flow("IngressRule", "priority=200,reg1=0x25 actions=conjunction(4,2/3),conjunction(3,2/3)"),
  flow("IngressRule", "priority=200,tcp,tp_dst=80 actions=conjunction(3,3/3)"),
  flow("IngressRule", "priority=200,tcp,tp_dst=8080 actions=conjunction(4,3/3)"),
  flow(
    "IngressRule",
    "priority=190,conj_id=3,ip actions=set_field:0x3->reg6,ct(commit,table=IngressMetric,zone=65520,exec(set_field:0x3/0xffffffff->ct_label))",
  ),
  flow(
    "IngressRule",
    "priority=190,conj_id=4,ip actions=set_field:0x4->reg6,ct(commit,table=IngressMetric,zone=65520,exec(set_field:0x4/0xffffffff->ct_label))",
  ),
  flow("IngressRule", "priority=0 actions=goto_table:IngressDefaultRule"),
];
const INGRESS_DEFAULT = [
  flow("IngressDefaultRule", "priority=200,reg1=0x25 actions=drop"),
  flow("IngressDefaultRule", "priority=200,reg1=0x26 actions=drop"),
  flow("IngressDefaultRule", "priority=0 actions=goto_table:IngressMetric"),
];
const EGRESS = [
  flow("EgressRule", "priority=200,ip,nw_src=10.10.0.24 actions=conjunction(5,1/2)"),
  flow("EgressRule", "priority=200,ip,nw_dst=10.0.0.0/8 actions=conjunction(5,2/2)"),
  flow("EgressRule", "priority=190,conj_id=5,ip actions=set_field:0x5->reg5,goto_table:EgressMetric"),
];
const EGRESS_DEFAULT = [flow("EgressDefaultRule", "priority=200,ip,nw_src=10.10.0.24 actions=drop")];
const DUMPS = new Map<TableName, string[]>([
  ["IngressRule", INGRESS],
  ["IngressDefaultRule", INGRESS_DEFAULT],
  ["EgressRule", EGRESS],
  ["EgressDefaultRule", EGRESS_DEFAULT],
]);

const group = <T extends AddressGroup | AppliedToGroup>(name: string, members: T["groupMembers"]) =>
  ({ metadata: { name }, groupMembers: members, span: ["n1"] }) as T;

const ctx: PolicyContext = {
  addressGroups: new Map([
    [
      "clients",
      group<AddressGroup>("clients", [
        { pod: { namespace: "default", name: "c1" }, ips: ["10.10.0.26"] },
        { pod: { namespace: "default", name: "c2" }, ips: ["10.10.1.5"] },
      ]),
    ],
    ["other", group<AddressGroup>("other", [{ pod: { namespace: "x", name: "o" }, ips: ["10.10.0.99"] }])],
  ]),
  appliedToGroups: new Map([
    [
      "web",
      group<AppliedToGroup>("web", [{ pod: { namespace: "default", name: "web" }, ips: ["10.10.0.24"] }]),
    ],
  ]),
  localPods: new Map([["default/web", { ip: "10.10.0.24", ofport: 0x25 }]]),
};

function k8sPolicy(name: string, rules: NetworkPolicyRule[]): ControlplaneNetworkPolicy {
  return {
    metadata: { name: `uid-${name}` },
    rules,
    appliedToGroups: ["web"],
    sourceRef: { type: "K8sNetworkPolicy", namespace: "default", name, uid: `uid-${name}` },
    span: ["n1"],
  };
}

const ingressRule = (peers: string[], port?: number): NetworkPolicyRule => ({
  direction: "In",
  from: { addressGroups: peers },
  to: {},
  ...(port ? { services: [{ protocol: "TCP", port }] } : {}),
  enableLogging: false,
});

describe("flows of one NetworkPolicy (get ovsflows -N)", () => {
  it("finds a rule's conj_id by all its clauses, even when the applied-to flow is shared", () => {
    const lines = policyFlowLines(k8sPolicy("allow-clients", [ingressRule(["clients"], 80)]), ctx, DUMPS);
    expect(lines).toEqual([
      INGRESS[6], // the action flow (conj_id=3)
      INGRESS[0], // from
      INGRESS[1],
      INGRESS[3], // to (shared with rule 4)
      INGRESS[4], // service
      INGRESS_DEFAULT[0], // isolation of the applied-to Pod
    ]);
    const other = policyFlowLines(k8sPolicy("allow-other", [ingressRule(["other"], 8080)]), ctx, DUMPS);
    expect(other).toEqual([INGRESS[7], INGRESS[2], INGRESS[3], INGRESS[5], INGRESS_DEFAULT[0]]);
  });

  it("does not take another rule's conjunction when a clause does not match", () => {
    // Same peers as rule 3 but port 8080: rule 3 has no 8080 clause, rule 4 has other peers.
    expect(policyFlowLines(k8sPolicy("p", [ingressRule(["clients"], 8080)]), ctx, DUMPS)).toEqual([
      INGRESS_DEFAULT[0],
    ]);
  });

  it("matches egress rules by the Pods' IPs (from) and CIDR peers (to), without a service clause", () => {
    const rule: NetworkPolicyRule = {
      direction: "Out",
      from: {},
      to: { ipBlocks: [{ cidr: { ip: "10.0.0.0", prefixLength: 8 } }] },
      enableLogging: false,
    };
    expect(policyFlowLines(k8sPolicy("egress", [rule]), ctx, DUMPS)).toEqual([
      EGRESS[2],
      EGRESS[0],
      EGRESS[1],
      EGRESS_DEFAULT[0],
    ]);
  });

  it("gives only the default drops for an isolation-only rule, and nothing for Pods on other Nodes", () => {
    expect(policyFlowLines(k8sPolicy("deny", [ingressRule([])]), ctx, DUMPS)).toEqual([INGRESS_DEFAULT[0]]);
    const elsewhere = { ...ctx, localPods: new Map() };
    expect(
      policyFlowLines(k8sPolicy("allow-clients", [ingressRule(["clients"], 80)]), elsewhere, DUMPS),
    ).toEqual([]);
  });

  it("puts Antrea-native rules in the AntreaPolicy tables, and Baseline-tier rules in the default tables", () => {
    const acnp = (tierPriority: number): ControlplaneNetworkPolicy => ({
      ...k8sPolicy("acnp", []),
      sourceRef: { type: "AntreaClusterNetworkPolicy", name: "acnp", uid: "u" },
      tierPriority,
    });
    expect(ruleTables(acnp(250), ingressRule(["clients"]))).toEqual({
      rules: "AntreaPolicyIngressRule",
      defaults: "IngressDefaultRule",
    });
    expect(ruleTables(acnp(253), ingressRule(["clients"])).rules).toBe("IngressDefaultRule");
  });
});
