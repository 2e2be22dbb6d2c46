// probe: one connection from a Pod, node or external host to a destination, expected to be connected, dropped or
// rejected. Attempts (1 s each) repeat until the observation matches or the step times out, so that a policy
// that is still being realized gets the time it needs.
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { EndpointRef, ExecTargetRef } from "../refs.ts";
import { describeDestination, type Outcome, PROTOCOLS, type ProbeResult, probe } from "./connect.ts";
import { defineStep, remaining, STEP_COMMON, StepFailure } from "./step-kind.ts";

const EXPECTATIONS = ["connected", "dropped", "rejected"] as const;

const Probe = z
  .strictObject({
    ...STEP_COMMON,
    from: ExecTargetRef.describe("where the connection starts: pod/NS/NAME, pod/NAME, node/NAME or ext/NAME"),
    to: EndpointRef,
    port: z.number().int().min(1).max(65535).optional().describe("destination port (not for icmp)"),
    protocol: z.enum(PROTOCOLS).default("tcp").describe("tcp, udp, sctp, icmp (ping) or http (curl)"),
    path: z.string().startsWith("/").optional().describe("HTTP path (protocol http), default /"),
    expect: z
      .enum(EXPECTATIONS)
      .describe("connected, dropped (no answer) or rejected (RST / ICMP unreachable)"),
  })
  .superRefine((p, ctx) => {
    if (p.protocol === "icmp" && p.port !== undefined) {
      ctx.addIssue({ code: "custom", path: ["port"], message: "icmp probes take no port" });
    }
    if (p.protocol !== "icmp" && p.port === undefined) {
      ctx.addIssue({ code: "custom", path: ["port"], message: `a ${p.protocol} probe needs a port` });
    }
    if (p.path !== undefined && p.protocol !== "http") {
      ctx.addIssue({ code: "custom", path: ["path"], message: "path is only for protocol http" });
    }
  });

/** Pause between attempts whose answer came at once (connected/rejected), so that retries do not spin. */
const RETRY_PAUSE_MS = 200;

export const probeStep = defineStep({
  kind: "probe",
  description: "One connection attempt, retried until it has the expected outcome or the step times out",
  schema: Probe,
  defaultTimeoutMs: 10_000,
  title: (p) =>
    `probe ${p.from} -> ${p.to}${p.port ? `:${p.port}` : ""} ${p.protocol}${p.path ?? ""} expect ${p.expect}`,
  async run(p, ctx, limits) {
    const source = ctx.execTarget(p.from);
    const request = { source, ip: await ctx.address(p.to), port: p.port, protocol: p.protocol, path: p.path };
    const seen = new Map<Outcome, number>();
    let last: ProbeResult | undefined;
    const started = Date.now();
    for (;;) {
      limits.signal.throwIfAborted();
      last = await probe(ctx, request);
      seen.set(last.outcome, (seen.get(last.outcome) ?? 0) + 1);
      if (last.outcome === p.expect) break;
      if (remaining(limits) < 1000) break;
      if (last.outcome !== "dropped") await sleep(RETRY_PAUSE_MS);
    }
    const attempts = [...seen.values()].reduce((a, b) => a + b, 0);
    const output = [
      `$ ${ctx.reproduce(source, last.argv)}`,
      `exit code ${last.exec.code}`,
      last.exec.stdout,
      last.exec.stderr,
    ].join("\n");
    await ctx.artifacts.attach("probe.txt", output);
    if (last.outcome === p.expect) return;
    const tally = [...seen].map(([o, n]) => `${o} ×${n}`).join(", ");
    throw new StepFailure({
      summary: `probe ${p.from} -> ${p.to} (${describeDestination(request)}) was not ${p.expect}`,
      expected: p.expect,
      seen: `${last.outcome} (${last.detail}); ${attempts} attempt(s) in ${((Date.now() - started) / 1000).toFixed(1)} s: ${tally}`,
      reproduce: [ctx.reproduce(source, last.argv)],
    });
  },
});
