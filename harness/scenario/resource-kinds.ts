// Resource kinds that wait and delete steps name in short form (`pod/web-0`, `deploy/x/web`, `acnp/deny-all`),
// with kubectl's names and short names. Antrea's namespaced NetworkPolicy is `anp` (kubectl's `networkpolicy`
// is the Kubernetes one), as in antctl and Antrea's docs.
export interface ResourceKind {
  apiVersion: string;
  kind: string;
  namespaced: boolean;
  /** Antrea-native policies report realization in status (phase Realized, nodes realized). */
  realizationStatus?: true;
}

const KINDS: readonly [readonly string[], ResourceKind][] = [
  [["pod", "pods", "po"], { apiVersion: "v1", kind: "Pod", namespaced: true }],
  [["service", "services", "svc"], { apiVersion: "v1", kind: "Service", namespaced: true }],
  [["endpoints", "ep"], { apiVersion: "v1", kind: "Endpoints", namespaced: true }],
  [["configmap", "configmaps", "cm"], { apiVersion: "v1", kind: "ConfigMap", namespaced: true }],
  [["namespace", "namespaces", "ns"], { apiVersion: "v1", kind: "Namespace", namespaced: false }],
  [["node", "nodes", "no"], { apiVersion: "v1", kind: "Node", namespaced: false }],
  [["deployment", "deployments", "deploy"], { apiVersion: "apps/v1", kind: "Deployment", namespaced: true }],
  [["replicaset", "replicasets", "rs"], { apiVersion: "apps/v1", kind: "ReplicaSet", namespaced: true }],
  [
    ["endpointslice", "endpointslices"],
    { apiVersion: "discovery.k8s.io/v1", kind: "EndpointSlice", namespaced: true },
  ],
  [
    ["networkpolicy", "networkpolicies", "netpol"],
    { apiVersion: "networking.k8s.io/v1", kind: "NetworkPolicy", namespaced: true },
  ],
  [
    ["clusternetworkpolicy", "clusternetworkpolicies", "acnp"],
    {
      apiVersion: "crd.antrea.io/v1beta1",
      kind: "ClusterNetworkPolicy",
      namespaced: false,
      realizationStatus: true,
    },
  ],
  [
    ["antreanetworkpolicy", "antreanetworkpolicies", "anp", "annp"],
    { apiVersion: "crd.antrea.io/v1beta1", kind: "NetworkPolicy", namespaced: true, realizationStatus: true },
  ],
  [["tier", "tiers"], { apiVersion: "crd.antrea.io/v1beta1", kind: "Tier", namespaced: false }],
  [
    ["clustergroup", "clustergroups", "cg"],
    { apiVersion: "crd.antrea.io/v1beta1", kind: "ClusterGroup", namespaced: false },
  ],
  [["group", "groups", "grp"], { apiVersion: "crd.antrea.io/v1beta1", kind: "Group", namespaced: true }],
  [["egress", "egresses", "eg"], { apiVersion: "crd.antrea.io/v1beta1", kind: "Egress", namespaced: false }],
  [
    ["externalippool", "externalippools", "eip"],
    { apiVersion: "crd.antrea.io/v1beta1", kind: "ExternalIPPool", namespaced: false },
  ],
  [
    ["traceflow", "traceflows", "tf"],
    { apiVersion: "crd.antrea.io/v1beta1", kind: "Traceflow", namespaced: false },
  ],
];

const BY_NAME = new Map(KINDS.flatMap(([names, kind]) => names.map((n) => [n, kind] as const)));

export const RESOURCE_KIND_NAMES: readonly string[] = KINDS.map(([names]) => names[0]!);

export interface ResourceRef {
  type: ResourceKind;
  /** As written: the scenario's namespace name (or a real namespace outside the scenario). */
  namespace?: string;
  name?: string;
}

/** Parses KIND, KIND/NAME or KIND/NS/NAME (namespaced kinds only); returns an error message when malformed. */
export function parseResourceRef(text: string): ResourceRef | string {
  const [kindName = "", ...rest] = text.split("/");
  const type = BY_NAME.get(kindName.toLowerCase());
  if (!type) return `unknown resource kind "${kindName}" (known: ${RESOURCE_KIND_NAMES.join(", ")})`;
  if (rest.some((p) => p === "")) return `"${text}" has an empty part`;
  if (rest.length === 0) return { type };
  if (rest.length === 1) return { type, name: rest[0]! };
  if (rest.length === 2 && type.namespaced) return { type, namespace: rest[0]!, name: rest[1]! };
  return type.namespaced
    ? `"${text}" is not KIND, KIND/NAME or KIND/NAMESPACE/NAME`
    : `${type.kind} is cluster-scoped: write ${kindName}/NAME`;
}
