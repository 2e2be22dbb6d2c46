// Renders the kubeconfig a lab hands to kubectl and client-node: one cluster (CA embedded), one token user.
import { stringify } from "yaml";

export interface KubeconfigOptions {
  /** `https://HOST:PORT`. */
  server: string;
  caCertPem: string;
  token: string;
  /** Cluster and context name; default `ovslab`. */
  name?: string;
  /** Default namespace of the context. */
  namespace?: string;
}

export function renderKubeconfig(opts: KubeconfigOptions): string {
  const name = opts.name ?? "ovslab";
  const user = `${name}-admin`;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      {
        name,
        cluster: {
          server: opts.server,
          "certificate-authority-data": Buffer.from(opts.caCertPem).toString("base64"),
        },
      },
    ],
    users: [{ name: user, user: { token: opts.token } }],
    contexts: [
      {
        name,
        context: { cluster: name, user, ...(opts.namespace ? { namespace: opts.namespace } : {}) },
      },
    ],
    "current-context": name,
    preferences: {},
  });
}
