// Which Pod has an IP (Antrea's podIPs index): the Pods with that IP among status.podIPs (or status.podIP),
// except Pods that have terminated, whose addresses may already belong to another Pod.
import { z } from "zod";

const podSchema = z.object({
  metadata: z.object({ name: z.string(), namespace: z.string().optional() }),
  status: z
    .object({
      phase: z.string().optional(),
      podIP: z.string().optional(),
      podIPs: z.array(z.object({ ip: z.string() })).optional(),
    })
    .optional(),
});

/** `ns/name` of a live Pod among `pods` (API objects) that has `ip`, if any. */
export function podNameByIP(pods: readonly unknown[], ip: string): string | undefined {
  for (const o of pods) {
    const pod = podSchema.safeParse(o).data;
    if (!pod?.status || pod.status.phase === "Succeeded" || pod.status.phase === "Failed") continue;
    const ips = pod.status.podIPs?.map((p) => p.ip) ?? (pod.status.podIP ? [pod.status.podIP] : []);
    if (ips.includes(ip)) return `${pod.metadata.namespace ?? "default"}/${pod.metadata.name}`;
  }
  return undefined;
}
