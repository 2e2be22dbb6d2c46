// antctl in agent mode as a function: parses argv, runs the command against a node's OVS and the API, and gives
// back what antctl would print and its exit code (errors as `Error: <message>` with exit code 1, as cobra does).
import { CommanderError } from "commander";
import { type AntctlIO, buildProgram } from "./commands.ts";
import { apiFailure } from "./kube.ts";

export type { AntctlIO } from "./commands.ts";

export interface AntctlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runAntctl(argv: string[], io: AntctlIO): Promise<AntctlResult> {
  let stdout = "";
  let stderr = "";
  const program = buildProgram(io, {
    out: (s) => {
      stdout += s;
    },
    err: (s) => {
      stderr += s;
    },
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return { code: 0, stdout, stderr };
  } catch (err) {
    // Commander has printed its own message (usage errors) or the help already.
    if (err instanceof CommanderError) return { code: err.exitCode, stdout, stderr };
    stderr += `Error: ${describe(err)}\n`;
    return { code: 1, stdout, stderr };
  }
}

function describe(err: unknown): string {
  const api = apiFailure(err);
  if (api) return `request to server failed: HTTP ${api.code}: ${api.message}`;
  return err instanceof Error ? err.message : String(err);
}
