// The controller's model of every computed policy and group, updated incrementally: a changed policy is
// re-translated and takes or releases references on groups (a group lives while a policy uses it); a changed Pod is
// re-evaluated against the groups, so it updates only the groups it enters, leaves or changes in; Namespace, Node
// and ClusterGroup changes recompute only the groups that depend on them. Spans follow from the groups.
import type { V1Namespace, V1Node, V1Pod } from "@kubernetes/client-node";
import type { GroupMember } from "../../api/controlplane.ts";
import type { Logger } from "../log.ts";
import { groupRefSelectors } from "./group-refs.ts";
import { type GroupSelector, type PodFacts, selectsNode, selectsPod } from "./group-selector.ts";
import { type GroupKind, type Member, nodeMember, podKey, podMember } from "./members.ts";
import {
  type ComputedPolicy,
  type GroupSource,
  type PolicyBody,
  type PolicyKey,
  policyKeyString,
  type TranslationContext,
} from "./policy-model.ts";

/** Read access to the watched cluster objects. */
export interface ClusterView extends TranslationContext {
  /** Translates the source policy, or undefined when it does not exist (or cannot be read). */
  computePolicy(key: PolicyKey): ComputedPolicy | undefined;
  pods(): readonly V1Pod[];
  pod(namespace: string, name: string): V1Pod | undefined;
  namespace(name: string): V1Namespace | undefined;
  nodes(): readonly V1Node[];
}

export interface DesiredPolicy {
  key: PolicyKey;
  body: PolicyBody;
  span: string[];
}

export interface DesiredGroup {
  groupMembers: GroupMember[];
  span: string[];
}

/** Every controlplane object the controller wants to exist, by kind and name. */
export interface DesiredState {
  networkPolicies: Map<string, DesiredPolicy>;
  addressGroups: Map<string, DesiredGroup>;
  appliedToGroups: Map<string, DesiredGroup>;
}

interface GroupState {
  kind: GroupKind;
  name: string;
  source: GroupSource;
  selectors: GroupSelector[];
  members: Map<string, Member>;
  /** Keys of the policies using the group. */
  refs: Set<string>;
}

function groupKey(kind: GroupKind, name: string): string {
  return `${kind}/${name}`;
}

function sameSource(a: GroupSource, b: GroupSource): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

export class PolicyState {
  private readonly policies = new Map<string, ComputedPolicy>();
  private readonly groups = new Map<string, GroupState>();
  private readonly dirtyPolicies = new Map<string, PolicyKey>();
  private readonly dirtyPods = new Set<string>();
  private recomputeNamespaceSelected = false;
  private recomputeNodeSelected = false;
  private recomputeGroupRefs = false;

  constructor(
    private readonly view: ClusterView,
    private readonly log: Logger,
  ) {}

  // ---- what changed (called from watch events; applied by compute) ----

  policyChanged(key: PolicyKey): void {
    this.dirtyPolicies.set(policyKeyString(key), key);
  }

  podChanged(namespace: string, name: string): void {
    this.dirtyPods.add(podKey(namespace, name));
  }

  /** Namespace labels select Pods through namespaceSelectors. */
  namespaceChanged(): void {
    this.recomputeNamespaceSelected = true;
  }

  nodeChanged(): void {
    this.recomputeNodeSelected = true;
  }

  /** A ClusterGroup or Group changed: the groups made for references re-read their selectors. */
  groupRefsChanged(): void {
    this.recomputeGroupRefs = true;
  }

  // ---- applying the changes ----

  /** Applies the pending changes and returns the objects that should exist now. */
  compute(): DesiredState {
    for (const [k, key] of this.dirtyPolicies) this.updatePolicy(k, key);
    this.dirtyPolicies.clear();
    for (const g of this.groups.values()) {
      const byNamespace = this.recomputeNamespaceSelected && g.selectors.some((s) => s.namespaceSelector);
      const byNode = this.recomputeNodeSelected && g.selectors.some((s) => s.nodeSelector);
      const byRef = this.recomputeGroupRefs && g.source.type === "groupRef";
      if (byRef) g.selectors = this.selectorsOf(g.source);
      if (byNamespace || byNode || byRef) this.recomputeMembers(g);
    }
    this.recomputeNamespaceSelected = this.recomputeNodeSelected = this.recomputeGroupRefs = false;
    for (const key of this.dirtyPods) this.updatePod(key);
    this.dirtyPods.clear();
    return this.desired();
  }

