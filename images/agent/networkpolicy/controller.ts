// The agent's NetworkPolicy controller (Antrea's pkg/agent/controller/networkpolicy): watches the controlplane
// NetworkPolicies, AddressGroups and AppliedToGroups, keeps the policies whose span contains this Node, turns them
// into flows over the Pods this Node has (rules.ts, policy-flows.ts), hands OVS only the flows that changed, and
// reports each policy's generation as realized once its flows are in. Level-triggered: any watch event, or a
// change of the local Pods (CNI ADD/DEL, ofports after an ovs-vswitchd restart), recomputes everything, which is
// cheap at lab scale; the OVS side stays incremental. Reject rules are answered by a RejectResponder fed by a
// packet-in monitor.
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  type AddressGroup,
  type AppliedToGroup,
  addressGroupSchema,
  appliedToGroupSchema,
  type ControlplaneNetworkPolicy,
  controlplaneNetworkPolicySchema,
} from "../../api/controlplane.ts";
import type { OvsTools } from "../../common/ovs.ts";
import type { LocalNode } from "../flows/local-node.ts";
import type { InterfaceStore } from "../interface-store.ts";
import type { Logger } from "../log.ts";
import type { Flow } from "../openflow/flow.ts";
import type { FlowInstaller } from "../openflow/flow-installer.ts";
import type { PacketInMonitor } from "../openflow/packet-in-monitor.ts";
import { SyncLoop } from "../sync-loop.ts";
import { ConjIdAllocator } from "./conj-id-allocator.ts";
import { type ControlplaneList, watchControlplane } from "./controlplane-watch.ts";
import { OwnedFlows } from "./owned-flows.ts";
import { policyFlows } from "./policy-flows.ts";
import { RealizationReporter } from "./realization-reporter.ts";
import { RejectResponder } from "./reject-responder.ts";
import { compilePolicies, type LocalPod, type RuleRef } from "./rules.ts";

/** How often the interface store is compared with what the last sync saw. */
const LOCAL_PODS_CHECK_MS = 500;

export interface NetworkPolicyControllerOptions {
  kc: KubeConfig;
  nodeName: string;
  node: LocalNode;
  ovs: OvsTools;
  flows: FlowInstaller;
  store: InterfaceStore;
  /** Where the packet-ins of Reject rules arrive. */
  packetIns: PacketInMonitor;
  log: Logger;
}

export interface NetworkPolicyController {
  /** The policy rule behind a conj_id (reg3/reg5/reg6 of a packet-in), as of the last sync. */
  ruleByConjId(id: number): RuleRef | undefined;
  /** The policy flows as of the last sync (Traceflow copies their drops). */
  flows(): readonly Flow[];
  /** Stops watching and answering rejects; the flows stay in OVS, as with Antrea's agent. */
  stop(): Promise<void>;
}

function localPods(store: InterfaceStore): LocalPod[] {
  return store
    .list()
    .filter((i) => i.ofport > 0)
    .map((i) => ({ namespace: i.podNamespace, name: i.podName, ip: i.ip, ofport: i.ofport }));
}

const podsFingerprint = (pods: readonly LocalPod[]) =>
  pods
    .map((p) => `${p.namespace}/${p.name}/${p.ip}/${p.ofport}`)
    .sort()
    .join(" ");

