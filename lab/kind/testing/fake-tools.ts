// Test support: a temporary bin directory of fake kind/docker/kubectl/lsmod/modprobe (testing/fake-tool.sh under
// each name). The PATH the code under test gets holds that directory and one of links to the few system programs
// the fakes use, nothing else: /usr/bin/kubectl, /usr/local/bin/docker and any real kind stay out of reach.
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const FAKE_TOOL = new URL("./fake-tool.sh", import.meta.url).pathname;
/** What fake-tool.sh and the rules' effects run. */
const SYSTEM_PROGRAMS = ["sh", "basename", "cat", "cp"];
export const FAKE_TOOL_NAMES = ["kind", "docker", "kubectl", "lsmod", "modprobe"] as const;
export type FakeToolName = (typeof FAKE_TOOL_NAMES)[number];

export interface FakeRule {
  /** Shell glob over "<tool> <args joined by spaces>". */
  glob: string;
  code?: number;
  /** Printed to stdout (exit 0) or stderr; "@FILE" prints that file as it is when the fake runs. No '|' or newline. */
  output?: string;
  /** Shell command run before answering. */
  effect?: string;
}

export class FakeTools {
  readonly dir = mkdtempSync(join(tmpdir(), "ovslab-kind-fakes-"));
  readonly bin = join(this.dir, "bin");
  readonly log = join(this.dir, "calls.log");
  private readonly system = join(this.dir, "system");
  private readonly rulesFile = join(this.dir, "rules");
  private rules: FakeRule[] = [];

  constructor(tools: readonly FakeToolName[] = FAKE_TOOL_NAMES) {
    try {
      mkdirSync(this.bin);
      for (const t of tools) {
        copyFileSync(FAKE_TOOL, join(this.bin, t));
        chmodSync(join(this.bin, t), 0o755);
      }
      mkdirSync(this.system);
      for (const p of SYSTEM_PROGRAMS) symlinkSync(`/usr/bin/${p}`, join(this.system, p));
      writeFileSync(this.log, "");
      this.writeRules();
    } catch (err) {
      this.cleanup();
      throw err;
    }
  }

  /** The environment for the code under test. */
  get env(): NodeJS.ProcessEnv {
    return {
      PATH: `${this.bin}:${this.system}`,
      FAKE_LOG: this.log,
      FAKE_RULES: this.rulesFile,
      HOME: this.dir,
    };
  }

  /** Adds rules that take precedence over the ones already there. */
  prepend(...rules: FakeRule[]): void {
    this.rules = [...rules, ...this.rules];
    this.writeRules();
  }

  append(...rules: FakeRule[]): void {
    this.rules = [...this.rules, ...rules];
    this.writeRules();
  }

  /** Writes a file in the fake directory (for "@FILE" outputs and effects); returns its path. */
  file(name: string, content: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, content);
    return path;
  }

  /** Every call so far, each as "tool arg1 arg2 ...". */
  calls(): string[] {
    return this.argvs().map((a) => a.join(" "));
  }

  argvs(): string[][] {
    return readFileSync(this.log, "utf8")
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => l.split("\t"));
  }

  clearLog(): void {
    writeFileSync(this.log, "");
  }

  cleanup(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }

  private writeRules(): void {
    const lines = this.rules.map((r) => {
      for (const field of [r.glob, r.output ?? ""]) {
        if (/[|\n]/.test(field)) throw new Error(`fake rule fields cannot contain '|' or newlines: ${field}`);
      }
      return `${r.glob}|${r.code ?? 0}|${r.output ?? ""}|${r.effect ?? ""}\n`;
    });
    writeFileSync(this.rulesFile, lines.join(""));
  }
}
