// fault: disturbs a node the way Antrea's e2e does, through the lab's provider: stop / continue one of its processes
// (SIGSTOP / SIGCONT: the process keeps its state, its peers see it vanish), restart it, or take its underlay link
// down / up (the node keeps running, cut off). The step passes once the provider has done it; what follows
// (failover, recovery) is for the next steps to check.
import { z } from "zod";
import type { Fault, NodeProcessName, RestartableProcessName } from "../../../lab/provider.ts";
import { NodeRef } from "../refs.ts";
import { defineStep, STEP_COMMON } from "./step-kind.ts";

const PROCESSES = [
  "agent",
  "kubelet",
  "controller",
  "control-plane",
  "ovs-vswitchd",
  "ovsdb-server",
] as const satisfies readonly NodeProcessName[];
const RESTARTABLE: readonly RestartableProcessName[] = [
  "agent",
  "kubelet",
  "controller",
  "control-plane",
  "ovs-vswitchd",
];
const restartable = (p: NodeProcessName): p is RestartableProcessName =>
  (RESTARTABLE as readonly string[]).includes(p);

const FaultBody = z
  .strictObject({
    ...STEP_COMMON,
    node: NodeRef,
    process: z.enum(PROCESSES).optional().describe("the node's process to act on (with action)"),
    action: z
      .enum(["stop", "cont", "restart"])
      .optional()
      .describe("stop (SIGSTOP), cont (SIGCONT) or restart the process"),
    link: z.enum(["down", "up"]).optional().describe("take the node's underlay link down or bring it up"),
  })
  .superRefine((f, ctx) => {
    const processFault = f.process !== undefined || f.action !== undefined;
    if (processFault === (f.link !== undefined)) {
      ctx.addIssue({ code: "custom", message: "a fault is either process + action, or link" });
    } else if (processFault && (f.process === undefined || f.action === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [f.process === undefined ? "process" : "action"],
        message: "process and action go together",
      });
    } else if (f.action === "restart" && f.process && !restartable(f.process)) {
      ctx.addIssue({ code: "custom", path: ["process"], message: `${f.process} cannot be restarted` });
    }
  });

type FaultStep = z.output<typeof FaultBody>;

const SIGNALS = { stop: "SIGSTOP", cont: "SIGCONT" } as const;

function toFault(f: FaultStep, node: string): Fault {
  if (f.link) return { type: "link", node, state: f.link };
  const process = f.process!;
  if (f.action === "restart") {
    if (!restartable(process)) throw new Error(`${process} cannot be restarted`);
    return { type: "restart", node, process };
  }
  return { type: "signal", node, process, signal: SIGNALS[f.action as "stop" | "cont"] };
}

/** What the scenario's cleanup must do if no later step undoes `fault`; restarts need nothing. */
function undoOf(fault: Fault): { key: string; fault: Fault | undefined } | undefined {
  switch (fault.type) {
    case "signal": {
      const key = `${fault.process} on ${fault.node}`;
      if (fault.signal === "SIGSTOP") return { key, fault: { ...fault, signal: "SIGCONT" } };
      return fault.signal === "SIGCONT" ? { key, fault: undefined } : undefined;
    }
    case "link":
      return {
        key: `link of ${fault.node}`,
        fault: fault.state === "down" ? { ...fault, state: "up" } : undefined,
      };
    default:
      return undefined;
  }
}

export const faultStep = defineStep({
  kind: "fault",
  description: "Stop, continue or restart a node's process, or take its underlay link down or up",
  schema: FaultBody,
  defaultTimeoutMs: 30_000,
  title: (f) =>
    f.link ? `fault link ${f.link} on node ${f.node}` : `fault ${f.action} ${f.process} on node ${f.node}`,
  async run(f, ctx) {
    const node = await ctx.nodeName(f.node);
    const fault = toFault(f, node);
    await ctx.lab.provider.fault(ctx.lab.name, fault);
    const undo = undoOf(fault);
    if (undo) ctx.rememberFaultUndo(undo.key, undo.fault);
  },
});
