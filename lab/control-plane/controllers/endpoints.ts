// Service -> Endpoints and EndpointSlice: the addresses of the Pods a Service selects, with named target ports
// resolved per Pod, ready and not-ready Pods kept apart (what kube-proxy/AntreaProxy and kubectl read).
import { deepEqual } from "../object.ts";
import type { ControllerContext, ControllerSpec } from "./controller.ts";
import { keyOf, splitKey } from "./controller.ts";
import { isPodReady, type Pod, type Service, type ServicePort } from "./types.ts";

const MANAGED_BY = "endpointslice-controller.k8s.io";

function targetPortOf(pod: Pod, sp: ServicePort): number | undefined {
  const t = sp.targetPort ?? sp.port;
  if (typeof t === "number") return t;
  if (/^\d+$/.test(t)) return Number(t);
  for (const c of pod.spec?.containers ?? []) {
    const match = (c.ports ?? []).find(
      (p) => p.name === t && (p.protocol ?? "TCP") === (sp.protocol ?? "TCP"),
    );
    if (match) return match.containerPort;
  }
  return undefined;
}

export function endpointsController(ctx: ControllerContext): ControllerSpec {
  const services = ctx.api.client<Service>("services");
  const pods = ctx.api.client<Pod>("pods");
  const endpoints = ctx.api.client("endpoints");
  const slices = ctx.api.client("endpointslices");
  return {
    name: "endpoints",
    watches: [
      { resource: "services", keys: (o, type) => (type === "DELETED" ? [] : [keyOf(o)]) },
      {
        resource: "pods",
        keys: (p) =>
          services
            .list({ namespace: p.metadata.namespace })
            .filter((s) => s.spec?.selector)
            .map(keyOf),
      },
    ],
    reconcile(key) {
      const { namespace, name } = splitKey(key);
      const svc = services.find(name, namespace);
      const selector = svc?.spec?.selector;
      if (!svc || !selector || svc.metadata.deletionTimestamp) return;
      const labelSelector = Object.entries(selector)
        .map(([k, v]) => `${k}=${v}`)
        .join(",");
      const selected = pods
        .list({ namespace, labelSelector })
        .filter((p) => p.status?.podIP && !["Succeeded", "Failed"].includes(p.status?.phase ?? ""));
      const ports = svc.spec?.ports ?? [];

      // Pods whose named ports resolve to the same numbers share a subset (and a slice).
      const groups = new Map<
        string,
        { ports: { name?: string; port: number; protocol: string }[]; pods: Pod[] }
      >();
      for (const pod of selected) {
        const resolved = ports.map((sp) => ({
          ...(sp.name ? { name: sp.name } : {}),
          port: targetPortOf(pod, sp),
          protocol: sp.protocol ?? "TCP",
        }));
        if (resolved.some((r) => r.port === undefined)) continue;
        const gk = JSON.stringify(resolved);
        const g = groups.get(gk) ?? {
          ports: resolved as { name?: string; port: number; protocol: string }[],
          pods: [],
        };
        g.pods.push(pod);
        groups.set(gk, g);
      }
      const sorted = (ps: Pod[]) =>
        [...ps].sort((a, b) => (a.status?.podIP ?? "").localeCompare(b.status?.podIP ?? ""));
      const address = (p: Pod) => ({
        ip: p.status?.podIP ?? "",
        ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
        targetRef: { kind: "Pod", namespace, name: p.metadata.name, uid: p.metadata.uid },
      });
      const subsets = [...groups.values()].map((g) => {
        const ready = sorted(g.pods.filter((p) => isPodReady(p) && !p.metadata.deletionTimestamp));
        const notReady = sorted(g.pods.filter((p) => !isPodReady(p) || p.metadata.deletionTimestamp));
        return {
          ...(ready.length ? { addresses: ready.map(address) } : {}),
          ...(notReady.length ? { notReadyAddresses: notReady.map(address) } : {}),
          ports: g.ports,
        };
      });
      const labels = { ...svc.metadata.labels };
      const existing = endpoints.find(name, namespace);
      const ep = { apiVersion: "v1", kind: "Endpoints", metadata: { name, namespace, labels }, subsets };
      if (!existing) endpoints.create(ep);
      else if (
        !deepEqual(existing.subsets ?? [], subsets) ||
        !deepEqual(existing.metadata.labels ?? {}, labels)
      ) {
        endpoints.update({ ...existing, subsets, metadata: { ...existing.metadata, labels } });
      }

      const owner = {
        apiVersion: "v1",
        kind: "Service",
        name,
        uid: svc.metadata.uid ?? "",
        controller: true,
        blockOwnerDeletion: true,
      };
      const wanted = [...groups.values()].map((g, i) => ({
        apiVersion: "discovery.k8s.io/v1",
        kind: "EndpointSlice",
        metadata: {
          name: `${name}-${i === 0 ? "main" : `p${i}`}`,
          namespace,
          labels: {
            ...labels,
            "kubernetes.io/service-name": name,
            "endpointslice.kubernetes.io/managed-by": MANAGED_BY,
          },
          ownerReferences: [owner],
        },
        addressType: "IPv4",
        endpoints: sorted(g.pods).map((p) => ({
          addresses: [p.status?.podIP ?? ""],
          conditions: {
            ready: isPodReady(p) && !p.metadata.deletionTimestamp,
            serving: isPodReady(p),
            terminating: Boolean(p.metadata.deletionTimestamp),
          },
          ...(p.spec?.nodeName ? { nodeName: p.spec.nodeName } : {}),
          targetRef: { kind: "Pod", namespace, name: p.metadata.name, uid: p.metadata.uid },
        })),
        ports: g.ports,
      }));
      const current = slices.list({ namespace, labelSelector: `kubernetes.io/service-name=${name}` });
      for (const w of wanted) {
        const have = current.find((c) => c.metadata.name === w.metadata.name);
        if (!have) slices.create(w);
        else if (!deepEqual(have.endpoints, w.endpoints) || !deepEqual(have.ports, w.ports)) {
          slices.update({ ...have, endpoints: w.endpoints, ports: w.ports });
        }
      }
      for (const c of current) {
        if (!wanted.some((w) => w.metadata.name === c.metadata.name))
          slices.delete(c.metadata.name ?? "", namespace);
      }
    },
  };
}
