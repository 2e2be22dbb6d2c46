// ClusterGroup / Group references in Antrea-native policies (processRefGroupOrClusterGroup and
// processInternalGroupForRule in Antrea): a referenced group contributes an AddressGroup named after it when it,
// or one of its childGroups, selects Pods, and its (children's) ipBlocks directly to the rule's peer.
import type { IPBlock } from "../../api/controlplane.ts";
import type { GroupSpec } from "../../api/crd-policy.ts";
import { namespacedGroupName } from "./group-names.ts";
import { type GroupSelector, newGroupSelector } from "./group-selector.ts";
import { cidrToIPNet } from "./peers.ts";
import type { GroupSource, TranslationContext } from "./policy-model.ts";

/** Antrea allows one level of childGroups; the bound also stops reference cycles. */
const MAX_DEPTH = 2;

/** The name of the group made for a ClusterGroup (its own name) or a Group in `namespace`. */
export function groupRefName(namespace: string, name: string): string {
  return namespace ? namespacedGroupName(namespace, name) : name;
}

function inspect(
  spec: GroupSpec,
  namespace: string,
  ctx: TranslationContext,
  depth: number,
): { selectsPods: boolean; ipBlocks: IPBlock[] } {
  if (depth >= MAX_DEPTH) return { selectsPods: false, ipBlocks: [] };
  if (spec.ipBlocks?.length) {
    return { selectsPods: false, ipBlocks: spec.ipBlocks.map((b) => ({ cidr: cidrToIPNet(b.cidr) })) };
  }
  if (!spec.childGroups?.length) return { selectsPods: true, ipBlocks: [] };
  const out = { selectsPods: false, ipBlocks: [] as IPBlock[] };
  for (const child of spec.childGroups) {
    const childSpec = ctx.groupSpec(namespace, child);
    if (!childSpec) continue;
    const r = inspect(childSpec, namespace, ctx, depth + 1);
    out.selectsPods ||= r.selectsPods;
    out.ipBlocks.push(...r.ipBlocks);
  }
  return out;
}

/** A rule peer `group: name`: the AddressGroup to use (if any) and the ipBlocks to add. */
export function groupRefPeer(
  namespace: string,
  name: string,
  ctx: TranslationContext,
): { addressGroup?: [string, GroupSource]; ipBlocks: IPBlock[] } {
  const spec = ctx.groupSpec(namespace, name);
  if (!spec) return { ipBlocks: [] };
  const { selectsPods, ipBlocks } = inspect(spec, namespace, ctx, 0);
  if (!selectsPods) return { ipBlocks };
  return { addressGroup: [groupRefName(namespace, name), { type: "groupRef", namespace, name }], ipBlocks };
}

/** An appliedTo `group: name`: only existing groups without ipBlocks can be applied to. */
export function groupRefAppliedTo(
  namespace: string,
  name: string,
  ctx: TranslationContext,
): [string, GroupSource] | undefined {
  const spec = ctx.groupSpec(namespace, name);
  if (!spec || spec.ipBlocks?.length) return undefined;
  return [groupRefName(namespace, name), { type: "groupRef", namespace, name }];
}

/** The Pod selectors whose union is the membership of a referenced group (through its childGroups). */
export function groupRefSelectors(
  namespace: string,
  name: string,
  lookup: (namespace: string, name: string) => GroupSpec | undefined,
  depth = 0,
): GroupSelector[] {
  const spec = lookup(namespace, name);
  if (!spec || spec.ipBlocks?.length || depth >= MAX_DEPTH) return [];
  if (spec.childGroups?.length) {
    return spec.childGroups.flatMap((child) => groupRefSelectors(namespace, child, lookup, depth + 1));
  }
  if (!spec.podSelector && !spec.namespaceSelector) return [];
  return [newGroupSelector(namespace, spec.podSelector, spec.namespaceSelector)];
}
