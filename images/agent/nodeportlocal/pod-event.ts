// Kubernetes Events about a Pod from the agent (`kubectl describe pod` and `kubectl get events` show them).
import type { CoreV1Api, V1Pod } from "@kubernetes/client-node";

export async function postPodEvent(
  core: CoreV1Api,
  pod: V1Pod,
  event: { nodeName: string; type: "Normal" | "Warning"; reason: string; message: string },
): Promise<void> {
  const namespace = pod.metadata?.namespace ?? "default";
  const name = pod.metadata?.name ?? "";
  const now = new Date();
  await core.createNamespacedEvent({
    namespace,
    body: {
      metadata: {
        name: `${name}.${now.getTime().toString(16)}${Math.random().toString(16).slice(2, 6)}`,
        namespace,
      },
      involvedObject: {
        apiVersion: "v1",
        kind: "Pod",
        namespace,
        name,
        ...(pod.metadata?.uid ? { uid: pod.metadata.uid } : {}),
      },
      reason: event.reason,
      message: event.message,
      type: event.type,
      source: { component: "antrea-agent", host: event.nodeName },
      reportingComponent: "antrea-agent",
      reportingInstance: event.nodeName,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1,
    },
  });
}
