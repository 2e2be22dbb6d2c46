// Readiness probes, run the way the kubelet runs them: tcpSocket and httpGet from the node's network
// namespace to the Pod IP, exec inside the Pod's sandbox. Each probe is a short-lived program (curl,
// socat, the exec command) so that it runs in the right namespace whether or not the kubelet lives there.
import type { V1Container, V1Probe } from "@kubernetes/client-node";
import { run } from "../../images/common/exec.ts";
import { resolveExecCommand } from "../../images/workloads/images.ts";

export interface ProbeTarget {
  podIP: string;
  container: V1Container;
  /** Where tcpSocket/httpGet probes run from (the node netns); unset = the kubelet's own. */
  nodeNetns?: string;
  /** The Pod's sandbox, for exec probes; unset for hostNetwork Pods (they run next to the kubelet). */
  sandboxNetns?: string;
  env: NodeJS.ProcessEnv;
}

export interface ProbeResult {
  success: boolean;
  /** Why it failed (shown in events and logs). */
  output: string;
}

/** Kubernetes' defaults for probe timing and thresholds. */
export function probeTiming(probe: V1Probe): {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
} {
  return {
    initialDelayMs: (probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: Math.max(1, probe.periodSeconds ?? 10) * 1000,
    timeoutMs: Math.max(1, probe.timeoutSeconds ?? 1) * 1000,
    successThreshold: Math.max(1, probe.successThreshold ?? 1),
    failureThreshold: Math.max(1, probe.failureThreshold ?? 3),
  };
}

export async function runProbe(probe: V1Probe, target: ProbeTarget): Promise<ProbeResult> {
  const { timeoutMs } = probeTiming(probe);
  const seconds = String(timeoutMs / 1000);
  if (probe.exec) {
    const command = probe.exec.command ?? [];
    if (command.length === 0) return { success: false, output: "exec probe without a command" };
    const res = await run(resolveExecCommand(command), {
      netns: target.sandboxNetns ?? target.nodeNetns,
      env: target.env,
      timeoutMs,
      allowFailure: true,
    });
    if (res.timedOut) return { success: false, output: `command timed out after ${seconds}s` };
    const said = (res.stdout + res.stderr).trim().slice(0, 200);
    return { success: res.code === 0, output: res.code === 0 ? said : `exit code ${res.code}: ${said}` };
  }
  if (probe.tcpSocket) {
    const port = resolvePort(probe.tcpSocket.port, target.container);
    if (typeof port === "string") return { success: false, output: port };
    const host = probe.tcpSocket.host || target.podIP;
    const res = await run(
      ["socat", "-u", "OPEN:/dev/null", `TCP:${bracket(host)}:${port},connect-timeout=${seconds}`],
      { netns: target.nodeNetns, timeoutMs: timeoutMs + 1000, allowFailure: true },
    );
    if (res.code === 0) return { success: true, output: "" };
    return { success: false, output: `dial tcp ${host}:${port}: ${lastLine(res.stderr) || "failed"}` };
  }
  if (probe.httpGet) {
    const get = probe.httpGet;
    const port = resolvePort(get.port, target.container);
    if (typeof port === "string") return { success: false, output: port };
    const scheme = (get.scheme ?? "HTTP").toLowerCase();
    const path = get.path?.startsWith("/") ? get.path : `/${get.path ?? ""}`;
    const url = `${scheme}://${bracket(get.host || target.podIP)}:${port}${path}`;
    const headers = [
      ["User-Agent", "kube-probe/1.32"],
      ...(get.httpHeaders ?? []).map((h) => [h.name, h.value]),
    ];
    const argv = ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", seconds, "-k"];
    for (const [name, value] of headers) argv.push("-H", `${name}: ${value}`);
    const res = await run([...argv, url], {
      netns: target.nodeNetns,
      timeoutMs: timeoutMs + 1000,
      allowFailure: true,
    });
    const status = Number.parseInt(res.stdout.trim(), 10);
    if (res.code === 0 && status >= 200 && status < 400) return { success: true, output: `HTTP ${status}` };
    if (res.code === 0) return { success: false, output: `HTTP probe failed with statuscode: ${status}` };
    return {
      success: false,
      output: `Get "${url}": ${lastLine(res.stderr) || `curl exit code ${res.code}`}`,
    };
  }
  return { success: false, output: "probe has no handler (exec, tcpSocket or httpGet)" };
}

/** A numeric port, or a named container port; a string result is the error. */
function resolvePort(port: number | string | undefined, container: V1Container): number | string {
  if (typeof port === "number") return port;
  if (port === undefined) return "probe without a port";
  if (/^\d+$/.test(port)) return Number(port);
  const named = container.ports?.find((p) => p.name === port);
  return named ? named.containerPort : `no container port named ${JSON.stringify(port)}`;
}

function bracket(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}