/** Starts watching; resolves after the first lists are loaded and the first sync is done. */
export async function startNetworkPolicyController(
  opts: NetworkPolicyControllerOptions,
): Promise<NetworkPolicyController> {
  const { kc, nodeName, node, store, log } = opts;
  const custom = kc.makeApiClient(CustomObjectsApi);
  const pipeline = node.pipeline;
  const antreaPolicy = pipeline.has("AntreaPolicyIngressRule");
  const allocator = new ConjIdAllocator();
  const owned = new OwnedFlows(opts.flows);
  const reporter = new RealizationReporter(custom, nodeName);
  const stops: (() => Promise<void>)[] = [];

  // Reject rules exist only with the AntreaPolicy tables.
  if (antreaPolicy) {
    const responder = new RejectResponder({ node, ovs: opts.ovs, bridge: opts.flows.bridge, store, log });
    const unsubscribe = opts.packetIns.subscribe((p) => responder.handle(p));
    stops.push(async () => unsubscribe());
  }
  let rulesByConjId = new Map<number, RuleRef>();
  let currentFlows: readonly Flow[] = [];

  let policies: ControlplaneList<ControlplaneNetworkPolicy> | undefined;
  let addressGroups: ControlplaneList<AddressGroup> | undefined;
  let appliedToGroups: ControlplaneList<AppliedToGroup> | undefined;
  let lastPods = "";
  let lastSummary = "";
  const sync = async () => {
    if (!policies || !addressGroups || !appliedToGroups) return;
    const pods = localPods(store);
    lastPods = podsFingerprint(pods);
    const mine = policies.list().filter((p) => p.span.includes(nodeName));
    const compiled = compilePolicies({
      policies: mine,
      addressGroups: new Map(addressGroups.list().map((g) => [g.metadata.name, g.groupMembers])),
      appliedToGroups: new Map(appliedToGroups.list().map((g) => [g.metadata.name, g.groupMembers])),
      localPods: pods,
      antreaPolicy,
    });
    allocator.retain(new Set(compiled.conjunctions.map((c) => c.key)));
    const flows = policyFlows(pipeline, compiled, (c) => allocator.get(c.key));
    const changed = await owned.apply(flows);
    rulesByConjId = new Map(compiled.conjunctions.map((c) => [allocator.get(c.key), c.rule]));
    currentFlows = flows;
    const generation = (p: ControlplaneNetworkPolicy) => p.metadata.generation ?? 0;
    const reported = await reporter.report(
      mine.flatMap((p) => {
        const name = p.metadata.name;
        const failure = compiled.unsupported.get(name);
        if (failure) return [{ name, generation: generation(p), failure }];
        return compiled.complete.has(name) ? [{ name, generation: generation(p) }] : [];
      }),
      new Set(mine.map((p) => p.metadata.name)),
    );
    const waiting = [...compiled.waiting].map(([p, groups]) => `${p} (groups ${groups.join(", ")})`);
    const summary =
      `${mine.length} policies, ${compiled.conjunctions.length} conjunctions, ${flows.length} flows` +
      (waiting.length ? `; waiting for ${waiting.join("; ")}` : "");
    if (changed || reported.length || summary !== lastSummary) {
      log.info(
        `NetworkPolicy: ${summary}; ${changed} flows changed` +
          (reported.length ? `; reported ${reported.join(", ")}` : ""),
      );
    }
    lastSummary = summary;
  };
  const loop = new SyncLoop("NetworkPolicy sync", sync, log);
  const trigger = () => loop.trigger();
  stops.push(() => loop.stop());

  try {
    const common = { kc, custom, onChange: trigger, log };
    // Groups first: a policy seen before its groups would wait for them anyway.
    const ag = await watchControlplane({ ...common, resource: "addressGroup", schema: addressGroupSchema });
    stops.push(() => ag.stop());
    const atg = await watchControlplane({
      ...common,
      resource: "appliedToGroup",
      schema: appliedToGroupSchema,
    });
    stops.push(() => atg.stop());
    const np = await watchControlplane({
      ...common,
      resource: "networkPolicy",
      schema: controlplaneNetworkPolicySchema,
    });
    stops.push(() => np.stop());
    [addressGroups, appliedToGroups, policies] = [ag, atg, np];
  } catch (err) {
    for (const stop of stops.reverse()) await stop();
    throw err;
  }
  const podCheck = setInterval(() => {
    if (podsFingerprint(localPods(store)) !== lastPods) trigger();
  }, LOCAL_PODS_CHECK_MS);
  stops.push(async () => clearInterval(podCheck));
  trigger();
  // The first sync's flows are in OVS when this resolves: the agent removes what an earlier run left only then.
  await loop.idle();

  return {
    ruleByConjId: (id) => rulesByConjId.get(id),
    flows: () => currentFlows,
    stop: async () => {
      for (const stop of stops.splice(0).reverse()) await stop();
    },
  };
}
