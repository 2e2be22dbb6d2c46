// One external tool (kind, docker, kubectl) run through images/common/exec.ts with a fixed environment, so that a
// missing program becomes "kind is not installed: <how to install it>" instead of a bare ENOENT.
import { type RunOptions, type RunResult, run, runAttached } from "../../images/common/exec.ts";

export type ToolRunOptions = Omit<RunOptions, "env" | "netns">;

export class Tool {
  constructor(
    readonly program: string,
    /** One line telling the user how to install the program. */
    readonly installHint: string,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  async run(args: readonly string[], opts: ToolRunOptions = {}): Promise<RunResult> {
    try {
      return await run([this.program, ...args], { ...opts, env: this.env });
    } catch (err) {
      throw this.explained(err);
    }
  }

  /** Trimmed stdout; throws (with the command line and stderr) on a non-zero exit. */
  async output(args: readonly string[], opts: ToolRunOptions = {}): Promise<string> {
    return (await this.run(args, opts)).stdout.trim();
  }

  /** With the caller's terminal attached; resolves with the exit code. */
  async attached(args: readonly string[]): Promise<number> {
    try {
      return await runAttached([this.program, ...args], { env: this.env });
    } catch (err) {
      throw this.explained(err);
    }
  }

  private explained(err: unknown): unknown {
    const code = (err as NodeJS.ErrnoException).code;
    const notFound =
      code === "ENOENT" || (err as Error).message?.endsWith("command not found (is it installed?)");
    return notFound
      ? new Error(`${this.program} is not installed (not found on PATH): ${this.installHint}`)
      : err;
  }
}
