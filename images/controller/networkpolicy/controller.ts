// The NetworkPolicy controller: watches the policy sources (K8s NetworkPolicies, ACNPs, ANNPs), what they
// depend on (Tiers, ClusterGroups, Groups, Pods, Namespaces, Nodes) and the controlplane objects it publishes.
// Watch events only record what changed; a sync (batched, one at a time) applies the changes to the policy
// state, publishes the objects that differ and then the realization status.
import type { KubeConfig, V1Namespace, V1NetworkPolicy, V1Node, V1Pod } from "@kubernetes/client-node";
import { CONTROLPLANE_GROUP, CONTROLPLANE_RESOURCES, CONTROLPLANE_VERSION } from "../../api/controlplane.ts";
import {
  antreaPolicySpecSchema,
  CRD_GROUP,
  CRD_RESOURCES,
  CRD_VERSION,
  DEFAULT_TIER_PRIORITY,
  groupSpecSchema,
  STATIC_TIERS,
  tierSpecSchema,
} from "../../api/crd-policy.ts";
import { type ApiObject, type CustomObjects, describeApiError } from "../kube/custom-objects.ts";
import { type ChangeType, createInformer, type Informer } from "../kube/informer.ts";
import { listJson } from "../kube/list.ts";
import { errorMessage, type Logger } from "../log.ts";
import { computeAntreaPolicy } from "./antrea-policy.ts";
import { computeK8sPolicy, k8sNetworkPolicySchema } from "./k8s-policy.ts";
import type { ComputedPolicy, PolicyKey } from "./policy-model.ts";
import { type ClusterView, PolicyState } from "./policy-state.ts";
import { StatusWriter } from "./status-writer.ts";
import { type ControlplaneResource, ControlplaneWriter } from "./writer.ts";

/** Changes arriving within this window are handled by one sync. */
const BATCH_MS = 10;

export interface NetworkPolicyController {
  stop(): Promise<void>;
}

interface Informers {
  pods: Informer<V1Pod>;
  namespaces: Informer<V1Namespace>;
  nodes: Informer<V1Node>;
  k8sPolicies: Informer<V1NetworkPolicy>;
  clusterPolicies: Informer<ApiObject>;
  antreaPolicies: Informer<ApiObject>;
  tiers: Informer<ApiObject>;
  clusterGroups: Informer<ApiObject>;
  groups: Informer<ApiObject>;
  publishedPolicies: Informer<ApiObject>;
  addressGroups: Informer<ApiObject>;
  appliedToGroups: Informer<ApiObject>;
}

function sourceObject(inf: Informers, key: PolicyKey): ApiObject | undefined {
  switch (key.type) {
    case "K8sNetworkPolicy":
      return inf.k8sPolicies.get(key.name, key.namespace) as ApiObject | undefined;
    case "AntreaClusterNetworkPolicy":
      return inf.clusterPolicies.get(key.name);
    case "AntreaNetworkPolicy":
      return inf.antreaPolicies.get(key.name, key.namespace);
  }
}

function clusterView(inf: Informers, log: Logger): ClusterView {
  const view: ClusterView = {
    tierPriority: (tier) => {
      if (!tier) return DEFAULT_TIER_PRIORITY;
      const fixed = STATIC_TIERS.find((t) => t.name === tier.toLowerCase());
      const name = fixed ? fixed.name : tier;
      const spec = tierSpecSchema.safeParse(inf.tiers.get(name)?.spec);
      return spec.success ? spec.data.priority : (fixed?.priority ?? DEFAULT_TIER_PRIORITY);
    },
    groupSpec: (namespace, name) => {
      const o = namespace ? inf.groups.get(name, namespace) : inf.clusterGroups.get(name);
      const spec = o ? groupSpecSchema.safeParse(o.spec) : undefined;
      return spec?.success ? spec.data : undefined;
    },
    namespaceAnnotations: (name) => inf.namespaces.get(name)?.metadata?.annotations,
    computePolicy: (key) => {
      const o = sourceObject(inf, key);
      if (!o) return undefined;
      let computed: ComputedPolicy | undefined;
      if (key.type === "K8sNetworkPolicy") {
        const np = k8sNetworkPolicySchema.safeParse(o);
        if (np.success) computed = computeK8sPolicy(np.data, view);
        else log.warn(`ignoring unreadable NetworkPolicy ${key.namespace}/${key.name}: ${np.error.message}`);
      } else {
        const spec = antreaPolicySpecSchema.safeParse(o.spec);
        const { name = "", uid = "" } = o.metadata ?? {};
        if (spec.success)
          computed = computeAntreaPolicy({ namespace: key.namespace, name, uid, spec: spec.data }, view);
        else log.warn(`ignoring unreadable ${key.type} ${key.name}: ${spec.error.message}`);
      }
      return computed;
    },
    pods: () => inf.pods.list(),
    pod: (namespace, name) => inf.pods.get(name, namespace),
    namespace: (name) => inf.namespaces.get(name),
    nodes: () => inf.nodes.list(),
  };
  return view;
}

