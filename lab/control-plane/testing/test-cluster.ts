// Test support: a real API server on 127.0.0.1 (random port, TLS with a fresh per-test CA), a kubeconfig in a
// temp dir, and helpers to run the real kubectl against it. Long-running children (`kubectl get -w`, the
// control-plane process) are spawned here, the only direct child_process use of this folder, and are
// stopped through their own handle.
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type RunResult, run } from "../../../images/common/exec.ts";
import { type ApiServer, startApiServer } from "../apiserver/server.ts";
import { renderKubeconfig } from "../kubeconfig.ts";
import { createPki, randomToken } from "../pki.ts";

export interface TestCluster {
  server: ApiServer;
  dir: string;
  kubeconfigPath: string;
  token: string;
  caCertPem: string;
  /** Runs kubectl with this cluster's kubeconfig and a private cache dir; never throws on exit codes. */
  kubectl(args: string[], input?: string): Promise<RunResult>;
  /** Starts a long-running kubectl (e.g. `get pods -w`) whose stdout is collected in `output()`. */
  kubectlStream(args: string[]): RunningProcess;
  close(): Promise<void>;
}

export interface RunningProcess {
  output(): string;
  /** Resolves once stdout/stderr contain `text` (rejects after `timeoutMs`). */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<void>;
  /** Sends `signal` (default SIGTERM) unless the process already ended; resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves with the exit code once the process ends by itself. */
  exited(): Promise<number | null>;
}

/** Starts a long-running program whose stdout and stderr are collected. */
export function startProcess(argv: string[]): RunningProcess {
  const [file, ...args] = argv;
  if (!file) throw new Error("startProcess: empty command");
  const child: ChildProcess = spawn(file, args, { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const waiters: (() => void)[] = [];
  const onData = (d: Buffer) => {
    out += d.toString("utf8");
    for (const w of waiters.splice(0)) w();
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  child.once("close", () => {
    for (const w of waiters.splice(0)) w();
  });
  return {
    output: () => out,
    waitFor: (text, timeoutMs = 10_000) =>
      new Promise<void>((resolve, reject) => {
        const matches = () => (typeof text === "string" ? out.includes(text) : text.test(out));
        const timer = setTimeout(
          () => reject(new Error(`timed out waiting for ${String(text)}; output:\n${out}`)),
          timeoutMs,
        );
        const check = () => {
          if (matches()) {
            clearTimeout(timer);
            resolve();
          } else {
            waiters.push(check);
          }
        };
        check();
      }),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
    exited: () => exited,
  };
}

export async function startTestCluster(opts: { serviceCIDR?: string } = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), "ovslab-cp-"));
  const streams: RunningProcess[] = [];
  let server: ApiServer | undefined;
  try {
    const pki = await createPki(join(dir, "pki"), { ips: ["127.0.0.1"] });
    const token = randomToken();
    server = await startApiServer({
      tls: { cert: pki.serverCertPem, key: pki.serverKeyPem },
      token,
      serviceCIDR: opts.serviceCIDR ?? "10.96.0.0/24",
    });
    const kubeconfigPath = join(dir, "kubeconfig");
    writeFileSync(kubeconfigPath, renderKubeconfig({ server: server.url, caCertPem: pki.caCertPem, token }));
    const base = ["kubectl", "--kubeconfig", kubeconfigPath, "--cache-dir", join(dir, "cache")];
    const started = server;
    return {
      server: started,
      dir,
      kubeconfigPath,
      token,
      caCertPem: pki.caCertPem,
      kubectl: (args, input) => run([...base, ...args], { input, allowFailure: true, timeoutMs: 30_000 }),
      kubectlStream: (args) => {
        const s = startProcess([...base, ...args]);
        streams.push(s);
        return s;
      },
      close: async () => {
        await Promise.all(streams.map((s) => s.stop()));
        await started.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (err) {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
