// Every kind the API server serves, and lookups by URL segments or by a kubectl-style name.
import * as antrea from "./antrea.ts";
import { deployment, replicaSet } from "./apps.ts";
import { controlplaneKinds } from "./controlplane.ts";
import { lease } from "./coordination.ts";
import { configMap, endpoints, event, namespace, node, secret, serviceAccount } from "./core.ts";
import { endpointSlice } from "./discovery.ts";
import { networkPolicy } from "./networking.ts";
import { pod } from "./pod.ts";
import { service } from "./service.ts";
import { groupVersion, type ResourceDef, resourceKey } from "./types.ts";

export const BUILTIN_RESOURCES: readonly ResourceDef[] = [
  namespace,
  node,
  pod,
  service,
  endpoints,
  configMap,
  secret,
  serviceAccount,
  event,
  deployment,
  replicaSet,
  endpointSlice,
  lease,
  networkPolicy,
  antrea.clusterNetworkPolicy,
  antrea.antreaNetworkPolicy,
  antrea.tier,
  antrea.clusterGroup,
  antrea.group,
  antrea.egress,
  antrea.externalIPPool,
  antrea.traceflow,
  antrea.antreaAgentInfo,
  antrea.antreaControllerInfo,
  ...controlplaneKinds,
];

export interface GroupVersions {
  group: string;
  versions: string[];
}

export class ResourceRegistry {
  private readonly byGVR = new Map<string, ResourceDef>();
  private readonly byKey = new Map<string, ResourceDef>();

  constructor(readonly all: readonly ResourceDef[] = BUILTIN_RESOURCES) {
    for (const def of all) {
      this.byGVR.set(`${groupVersion(def)}/${def.plural}`, def);
      this.byKey.set(resourceKey(def), def);
    }
  }

  /** The kind served at /api/v1/<plural> or /apis/<group>/<version>/<plural>. */
  lookup(group: string, version: string, plural: string): ResourceDef | undefined {
    return this.byGVR.get(`${groupVersion({ group, version })}/${plural}`);
  }

  /** By storage key (`pods`, `deployments.apps`). */
  byResourceKey(key: string): ResourceDef | undefined {
    return this.byKey.get(key);
  }

  /**
   * Resolves what a user types: plural, singular, short name or kind, optionally `.group`-qualified
   * (`pods`, `po`, `Pod`, `networkpolicies.crd.antrea.io`). Core and built-in groups win over CRDs on ties.
   */
  resolve(name: string): ResourceDef | undefined {
    const exact = this.byKey.get(name);
    if (exact) return exact;
    const lower = name.toLowerCase();
    return this.all.find((d) => {
      const names = [d.plural, d.singular, d.kind.toLowerCase(), ...d.shortNames];
      return names.some((n) => n === lower || (d.group && `${n}.${d.group}` === lower));
    });
  }

  /** API groups in discovery order (core first), each with its versions. */
  groups(): GroupVersions[] {
    const out: GroupVersions[] = [];
    for (const def of this.all) {
      let g = out.find((x) => x.group === def.group);
      if (!g) {
        g = { group: def.group, versions: [] };
        out.push(g);
      }
      if (!g.versions.includes(def.version)) g.versions.push(def.version);
    }
    return out;
  }

  inGroupVersion(group: string, version: string): ResourceDef[] {
    return this.all.filter((d) => d.group === group && d.version === version);
  }
}