export async function startNetworkPolicyController(deps: {
  kc: KubeConfig;
  objects: CustomObjects;
  log: Logger;
}): Promise<NetworkPolicyController> {
  const { kc, objects, log } = deps;
  const writer = new ControlplaneWriter(objects, log);

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let again = false;
  let failures = 0;

  const all: Informer<ApiObject | V1Pod | V1Namespace | V1Node | V1NetworkPolicy>[] = [];

  const schedule = (delay = BATCH_MS) => {
    if (stopped) return;
    if (running) again = true;
    else timer ??= setTimeout(runSync, delay);
  };
  const runSync = () => {
    timer = undefined;
    running = sync()
      .catch((err: unknown) => {
        log.error(`sync failed: ${errorMessage(err)}`);
        return false;
      })
      .then((ok) => {
        running = undefined;
        failures = ok ? 0 : failures + 1;
        if (!ok) schedule(Math.min(500 * 2 ** (failures - 1), 10_000));
        else if (again) schedule();
        again = false;
      });
  };
  const sync = async (): Promise<boolean> => {
    if (!all.every((i) => i.synced())) return true;
    const desired = state.compute();
    const published = await writer.sync(desired);
    return (await status.sync(desired)) && published;
  };

  const informer = <T extends ApiObject | V1Pod | V1Namespace | V1Node | V1NetworkPolicy>(
    path: string,
    onChange: (type: ChangeType, o: T) => void,
  ): Informer<T> => {
    const i = createInformer<T>({
      kc,
      path,
      list: () => listJson<T>(kc, path),
      onChange: (type, o) => {
        onChange(type, o);
        schedule();
      },
      onSynced: () => schedule(),
      log,
    });
    all.push(i);
    return i;
  };
  const crdPath = (plural: string) => `/apis/${CRD_GROUP}/${CRD_VERSION}/${plural}`;
  const published = (resource: ControlplaneResource) =>
    informer<ApiObject>(`/apis/${CONTROLPLANE_GROUP}/${CONTROLPLANE_VERSION}/${resource}`, (type, o) =>
      writer.observe(resource, type, o),
    );
  const nameOf = (o: { metadata?: { name?: string; namespace?: string } }) => ({
    name: o.metadata?.name ?? "",
    namespace: o.metadata?.namespace,
  });
  const allAntreaPoliciesChanged = () => {
    for (const o of inf.clusterPolicies.list())
      state.policyChanged({ type: "AntreaClusterNetworkPolicy", ...nameOf(o) });
    for (const o of inf.antreaPolicies.list())
      state.policyChanged({ type: "AntreaNetworkPolicy", ...nameOf(o) });
  };

  const inf: Informers = {
    pods: informer<V1Pod>("/api/v1/pods", (_t, p) =>
      state.podChanged(p.metadata?.namespace ?? "", p.metadata?.name ?? ""),
    ),
    namespaces: informer<V1Namespace>("/api/v1/namespaces", (_t, ns) => {
      state.namespaceChanged();
      // The Namespace's logging annotation is part of its K8s NetworkPolicies.
      for (const np of inf.k8sPolicies.list()) {
        if (np.metadata?.namespace === ns.metadata?.name)
          state.policyChanged({ type: "K8sNetworkPolicy", ...nameOf(np) });
      }
    }),
    nodes: informer<V1Node>("/api/v1/nodes", () => state.nodeChanged()),
    k8sPolicies: informer<V1NetworkPolicy>("/apis/networking.k8s.io/v1/networkpolicies", (_t, np) =>
      state.policyChanged({ type: "K8sNetworkPolicy", ...nameOf(np) }),
    ),
    clusterPolicies: informer(crdPath(CRD_RESOURCES.clusterNetworkPolicy), (_t, o) =>
      state.policyChanged({ type: "AntreaClusterNetworkPolicy", name: nameOf(o).name }),
    ),
    antreaPolicies: informer(crdPath(CRD_RESOURCES.networkPolicy), (_t, o) =>
      state.policyChanged({ type: "AntreaNetworkPolicy", ...nameOf(o) }),
    ),
    tiers: informer(crdPath(CRD_RESOURCES.tier), allAntreaPoliciesChanged),
    clusterGroups: informer(crdPath(CRD_RESOURCES.clusterGroup), () => {
      state.groupRefsChanged();
      allAntreaPoliciesChanged();
    }),
    groups: informer(crdPath(CRD_RESOURCES.group), () => {
      state.groupRefsChanged();
      allAntreaPoliciesChanged();
    }),
    publishedPolicies: published(CONTROLPLANE_RESOURCES.networkPolicy),
    addressGroups: published(CONTROLPLANE_RESOURCES.addressGroup),
    appliedToGroups: published(CONTROLPLANE_RESOURCES.appliedToGroup),
  };
  // The informers' callbacks use these; they run only once the informers are started below.
  const state = new PolicyState(clusterView(inf, log), log);
  const status = new StatusWriter(objects, writer, (key) => sourceObject(inf, key), log);

  await Promise.all(
    all.map((i) => i.start().catch((err: unknown) => log.warn(`watch start: ${describeApiError(err)}`))),
  );
  log.info("networkpolicy controller started");

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
      await Promise.all(all.map((i) => i.stop()));
      log.info("networkpolicy controller stopped");
    },
  };
}
