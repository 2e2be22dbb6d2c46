// egress: the source IP an external host sees for a Pod's traffic, as Antrea's e2e checks it (assertClientIP): the
// Pod asks the external host's agnhost netexec (which every lab runs there) for /clientip, and the host part of the
// answer must be the expected IP. Asked again until it is (or the step times out): Egress IPs move when Nodes fail.
// Besides the usual references, the expected IP may name an Egress: ${egress/NAME.ip} (its spec.egressIP) or
// ${egress/NAME.node} (its status.egressNode), read when the step runs.
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { apiErrorMessage } from "../kube.ts";
import type { LabContext } from "../lab-context.ts";
import { isObjectForm, parseObjectRef, parseTemplate } from "../refs.ts";
import { defineStep, remaining, STEP_COMMON, StepFailure } from "./step-kind.ts";

const EGRESS_REF = /\$\{egress\/([a-z0-9](?:[-a-z0-9.]*[a-z0-9])?)\.(ip|node)\}/g;

/** Problems of a templated string that may also hold ${egress/NAME.ip|node}. */
function expectedIPProblem(text: string): string | undefined {
  for (const [ref] of text.matchAll(/\$\{egress\/[^}]*\}/g)) {
    if (!ref.match(new RegExp(`^${EGRESS_REF.source}$`))) {
      return `bad reference "${ref}": an Egress has the fields ip and node`;
    }
  }
  const parsed = parseTemplate(text.replace(EGRESS_REF, ""));
  return typeof parsed === "string" ? parsed : undefined;
}

const refCheck =
  (kind: "pod" | "ext") =>
  (text: string, ctx: z.RefinementCtx): void => {
    const ref = isObjectForm(text) ? parseObjectRef(text) : `"${text}" is not ${kind}/...`;
    if (typeof ref === "string") ctx.addIssue({ code: "custom", message: ref });
    else if (ref.kind !== kind)
      ctx.addIssue({ code: "custom", message: `expected ${kind}/..., not ${ref.kind}` });
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
    .describe("the external host, whose agnhost netexec serves /clientip (default: the lab's first one)"),
  port: z.number().int().min(1).max(65535).default(8080).describe("netexec's HTTP port on the external host"),
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
      if (!value)
        throw new Error(`${whole}: Egress ${name} has no ${field === "ip" ? "egressIP" : "egressNode"} yet`);
      out = out.replace(whole!, value);
    }
  }
  return ctx.resolve(out);
}

/** `ext/NAME` as given, or the lab's first external host. */
function externalHost(ctx: LabContext, ext: string | undefined): string {
  if (ext) return ext;
  const name = ctx.lab.status.hosts.find((h) => h.role === "external")?.name;
  if (!name) throw new Error(`lab ${ctx.lab.name} has no external host`);
  return `ext/${name}`;
}

const clientIPArgv = (url: string) => ["curl", "-sS", "--connect-timeout", "1", "--max-time", "2", url];

export const egressStep = defineStep({
  kind: "egress",
  description:
    "The source IP the external host sees for a Pod's traffic, asked again until it is the expected one",
  schema: Egress,
  defaultTimeoutMs: 30_000,
  title: (e: EgressBody) => `egress ${e.pod} seen by ${e.ext ?? "ext"} as ${e.expectSourceIP}`,
  async run(e, ctx, limits) {
    const pod = ctx.execTarget(e.pod);
    const ext = externalHost(ctx, e.ext);
    const argv = clientIPArgv(`http://${await ctx.address(ext)}:${e.port}/clientip`);
    const seen = new Map<string, number>();
    let expected: string | undefined;
    let unresolved = "";
    for (;;) {
      limits.signal.throwIfAborted();
      try {
        expected = await resolveExpected(ctx, e.expectSourceIP);
      } catch (err) {
        unresolved = err instanceof Error ? err.message : String(err);
      }
      const res = await ctx.exec(pod, argv, { timeoutMs: 5000 });
      const answer =
        res.code === 0 ? res.stdout.trim().replace(/:\d+$/, "") : `error: ${res.stderr.trim() || res.code}`;
      seen.set(answer, (seen.get(answer) ?? 0) + 1);
      if (expected !== undefined && answer === expected) return;
      if (remaining(limits) < 500) break;
      await sleep(200);
    }
    throw new StepFailure({
      summary: `${ext} did not see ${e.pod} as ${e.expectSourceIP}`,
      expected: expected ?? `${e.expectSourceIP} (unresolved: ${unresolved})`,
      seen: [...seen].map(([ip, n]) => `${ip} ×${n}`).join(", "),
      reproduce: [ctx.reproduce(pod, argv)],
    });
  },
});
