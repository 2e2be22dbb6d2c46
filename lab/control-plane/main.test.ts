// The process entry point: config validation, serving, clean shutdown on SIGTERM, snapshot across restarts.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { run } from "../../images/common/exec.ts";
import { renderKubeconfig } from "./kubeconfig.ts";
import { createPki, type Pki, randomToken } from "./pki.ts";
import { type RunningProcess, startProcess } from "./testing/test-cluster.ts";

const MAIN = join(import.meta.dirname, "main.ts");
const TSX = join(import.meta.dirname, "../../node_modules/.bin/tsx");

let dir: string;
let pki: Pki;
const running: RunningProcess[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "ovslab-cp-main-"));
  pki = await createPki(join(dir, "pki"), { ips: ["127.0.0.1"], dnsNames: ["cp.ovslab"] });
});

afterAll(async () => {
  await Promise.all(running.map((p) => p.stop("SIGKILL")));
  rmSync(dir, { recursive: true, force: true });
});

function start(config: unknown): RunningProcess {
  const path = join(dir, `config-${running.length}.json`);
  writeFileSync(path, JSON.stringify(config));
  const p = startProcess([TSX, MAIN, "--config", path]);
  running.push(p);
  return p;
}

async function listening(p: RunningProcess): Promise<string> {
  await p.waitFor(/listening on (https:\/\/\S+)/, 20_000);
  return /listening on (https:\/\/\S+)/.exec(p.output())?.[1] ?? "";
}

describe("control-plane main", () => {
  it("issues a certificate whose SANs cover the requested names", async () => {
    const text = (
      await run(["openssl", "x509", "-in", pki.serverCertPath, "-noout", "-ext", "subjectAltName"])
    ).stdout;
    expect(text).toContain("IP Address:127.0.0.1");
    expect(text).toContain("DNS:cp.ovslab");
    expect(text).toContain("DNS:kubernetes.default.svc");
    const verify = await run(["openssl", "verify", "-CAfile", pki.caCertPath, pki.serverCertPath]);
    expect(verify.stdout).toContain("OK");
  });

  it("serves kubectl, keeps state in the snapshot across a restart, and exits 0 on SIGTERM", async () => {
    const token = randomToken();
    const config = {
      host: "127.0.0.1",
      port: 0,
      certFile: pki.serverCertPath,
      keyFile: pki.serverKeyPath,
      token,
      serviceCIDR: "10.96.0.0/16",
      snapshotFile: join(dir, "state.json"),
      logLevel: "debug",
    };
    const kubectl = async (url: string, args: string[], input?: string) => {
      const kubeconfig = join(dir, "kubeconfig");
      writeFileSync(kubeconfig, renderKubeconfig({ server: url, caCertPem: pki.caCertPem, token }));
      const argv = ["kubectl", "--kubeconfig", kubeconfig, "--cache-dir", join(dir, "cache"), ...args];
      return run(argv, { input, allowFailure: true });
    };
    const first = start(config);
    const url1 = await listening(first);
    const created = await kubectl(
      url1,
      ["create", "-f", "-"],
      "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: survivor}\ndata: {k: v}\n",
    );
    expect(created.stdout).toContain("configmap/survivor created");
    expect(first.output()).toMatch(/DEBUG POST \/api\/v1\/namespaces\/default\/configmaps\S* 201/);
    expect(await first.stop("SIGTERM")).toBe(0);
    expect(first.output()).toContain("apiserver stopped");

    const second = start(config);
    const url2 = await listening(second);
    const got = await kubectl(url2, ["get", "configmap", "survivor", "-o", "jsonpath={.data.k}"]);
    expect(got.stdout).toBe("v");
    expect(await second.stop("SIGINT")).toBe(0);
  });

  it("refuses an invalid config with a message naming the field", async () => {
    const p = start({ certFile: "x", keyFile: "y", token: "t", serviceCIDR: "not-a-cidr", port: 99999 });
    expect(await p.exited()).toBe(1);
    expect(p.output()).toContain("serviceCIDR");
    expect(p.output()).toContain("port");
  });
});
