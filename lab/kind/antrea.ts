// Antrea on a kind lab: the manifest (a pinned release or a local file), patched so that the features the
// scenarios exercise are on whatever the release defaults are, then applied and awaited the way Antrea's own e2e
// framework does it (rollout status of deploy/antrea-controller and ds/antrea-agent).
import { readFile } from "node:fs/promises";
import { type Document, isMap, isSeq, parseAllDocuments, parseDocument } from "yaml";
import type { KubectlCli } from "./kubectl-cli.ts";

export const ANTREA_VERSION = "v2.2.0";
export const ANTREA_RELEASE_MANIFEST = `https://github.com/antrea-io/antrea/releases/download/${ANTREA_VERSION}/antrea.yml`;

export const ANTREA_NAMESPACE = "kube-system";
export const AGENT_POD_LABELS = "app=antrea,component=antrea-agent";
/** Containers of an antrea-agent Pod (Antrea's e2e framework runs OVS tools in antrea-ovs, antctl in antrea-agent). */
export const AGENT_CONTAINER = "antrea-agent";
export const OVS_CONTAINER = "antrea-ovs";
/** Antrea's default NodePortLocal range on Linux. */
export const NPL_PORT_RANGE = "61000-62000";

const CONFIG_MAP = "antrea-config";
const AGENT_GATES = ["AntreaPolicy", "Egress", "Traceflow", "NodePortLocal"];
const CONTROLLER_GATES = ["AntreaPolicy", "Egress", "Traceflow"];
const YAML_OUT = { lineWidth: 0 } as const;

export interface AntreaPatch {
  tunnel: "vxlan" | "geneve";
  nplPortRange?: string;
  /** Images loaded into the nodes with `kind load`: their containers get imagePullPolicy IfNotPresent. */
  loadedImages?: readonly string[];
}

/** The manifest text from an http(s) URL or a file. */
export async function loadManifest(source: string, signal?: AbortSignal): Promise<string> {
  if (!/^https?:\/\//.test(source)) {
    return readFile(source, "utf8").catch((err: NodeJS.ErrnoException) => {
      throw new Error(`cannot read Antrea manifest ${source}: ${err.message}`);
    });
  }
  const res = await fetch(source, { signal: signal ?? AbortSignal.timeout(120_000) }).catch((err: Error) => {
    throw new Error(`cannot download Antrea manifest ${source}: ${err.message}`);
  });
  if (!res.ok)
    throw new Error(`cannot download Antrea manifest ${source}: HTTP ${res.status} ${res.statusText}`);
  return res.text();
}

/**
 * Turns on the agent and controller feature gates and NodePortLocal in ConfigMap antrea-config, sets the tunnel
 * type, and keeps kind-loaded images from being pulled. Comments and everything else are kept as they are.
 */
export function patchAntreaManifest(text: string, patch: AntreaPatch): string {
  const docs = parseAllDocuments(text);
  if (!Array.isArray(docs)) throw new Error("the Antrea manifest is empty");
  const bad = docs.find((d) => d.errors.length);
  if (bad) throw new Error(`the Antrea manifest is not valid YAML: ${bad.errors[0]?.message}`);

  const find = (kind: string, name: string) =>
    docs.find((d) => d.get("kind") === kind && d.getIn(["metadata", "name"]) === name);
  const missing = [
    ["ConfigMap", CONFIG_MAP],
    ["Deployment", "antrea-controller"],
    ["DaemonSet", "antrea-agent"],
  ].filter(([kind, name]) => !find(kind!, name!));
  if (missing.length) {
    throw new Error(
      `the Antrea manifest has no ${missing.map(([k, n]) => `${k} ${n}`).join(", ")}: is it an Antrea v2 antrea.yml?`,
    );
  }

  const configMap = find("ConfigMap", CONFIG_MAP)!;
  patchConf(configMap, "antrea-agent.conf", (conf) => {
    setGates(conf, AGENT_GATES);
    ensureMap(conf, "nodePortLocal");
    conf.setIn(["nodePortLocal", "enable"], true);
    conf.setIn(["nodePortLocal", "portRange"], patch.nplPortRange ?? NPL_PORT_RANGE);
    conf.set("tunnelType", patch.tunnel);
  });
  patchConf(configMap, "antrea-controller.conf", (conf) => setGates(conf, CONTROLLER_GATES));

  const loaded = new Set(patch.loadedImages ?? []);
  if (loaded.size) {
    for (const doc of docs) {
      for (const field of ["containers", "initContainers"]) {
        const list = doc.getIn(["spec", "template", "spec", field]);
        if (!isSeq(list)) continue;
        for (const c of list.items) {
          if (isMap(c) && loaded.has(String(c.get("image")))) c.set("imagePullPolicy", "IfNotPresent");
        }
      }
    }
  }
  return docs
    .map((d, i) => {
      const s = d.toString(YAML_OUT);
      return i > 0 && !s.startsWith("---") ? `---\n${s}` : s;
    })
    .join("");
}

function patchConf(configMap: Document, key: string, edit: (conf: Document) => void): void {
  const text = configMap.getIn(["data", key]);
  if (typeof text !== "string")
    throw new Error(`ConfigMap ${CONFIG_MAP} of the Antrea manifest has no ${key}`);
  const conf = parseDocument(text);
  if (conf.errors.length)
    throw new Error(`${key} in the Antrea manifest is not valid YAML: ${conf.errors[0]?.message}`);
  // An empty document (all comments) is fine: set() creates the map.
  if (conf.contents !== null && !isMap(conf.contents))
    throw new Error(`${key} in the Antrea manifest is not a map`);
  edit(conf);
  configMap.setIn(["data", key], conf.toString(YAML_OUT));
}

function setGates(conf: Document, gates: readonly string[]): void {
  ensureMap(conf, "featureGates");
  for (const gate of gates) conf.setIn(["featureGates", gate], true);
}

/** In the rendered chart a section whose entries are all comments (`featureGates:`) holds null, not a map. */
function ensureMap(conf: Document, key: string): void {
  if (!isMap(conf.get(key, true))) conf.set(key, conf.createNode({}));
}

/** `kubectl apply`, then wait for the controller Deployment and the agent DaemonSet to roll out. */
export async function deployAntrea(
  kubectl: KubectlCli,
  manifestFile: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  await kubectl.apply(manifestFile, signal);
  await kubectl.rolloutStatus(ANTREA_NAMESPACE, "deploy/antrea-controller", timeoutMs, signal);
  await kubectl.rolloutStatus(ANTREA_NAMESPACE, "ds/antrea-agent", timeoutMs, signal);
}
