// Node IPAM: gives every Node a Pod CIDR (spec.podCIDR/podCIDRs) carved from the cluster CIDR. The lab passes the
// CIDRs its topology resolved, so `ovslab status` and the API agree; other nodes get the first free slice.
import { formatCidr, mustParseCidr, overlaps, subnet } from "../../common/ipv4.ts";
import type { ControllerContext, ControllerSpec } from "./controller.ts";
import { keyOf } from "./controller.ts";
import type { Node } from "./types.ts";

export interface NodeIpamOptions {
  clusterCIDR: string;
  nodeMaskSize: number;
  /** node name -> Pod CIDR decided in advance */
  preferred?: Record<string, string>;
}

export function nodeIpamController(ctx: ControllerContext, opts: NodeIpamOptions): ControllerSpec {
  const nodes = ctx.api.client<Node>("nodes");
  const cluster = mustParseCidr(opts.clusterCIDR);
  return {
    name: "nodeipam",
    watches: [
      {
        resource: "nodes",
        keys: (n, type) => (type === "DELETED" || (n as Node).spec?.podCIDR ? [] : [keyOf(n)]),
      },
    ],
    reconcile(name) {
      const node = nodes.find(name);
      if (!node || node.spec?.podCIDR) return;
      const taken = nodes
        .list()
        .map((n) => n.spec?.podCIDR)
        .filter((c): c is string => Boolean(c))
        .map(mustParseCidr);
      const isFree = (c: string) => !taken.some((t) => overlaps(t, mustParseCidr(c)));
      let cidr = opts.preferred?.[name];
      if (!cidr || !isFree(cidr)) {
        cidr = undefined;
        const count = 2 ** (opts.nodeMaskSize - cluster.prefix);
        for (let i = 0; i < count && !cidr; i++) {
          const candidate = formatCidr(subnet(cluster, opts.nodeMaskSize, i));
          if (isFree(candidate) && !Object.values(opts.preferred ?? {}).includes(candidate)) cidr = candidate;
        }
      }
      if (!cidr) {
        ctx.log.warn(`nodeipam: no Pod CIDR left in ${opts.clusterCIDR} for node ${name}`);
        return;
      }
      nodes.patch(name, { spec: { podCIDR: cidr, podCIDRs: [cidr] } });
      ctx.log.info(`nodeipam: node ${name} gets Pod CIDR ${cidr}`);
    },
  };
}
