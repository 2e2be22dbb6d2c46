// The evidence gathered when a step fails, attached to that step: the flows of every bridge of every node,
// `ovs-vsctl show`, iptables-save of every host, the scenario's Pods, and the tails of the lab's log files
// (OVS, kubelet, agent, control plane, containers: every *.log under the lab's state directory).
import { open, readdir } from "node:fs/promises";
import { join, relative } from "node:path";
import { stringify } from "yaml";
import type { ExecTarget } from "../../lab/provider.ts";
import { apiErrorMessage } from "./kube.ts";
import type { LabContext } from "./lab-context.ts";

const LOG_TAIL_BYTES = 64 * 1024;
const MAX_LOG_FILES = 60;

const FLOWS_OF_EVERY_BRIDGE =
  'for br in $(ovs-vsctl --timeout=5 list-br); do echo "### $br"; ovs-ofctl -O OpenFlow15 dump-flows --names "$br"; done';

async function capture(ctx: LabContext, target: ExecTarget, argv: readonly string[]): Promise<string> {
  try {
    const res = await ctx.exec(target, argv, { timeoutMs: 15_000 });
    return `$ ${ctx.reproduce(target, argv)}\n${res.stdout}${res.stderr ? `\n--- stderr\n${res.stderr}` : ""}`;
  } catch (err) {
    return `$ ${ctx.reproduce(target, argv)}\nfailed: ${(err as Error).message}`;
  }
}

async function tail(file: string): Promise<string> {
  const handle = await open(file, "r");
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - LOG_TAIL_BYTES);
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(size - start), 0, size - start, start);
    return (
      (start > 0 ? `[... first ${start} bytes left out]\n` : "") +
      buffer.subarray(0, bytesRead).toString("utf8")
    );
  } finally {
    await handle.close();
  }
}

async function logFiles(stateDir: string): Promise<string[]> {
  const entries = await readdir(stateDir, { withFileTypes: true, recursive: true }).catch(() => []);
  return entries
    .filter((e) => e.isFile() && e.name.endsWith(".log"))
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .slice(0, MAX_LOG_FILES);
}

export async function attachFailureBundle(ctx: LabContext): Promise<void> {
  const { status } = ctx.lab;
  await ctx.artifacts.step("artifact bundle", async () => {
    const hosts = status.hosts.map((h) => ({
      host: h,
      target: (h.role === "external"
        ? { kind: "external", name: h.name }
        : { kind: "node", name: h.name }) as ExecTarget,
    }));
    const captured = await Promise.all(
      hosts.map(async ({ host, target }) => ({
        host,
        flows:
          host.role === "external"
            ? undefined
            : await capture(ctx, target, ["sh", "-c", FLOWS_OF_EVERY_BRIDGE]),
        ovs:
          host.role === "external"
            ? undefined
            : await capture(ctx, target, ["ovs-vsctl", "--timeout=5", "show"]),
        iptables: await capture(ctx, target, ["iptables-save"]),
      })),
    );
    for (const c of captured) {
      if (c.flows) await ctx.artifacts.attach(`flows-${c.host.name}.txt`, c.flows);
      if (c.ovs) await ctx.artifacts.attach(`ovs-vsctl-show-${c.host.name}.txt`, c.ovs);
      await ctx.artifacts.attach(`iptables-save-${c.host.name}.txt`, c.iptables);
    }
    const kube = ctx.usesKubernetes ? await ctx.kube().catch(() => undefined) : undefined;
    if (kube) {
      const pods = await Promise.all(
        ctx.scenario.namespaces.map((ns) =>
          kube.core.listNamespacedPod({ namespace: ctx.namespace(ns) }).then(
            (list) => list.items,
            (err: unknown) => [{ error: `${ctx.namespace(ns)}: ${apiErrorMessage(err)}` }],
          ),
        ),
      );
      await ctx.artifacts.attach("pods.yaml", stringify(pods.flat()), "text/yaml");
    }
    if (status.stateDir) {
      for (const file of await logFiles(status.stateDir)) {
        await ctx.artifacts.attach(
          `log-${relative(status.stateDir, file).replaceAll("/", "_")}`,
          await tail(file),
        );
      }
    }
  });
}
