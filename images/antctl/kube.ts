// The Kubernetes API as antctl in agent mode sees it: where Antrea's antctl asks its local agent, this one reads
// what the agent and controller publish (AntreaAgentInfo, the controlplane objects) and the Kubernetes objects.
// client-node is loaded on first use: it takes seconds to import, and the OVS commands do not need it.
import { networkInterfaces } from "node:os";
import type { CoreV1Api, CustomObjectsApi, KubeConfig } from "@kubernetes/client-node";
import { AntctlError, notFound } from "./errors.ts";

export interface ApiClients {
  core: CoreV1Api;
  custom: CustomObjectsApi;
}

export class Kube {
  private apis?: Promise<ApiClients>;
  private node?: Promise<string>;

  /** `kubeconfig` is a file; without one, the usual places (KUBECONFIG, ~/.kube/config, in-cluster). */
  constructor(
    private readonly kubeconfig: string | undefined,
    private readonly nodeName: string | undefined,
  ) {}

  clients(): Promise<ApiClients> {
    this.apis ??= import("@kubernetes/client-node").then((k) => {
      const kc: KubeConfig = new k.KubeConfig();
      if (this.kubeconfig) kc.loadFromFile(this.kubeconfig);
      else kc.loadFromDefault();
      return { core: kc.makeApiClient(k.CoreV1Api), custom: kc.makeApiClient(k.CustomObjectsApi) };
    });
    return this.apis;
  }

  /**
   * The Node this antctl serves: the one it was given, else the Node one of whose addresses is an address of this
   * network namespace (antctl runs inside the node).
   */
  localNode(): Promise<string> {
    this.node ??= this.nodeName ? Promise.resolve(this.nodeName) : this.findLocalNode();
    return this.node;
  }

  private async findLocalNode(): Promise<string> {
    const local = new Set(
      Object.values(networkInterfaces())
        .flat()
        .map((a) => a?.address),
    );
    const nodes = await (await this.clients()).core.listNode();
    const node = nodes.items.find((n) => n.status?.addresses?.some((a) => local.has(a.address)));
    if (!node?.metadata?.name) {
      throw new AntctlError(
        "cannot tell which Node this is: no Node has an address of this host (set NODE_NAME)",
      );
    }
    return node.metadata.name;
  }
}

/** The HTTP status and message of a failed API call (client-node's ApiException), if it is one. */
export function apiFailure(err: unknown): { code: number; message: string } | undefined {
  if (!(err instanceof Error) || !("code" in err) || typeof err.code !== "number" || !("body" in err)) {
    return undefined;
  }
  const body: unknown = err.body;
  let parsed: unknown = body;
  if (typeof body === "string") {
    try {
      parsed = JSON.parse(body);
    } catch {
      // plain text: shown as it is
    }
  }
  const message =
    typeof parsed === "object" && parsed !== null && "message" in parsed
      ? String(parsed.message)
      : String(body);
  return { code: err.code, message };
}

/** Runs an API call; a 404 becomes antctl's NotFound error. */
export async function orNotFound<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (err) {
    if (apiFailure(err)?.code === 404) throw notFound();
    throw err;
  }
}
