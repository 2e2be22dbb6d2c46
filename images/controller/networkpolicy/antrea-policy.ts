// Antrea-native policies (ACNP, ANNP) -> controlplane NetworkPolicy, as Antrea's processClusterNetworkPolicy /
// processAntreaNetworkPolicy compute it: appliedTo at policy or rule level, peers by selectors, ipBlocks,
// ClusterGroups/Groups and Node selectors, the rule's action and index as priority, the policy priority and the
// priority of its Tier.
import { createHash } from "node:crypto";
import type { IPBlock, NetworkPolicyPeer, NetworkPolicyRule } from "../../api/controlplane.ts";
import type { AntreaAppliedTo, AntreaPeer, AntreaPolicySpec, AntreaRule } from "../../api/crd-policy.ts";
import { selectorGroupName } from "./group-names.ts";
import { groupRefAppliedTo, groupRefPeer } from "./group-refs.ts";
import { type GroupSelector, newGroupSelector } from "./group-selector.ts";
import { ipBlock, matchAllPeer, peerOf, toServices } from "./peers.ts";
import type { ComputedPolicy, GroupSource, TranslationContext } from "./policy-model.ts";

export interface AntreaPolicySource {
  /** Namespace of an ANNP; undefined for an ACNP. */
  namespace?: string;
  name: string;
  uid: string;
  spec: AntreaPolicySpec;
}

/**
 * The name Antrea's mutating webhook gives an unnamed rule: `<ingress|egress>-<action>-<hash>`. Antrea hashes
 * the Go JSON of the rule; the JSON here is the parsed rule's, so the suffix differs from Antrea's.
 */
function defaultRuleName(direction: "ingress" | "egress", rule: AntreaRule): string {
  const hash = createHash("sha1").update(JSON.stringify(rule)).digest("hex").slice(0, 7);
  return `${direction}-${rule.action.toLowerCase()}-${hash}`;
}

export function computeAntreaPolicy(src: AntreaPolicySource, ctx: TranslationContext): ComputedPolicy {
  const namespace = src.namespace ?? "";
  const type = src.namespace === undefined ? "AntreaClusterNetworkPolicy" : "AntreaNetworkPolicy";
  const appliedToGroups = new Map<string, GroupSource>();
  const addressGroups = new Map<string, GroupSource>();

  const selectorGroup = (into: Map<string, GroupSource>, selector: GroupSelector): string => {
    const name = selectorGroupName(selector);
    into.set(name, { type: "selector", selector });
    return name;
  };

  const appliedTo = (entries: readonly AntreaAppliedTo[] | undefined): string[] => {
    const names: string[] = [];
    for (const at of entries ?? []) {
      if (at.group) {
        const ref = groupRefAppliedTo(namespace, at.group, ctx);
        if (!ref) continue; // appears once the group exists (the policy is recomputed then)
        appliedToGroups.set(ref[0], ref[1]);
        names.push(ref[0]);
      } else {
        names.push(
          selectorGroup(appliedToGroups, newGroupSelector(namespace, at.podSelector, at.namespaceSelector)),
        );
      }
    }
    return [...new Set(names)];
  };

  const toPeer = (peers: readonly AntreaPeer[] | undefined, dir: "In" | "Out", named: boolean) => {
    if (!peers?.length) {
      if (dir === "In" || !named) return matchAllPeer();
      const all = selectorGroup(addressGroups, newGroupSelector("", undefined, {}));
      return { ...matchAllPeer(), addressGroups: [all] } satisfies NetworkPolicyPeer;
    }
    const groups: string[] = [];
    const blocks: IPBlock[] = [];
    for (const p of peers) {
      if (p.ipBlock) {
        blocks.push(ipBlock(p.ipBlock.cidr));
      } else if (p.group) {
        const ref = groupRefPeer(namespace, p.group, ctx);
        if (ref.addressGroup) {
          addressGroups.set(ref.addressGroup[0], ref.addressGroup[1]);
          groups.push(ref.addressGroup[0]);
        }
        blocks.push(...ref.ipBlocks);
      } else if (p.nodeSelector) {
        groups.push(selectorGroup(addressGroups, { nodeSelector: p.nodeSelector }));
      } else {
        groups.push(
          selectorGroup(addressGroups, newGroupSelector(namespace, p.podSelector, p.namespaceSelector)),
        );
      }
    }
    return peerOf(groups, blocks);
  };

  const specAppliedTo = appliedTo(src.spec.appliedTo);
  const rules: NetworkPolicyRule[] = [];
  const allAppliedTo = new Set(specAppliedTo);
  for (const [direction, list] of [
    ["ingress", src.spec.ingress],
    ["egress", src.spec.egress],
  ] as const) {
    (list ?? []).forEach((r, index) => {
      const dir = direction === "ingress" ? "In" : "Out";
      const { services, namedPort } = toServices(r.ports);
      const peer = toPeer(direction === "ingress" ? r.from : r.to, dir, namedPort);
      const rule: NetworkPolicyRule = {
        direction: dir,
        from: dir === "In" ? peer : {},
        to: dir === "Out" ? peer : {},
        priority: index,
        action: r.action,
        enableLogging: r.enableLogging ?? false,
        name: r.name || defaultRuleName(direction, r),
      };
      if (services) rule.services = services;
      const ruleAppliedTo = appliedTo(r.appliedTo);
      if (ruleAppliedTo.length > 0) rule.appliedToGroups = ruleAppliedTo;
      for (const g of ruleAppliedTo) allAppliedTo.add(g);
      rules.push(rule);
    });
  }

  return {
    key: { type, namespace: src.namespace, name: src.name },
    name: src.uid,
    body: {
      rules,
      appliedToGroups: [...allAppliedTo].sort(),
      priority: src.spec.priority,
      tierPriority: ctx.tierPriority(src.spec.tier),
      sourceRef: src.namespace
        ? { type, namespace: src.namespace, name: src.name, uid: src.uid }
        : { type, name: src.name, uid: src.uid },
    },
    appliedToGroups,
    addressGroups,
  };
}
