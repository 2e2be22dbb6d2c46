// Helpers for tests that build real labs: unique names, the CLI as a child process, and the leak check.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const CLI = join(fileURLToPath(new URL("../../harness/cli/ovslab.mjs", import.meta.url)));

/** A lab name no other test (or developer) uses: 't' + 7 random base-36 characters. */
export function uniqueLabName(): string {
  return `t${BigInt(`0x${randomBytes(5).toString("hex")}`)
    .toString(36)
    .slice(0, 7)}`;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the ovslab CLI to completion. */
export function runCli(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code, sig) =>
      resolve({ code: code ?? (sig === "SIGKILL" ? 137 : 1), stdout, stderr }),
    );
  });
}

/** Starts the CLI and returns the child plus a promise of the first stderr line matching `pattern`. */
export function startCli(args: readonly string[]) {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  const exited = new Promise<number>((resolve) =>
    child.on("close", (code, sig) => resolve(code ?? (sig ? 128 : 1))),
  );
  const waitFor = (pattern: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        stderr += d.toString();
        if (pattern.test(stderr)) {
          child.stderr.off("data", onData);
          resolve();
        }
      };
      child.stderr.on("data", onData);
      void exited.then(() => reject(new Error(`CLI exited before printing ${pattern}: ${stderr}`)));
    });
  return { child, exited, waitFor };
}
