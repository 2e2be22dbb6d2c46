// Lists a collection as plain JSON, the same shape watch events have. client-node's typed list calls
// deserialize into its model classes, which rename fields (a NetworkPolicy rule's `from` becomes `_from`), so an
// informer fed by them would mix two shapes in one cache.
import http from "node:http";
import https from "node:https";
import type { KubeConfig, KubernetesListObject, KubernetesObject } from "@kubernetes/client-node";
import { z } from "zod";

const listSchema = z.object({
  metadata: z.object({ resourceVersion: z.string().optional() }).optional(),
  items: z.array(z.looseObject({ metadata: z.looseObject({ name: z.string() }) })),
});

const statusSchema = z.object({ message: z.string() });

/** GET `path` (e.g. /api/v1/pods) with the kubeconfig's credentials; rejects on any status but 200. */
export async function listJson<T extends KubernetesObject>(
  kc: KubeConfig,
  path: string,
): Promise<KubernetesListObject<T>> {
  const server = kc.getCurrentCluster()?.server;
  if (!server) throw new Error("the kubeconfig has no current cluster");
  const url = new URL(server + path);
  const options: https.RequestOptions = {};
  await kc.applyToHTTPSOptions(options);
  const body = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const request = (url.protocol === "https:" ? https : http).request(
      url,
      { ...options, method: "GET", headers: { ...options.headers, Accept: "application/json" } },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
        res.on("error", reject);
      },
    );
    request.on("error", reject);
    request.end();
  });
  const json: unknown = JSON.parse(body.text || "null");
  if (body.status !== 200) {
    const status = statusSchema.safeParse(json);
    throw new Error(`GET ${path}: HTTP ${body.status}${status.success ? `: ${status.data.message}` : ""}`);
  }
  const list = listSchema.parse(json);
  return { metadata: list.metadata ?? {}, items: list.items as unknown as T[] };
}