  private updatePolicy(k: string, key: PolicyKey): void {
    const next = this.view.computePolicy(key);
    const prev = this.policies.get(k);
    // Take the new references before releasing the old ones, so shared groups are not recomputed.
    if (next) {
      this.policies.set(k, next);
      for (const [name, source] of next.appliedToGroups) this.acquire("appliedToGroup", name, source, k);
      for (const [name, source] of next.addressGroups) this.acquire("addressGroup", name, source, k);
    } else {
      this.policies.delete(k);
    }
    if (prev) {
      for (const name of prev.appliedToGroups.keys()) {
        if (!next?.appliedToGroups.has(name)) this.release("appliedToGroup", name, k);
      }
      for (const name of prev.addressGroups.keys()) {
        if (!next?.addressGroups.has(name)) this.release("addressGroup", name, k);
      }
    }
    if (!prev && next) this.log.debug(`policy ${k} computed as ${next.name}`);
    if (prev && !next) this.log.debug(`policy ${k} removed`);
  }

  private acquire(kind: GroupKind, name: string, source: GroupSource, ref: string): void {
    const key = groupKey(kind, name);
    let g = this.groups.get(key);
    if (!g || !sameSource(g.source, source)) {
      g = {
        kind,
        name,
        source,
        selectors: this.selectorsOf(source),
        members: new Map(),
        refs: g?.refs ?? new Set(),
      };
      this.groups.set(key, g);
      this.recomputeMembers(g);
    }
    g.refs.add(ref);
  }

  private release(kind: GroupKind, name: string, ref: string): void {
    const key = groupKey(kind, name);
    const g = this.groups.get(key);
    if (!g) return;
    g.refs.delete(ref);
    if (g.refs.size === 0) this.groups.delete(key);
  }

  private selectorsOf(source: GroupSource): GroupSelector[] {
    if (source.type === "selector") return [source.selector];
    return groupRefSelectors(source.namespace, source.name, (ns, n) => this.view.groupSpec(ns, n));
  }

  private podFacts(pod: V1Pod): PodFacts {
    const namespace = pod.metadata?.namespace ?? "";
    return {
      namespace,
      labels: pod.metadata?.labels,
      namespaceLabels: this.view.namespace(namespace)?.metadata?.labels,
    };
  }

  private evaluatePod(g: GroupState, pod: V1Pod, facts: PodFacts): Member | undefined {
    return g.selectors.some((s) => selectsPod(s, facts)) ? podMember(pod, g.kind) : undefined;
  }

  private recomputeMembers(g: GroupState): void {
    g.members = new Map();
    if (g.kind === "addressGroup" && g.selectors.some((s) => s.nodeSelector)) {
      for (const node of this.view.nodes()) {
        const labels = node.metadata?.labels;
        const m = g.selectors.some((s) => selectsNode(s, labels)) ? nodeMember(node) : undefined;
        if (m) g.members.set(`node:${node.metadata?.name ?? ""}`, m);
      }
    }
    if (!g.selectors.some((s) => !s.nodeSelector)) return;
    for (const pod of this.view.pods()) {
      const m = this.evaluatePod(g, pod, this.podFacts(pod));
      if (m) g.members.set(podKey(pod.metadata?.namespace, pod.metadata?.name), m);
    }
  }

  private updatePod(key: string): void {
    const [namespace = "", name = ""] = key.split("/");
    const pod = this.view.pod(namespace, name);
    const facts = pod ? this.podFacts(pod) : undefined;
    for (const g of this.groups.values()) {
      const m = pod && facts ? this.evaluatePod(g, pod, facts) : undefined;
      if (m) g.members.set(key, m);
      else g.members.delete(key);
    }
  }

  // ---- desired objects ----

  private desired(): DesiredState {
    const groupOut = (g: GroupState): DesiredGroup => {
      const keys = [...g.members.keys()].sort();
      return {
        groupMembers: keys.map((k) => g.members.get(k)?.member).filter((m): m is GroupMember => !!m),
        span: sortedUnique([...g.members.values()].flatMap((m) => (m.nodeName ? [m.nodeName] : []))),
      };
    };
    const appliedToGroups = new Map<string, DesiredGroup>();
    const addressGroupStates: GroupState[] = [];
    for (const g of this.groups.values()) {
      if (g.kind === "appliedToGroup") appliedToGroups.set(g.name, groupOut(g));
      else addressGroupStates.push(g);
    }
    const networkPolicies = new Map<string, DesiredPolicy>();
    const spanByPolicy = new Map<string, string[]>();
    for (const [k, p] of this.policies) {
      const span = sortedUnique(p.body.appliedToGroups.flatMap((n) => appliedToGroups.get(n)?.span ?? []));
      spanByPolicy.set(k, span);
      networkPolicies.set(p.name, { key: p.key, body: p.body, span });
    }
    const addressGroups = new Map<string, DesiredGroup>();
    for (const g of addressGroupStates) {
      const { groupMembers } = groupOut(g);
      const span = sortedUnique([...g.refs].flatMap((k) => spanByPolicy.get(k) ?? []));
      addressGroups.set(g.name, { groupMembers, span });
    }
    return { networkPolicies, addressGroups, appliedToGroups };
  }
}
