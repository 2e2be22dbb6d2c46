// K8s NetworkPolicy -> controlplane NetworkPolicy, as Antrea's processNetworkPolicy computes it: one
// AppliedToGroup for spec.podSelector in the policy's Namespace, one AddressGroup per selector peer, ipBlocks
// (with except) inline, Allow rules of priority -1, and a rule-less "deny all" rule for each isolated direction
// that has no rules (a policy isolates its Pods even without rules).
import { z } from "zod";
import type { NetworkPolicyRule } from "../../api/controlplane.ts";
import { labelSelectorSchema } from "../../api/crd-policy.ts";
import { selectorGroupName } from "./group-names.ts";
import { newGroupSelector } from "./group-selector.ts";
import { ipBlock, matchAllPeer, peerOf, toServices } from "./peers.ts";
import type { ComputedPolicy, GroupSource, TranslationContext } from "./policy-model.ts";

const peerSchema = z.object({
  podSelector: labelSelectorSchema.optional(),
  namespaceSelector: labelSelectorSchema.optional(),
  ipBlock: z.object({ cidr: z.string(), except: z.array(z.string()).optional() }).optional(),
});

const portsSchema = z
  .array(
    z.object({
      protocol: z.enum(["TCP", "UDP", "SCTP"]).optional(),
      port: z.union([z.number().int(), z.string()]).optional(),
      endPort: z.number().int().optional(),
    }),
  )
  .optional();

export const k8sNetworkPolicySchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string(), uid: z.string() }),
  spec: z.object({
    podSelector: labelSelectorSchema.default({}),
    ingress: z.array(z.object({ from: z.array(peerSchema).optional(), ports: portsSchema })).optional(),
    egress: z.array(z.object({ to: z.array(peerSchema).optional(), ports: portsSchema })).optional(),
    policyTypes: z.array(z.enum(["Ingress", "Egress"])).optional(),
  }),
});
export type K8sNetworkPolicy = z.output<typeof k8sNetworkPolicySchema>;
type Peer = z.output<typeof peerSchema>;

/** Namespace annotation that turns on logging for the K8s NetworkPolicies of the Namespace. */
export const ENABLE_LOGGING_ANNOTATION = "networkpolicy.antrea.io/enable-logging";

/** Go's strconv.ParseBool, errors read as false. */
function parseBool(v: string | undefined): boolean {
  return v !== undefined && ["1", "t", "T", "true", "TRUE", "True"].includes(v);
}

export function computeK8sPolicy(np: K8sNetworkPolicy, ctx: TranslationContext): ComputedPolicy {
  const { namespace, name, uid } = np.metadata;
  const { spec } = np;
  const addressGroups = new Map<string, GroupSource>();
  const enableLogging = parseBool(ctx.namespaceAnnotations(namespace)?.[ENABLE_LOGGING_ANNOTATION]);

  const toPeer = (peers: readonly Peer[] | undefined, direction: "In" | "Out", namedPort: boolean) => {
    if (!peers?.length) {
      // An egress rule with named ports needs the Pods of all Namespaces to resolve the names.
      if (direction === "In" || !namedPort) return matchAllPeer();
      const selector = newGroupSelector(namespace, undefined, {});
      const group = selectorGroupName(selector);
      addressGroups.set(group, { type: "selector", selector });
      return { ...matchAllPeer(), addressGroups: [group] };
    }
    const groups: string[] = [];
    const blocks = [];
    for (const p of peers) {
      if (p.ipBlock) {
        blocks.push(ipBlock(p.ipBlock.cidr, p.ipBlock.except));
        continue;
      }
      const selector = newGroupSelector(namespace, p.podSelector, p.namespaceSelector);
      const group = selectorGroupName(selector);
      addressGroups.set(group, { type: "selector", selector });
      groups.push(group);
    }
    return peerOf(groups, blocks);
  };

  const rules: NetworkPolicyRule[] = [];
  for (const r of spec.ingress ?? []) {
    const { services, namedPort } = toServices(r.ports);
    rules.push(rule("In", toPeer(r.from, "In", namedPort), services, enableLogging));
  }
  for (const r of spec.egress ?? []) {
    const { services, namedPort } = toServices(r.ports);
    rules.push(rule("Out", toPeer(r.to, "Out", namedPort), services, enableLogging));
  }
  const types = spec.policyTypes ?? (spec.egress ? ["Ingress", "Egress"] : ["Ingress"]);
  if (types.includes("Ingress") && !spec.ingress?.length) rules.push(isolation("In"));
  if (types.includes("Egress") && !spec.egress?.length) rules.push(isolation("Out"));

  const appliedTo = newGroupSelector(namespace, spec.podSelector, undefined);
  const appliedToGroup = selectorGroupName(appliedTo);
  return {
    key: { type: "K8sNetworkPolicy", namespace, name },
    name: uid,
    body: {
      rules,
      appliedToGroups: [appliedToGroup],
      sourceRef: { type: "K8sNetworkPolicy", namespace, name, uid },
    },
    appliedToGroups: new Map([[appliedToGroup, { type: "selector", selector: appliedTo }]]),
    addressGroups,
  };
}

function rule(
  direction: "In" | "Out",
  peer: NetworkPolicyRule["from"],
  services: NetworkPolicyRule["services"],
  enableLogging: boolean,
): NetworkPolicyRule {
  const r: NetworkPolicyRule = {
    direction,
    from: direction === "In" ? peer : {},
    to: direction === "Out" ? peer : {},
    priority: -1,
    action: "Allow",
    enableLogging,
  };
  if (services) r.services = services;
  return r;
}

/** Antrea's denyAllIngressRule / denyAllEgressRule: no peer, no action; agents install only the isolation. */
function isolation(direction: "In" | "Out"): NetworkPolicyRule {
  return { direction, from: {}, to: {}, enableLogging: false };
}
