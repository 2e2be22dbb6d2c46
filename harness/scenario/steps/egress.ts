// egress: the source IP an external host sees for a Pod's traffic, as Antrea's e2e checks it (assertClientIP):
// agnhost netexec serves on the external host, the Pod asks it for /clientip, and the host part of the answer
// must be the expected IP. Asked again until it is (or the step times out): Egress IPs move when Nodes fail.
// Besides the usual references, the expected IP may name an Egress: ${egress/NAME.ip} (its spec.egressIP) or
// ${egress/NAME.node} (its status.egressNode), read when the step runs.
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { agnhostArgv } from "../../../images/workloads/images.ts";
import type { ExecResult, ExecTarget } from "../../../lab/provider.ts";
import { apiErrorMessage } from "../kube.ts";
import { type LabContext, targetText } from "../lab-context.ts";
import { isObjectForm, parseObjectRef, parseTemplate } from "../refs.ts";
import { defineStep, remaining, STEP_COMMON, StepFailure } from "./step-kind.ts";

const EGRESS_REF = /\$\{egress\/([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)\.(ip|node)\}/g;

/** Problems of a templated string that may also hold ${egress/NAME.ip|node}. */
function expectedIPProblem(text: string): string | undefined {
  const parsed = parseTemplate(text.replace(EGRESS_REF, ""));
  return typeof parsed === "string" ? parsed : undefined;
}

const refCheck =
  (kind: "pod" | "ext") =>
  (text: string, ctx: z.RefinementCtx): void => {
    const ref = isObjectForm(text) ? parseObjectRef(text) : `"${text}" is not ${kind}/...`;
    if (typeof ref === "string") ctx.addIssue({ code: "custom", message: ref });
    else if (ref.kind !== kind) ctx.addIssue({ code: "custom", message: `expected ${kind}/..., not ${ref.kind}` });
  };

const Egress = z.strictObject({
  ...STEP_COMMON,
  pod: z.string().superRefine(refCheck("pod")).describe("the client: pod/NS/NAME or pod/NAME"),
  expectSourceIP: z
    .string()
    .min(1)
    .superRefine((text, ctx) => {
      const problem = expectedIPProblem(text);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    })
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the scenario reference syntax, not a JS template
    .describe("the IP the external host must see: an IP, ${egress/NAME.ip} or another ${...} reference"),
  ext: z
    .string()
    .superRefine(refCheck("ext"))
    .optional()
    .describe("the external host that serves /clientip (default: the lab's first external host)"),
});

type EgressBody = z.output<typeof Egress>;

/** Replaces ${egress/NAME.ip|node} with the Egress's spec.egressIP / status.egressNode, then the other references. */
async function resolveExpected(ctx: LabContext, text: string): Promise<string> {
  const refs = [...text.matchAll(EGRESS_REF)];
  let out = text;
  if (refs.length) {
    const kube = await ctx.kube();
    for (const [whole, name, field] of refs) {
      const header = { apiVersion: "crd.antrea.io/v1beta1", kind: "Egress", metadata: { name: name! } };
      const egress = (await kube
        .objects(ctx.namespace())
        .read(header)
        .catch((err: unknown) => {
          throw new Error(`${whole}: cannot read Egress ${name}: ${apiErrorMessage(err)}`);
        })) as { spec?: { egressIP?: string }; status?: { egressNode?: string } };
      const value = field === "ip" ? egress.spec?.egressIP : egress.status?.egressNode;
      if (!value) throw new Error(`${whole}: Egress ${name} has no ${field === "ip" ? "egressIP" : "egressNode"} yet`);
      out = out.replace(whole!, value);
    }
  }
  return ctx.resolve(out);
}

/** The lab's external host named by `ext/NAME`, or its first one. */
function externalHost(ctx: LabContext, ext: string | undefined): { target: ExecTarget; text: string } {
  const name = ext?.slice("ext/".length) ?? ctx.lab.status.hosts.find((h) => h.role === "external")?.name;
  if (!name) throw new Error(`lab ${ctx.lab.name} has no external host`);
  return { target: { kind: "external", name }, text: `ext/${name}` };
}

const clientIPArgv = (url: string) => ["curl", "-sS", "--connect-timeout", "1", "--max-time", "2", url];

/** netexec on the external host for the length of the step, on a port of its own. */
async function startNetexec(
  ctx: LabContext,
  ext: ExecTarget,
  lifetimeMs: number,
): Promise<{ port: number; stop: () => Promise<void> }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = 18_000 + Math.floor(Math.random() * 1000);
    const argv = agnhostArgv(["netexec", `--http-port=${port}`, "--udp-port=-1"]);
    let ended: ExecResult | undefined;
    const server = ctx.exec(ext, argv, { timeoutMs: lifetimeMs }).then((r) => {
      ended = r;
    });
    const local = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 100 && !ended; i++) {
      const up = await ctx.exec(ext, clientIPArgv(`${local}/hostname`), { timeoutMs: 5000 });
      if (up.code === 0) {
        return {
          port,
          stop: async () => {
            await ctx.exec(ext, clientIPArgv(`${local}/exit?code=0`), { timeoutMs: 5000 });
            await server;
          },
        };
      }
      await sleep(100);
    }
    await server;
  }
  throw new Error(`agnhost netexec does not start on ${targetText(ext)}`);
}

export const egressStep = defineStep({
  kind: "egress",
  description: "The source IP the external host sees for a Pod's traffic, asked again until it is the expected one",
  schema: Egress,
  defaultTimeoutMs: 30_000,
  title: (e: EgressBody) => `egress ${e.pod} seen by ${e.ext ?? "ext"} as ${e.expectSourceIP}`,
  async run(e, ctx, limits) {
    const pod = ctx.execTarget(e.pod);
    const ext = externalHost(ctx, e.ext);
    const extIP = await ctx.address(ext.text);
    const server = await startNetexec(ctx, ext.target, remaining(limits) + 5000);
    const argv = clientIPArgv(`http://${extIP}:${server.port}/clientip`);
    const seen = new Map<string, number>();
    let expected: string | undefined;
    let last = "";
    try {
      for (;;) {
        limits.signal.throwIfAborted();
        try {
          expected = await resolveExpected(ctx, e.expectSourceIP);
        } catch (err) {
          last = err instanceof Error ? err.message : String(err);
        }
        const res = await ctx.exec(pod, argv, { timeoutMs: 5000 });
        const answer =
          res.code === 0 ? res.stdout.trim().replace(/:\d+$/, "") : `error: ${res.stderr.trim() || res.code}`;
        seen.set(answer, (seen.get(answer) ?? 0) + 1);
        if (expected !== undefined && answer === expected) return;
        if (remaining(limits) < 500) break;
        await sleep(200);
      }
    } finally {
      await server.stop();
    }
    throw new StepFailure({
      summary: `${ext.text} did not see ${e.pod} as ${e.expectSourceIP}`,
      expected: expected ?? `${e.expectSourceIP} (unresolved: ${last})`,
      seen: [...seen].map(([ip, n]) => `${ip} ×${n}`).join(", "),
      reproduce: [
        ctx.reproduce(ext.target, agnhostArgv(["netexec", `--http-port=${server.port}`, "--udp-port=-1"])),
        ctx.reproduce(pod, argv),
      ],
    });
  },
});
