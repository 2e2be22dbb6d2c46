// One connectivity probe, the way Antrea's e2e probes: `agnhost connect IP:PORT --timeout=1s --protocol=P` in the
// source's network namespace (ping for ICMP, curl for HTTP), classified from the exit code and agnhost's error
// prefixes: TIMEOUT -> dropped; REFUSED, "no route to host" (ICMP unreachable), "permission denied" -> rejected.

import { formatHostPort } from "../../../images/workloads/gonet.ts";
import { agnhostArgv } from "../../../images/workloads/images.ts";
import type { ExecResult, ExecTarget } from "../../../lab/provider.ts";
import type { LabContext } from "../lab-context.ts";

export const PROTOCOLS = ["tcp", "udp", "sctp", "icmp", "http"] as const;
export type Protocol = (typeof PROTOCOLS)[number];
export type Outcome = "connected" | "dropped" | "rejected" | "error";

/** Seconds one attempt waits for an answer; steps retry until their own timeout. */
export const PROBE_TIMEOUT_S = 1;

export interface ProbeRequest {
  source: ExecTarget;
  ip: string;
  /** Unused for ICMP. */
  port?: number | undefined;
  protocol: Protocol;
  /** HTTP path, default "/". */
  path?: string | undefined;
}

export interface ProbeResult {
  outcome: Outcome;
  /** What the probe printed that decided the outcome ("TIMEOUT", "HTTP 200", ...). */
  detail: string;
  argv: string[];
  exec: ExecResult;
}

/** The command a probe runs in the source's network namespace. */
export function probeArgv(req: ProbeRequest): string[] {
  const dest = formatHostPort(req.ip, req.port ?? 0);
  switch (req.protocol) {
    case "icmp":
      return ["ping", "-c", "1", "-W", String(PROBE_TIMEOUT_S), "-n", req.ip];
    case "http":
      return [
        "curl",
        "-sS",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "--connect-timeout",
        String(PROBE_TIMEOUT_S),
        "--max-time",
        String(PROBE_TIMEOUT_S * 2),
        `http://${dest}${req.path ?? "/"}`,
      ];
    default: {
      const args = ["connect", dest, `--timeout=${PROBE_TIMEOUT_S}s`, `--protocol=${req.protocol}`];
      // Pod images carry /agnhost (the embedded kubelet maps it to images/workloads); hosts run the TS program.
      return req.source.kind === "pod" ? ["/agnhost", ...args] : agnhostArgv(args);
    }
  }
}

export function classifyProbe(protocol: Protocol, res: ExecResult): { outcome: Outcome; detail: string } {
  const firstLine = (text: string) => text.trim().split("\n")[0] ?? "";
  if (res.timedOut) return { outcome: "error", detail: "the probe command did not finish" };
  if (protocol === "icmp") {
    if (res.code === 0) return { outcome: "connected", detail: "echo reply" };
    const icmpError = /(Destination .*(Unreachable|Prohibited)|Packet filtered|prohibited)/i.exec(res.stdout);
    if (icmpError) return { outcome: "rejected", detail: icmpError[0] };
    if (res.code === 1) return { outcome: "dropped", detail: "no reply" };
    return { outcome: "error", detail: firstLine(res.stderr) || `ping exited with ${res.code}` };
  }
  if (protocol === "http") {
    if (res.code === 0) return { outcome: "connected", detail: `HTTP ${res.stdout.trim()}` };
    const why = firstLine(res.stderr) || `curl exited with ${res.code}`;
    if (res.code === 7) return { outcome: "rejected", detail: why };
    if (res.code === 28) return { outcome: "dropped", detail: why };
    return { outcome: "error", detail: why };
  }
  if (res.code === 0) return { outcome: "connected", detail: "connected" };
  const err = firstLine(res.stderr);
  if (err.includes("TIMEOUT") || err.includes("operation already in progress")) {
    return { outcome: "dropped", detail: err };
  }
  if (/REFUSED|no route to host|permission denied/.test(err)) return { outcome: "rejected", detail: err };
  return { outcome: "error", detail: err || `exit code ${res.code}` };
}

export async function probe(ctx: LabContext, req: ProbeRequest): Promise<ProbeResult> {
  const argv = probeArgv(req);
  // Generous bound on the command itself: a Pod exec or a node's Node.js start-up adds to the probe's own timeout.
  const exec = await ctx.exec(req.source, argv, { timeoutMs: PROBE_TIMEOUT_S * 1000 + 10_000 });
  return { ...classifyProbe(req.protocol, exec), argv, exec };
}

/** "10.96.0.10:80/tcp", "10.0.0.1 (icmp)", "http://10.0.0.1:8080/healthz". */
export function describeDestination(req: Omit<ProbeRequest, "source">): string {
  if (req.protocol === "icmp") return `${req.ip} (icmp)`;
  const dest = formatHostPort(req.ip, req.port ?? 0);
  return req.protocol === "http" ? `http://${dest}${req.path ?? "/"}` : `${dest}/${req.protocol}`;
}
