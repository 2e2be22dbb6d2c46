// Where steps put evidence (manifests, probe outputs, matrices, flow dumps): files under the run's artifacts
// directory, one folder per scenario step, and, when the run writes Allure results, attachments and sub-steps of
// the running test.
import { rmSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import * as allure from "allure-js-commons";

export interface ArtifactSink {
  /** Records one piece of evidence under `name` (e.g. "flows-worker.txt"). */
  attach(name: string, content: string, contentType?: string): Promise<void>;
  /** Runs `fn` as a named sub-step in reports. */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export class ArtifactFiles implements ArtifactSink {
  private folder: string;
  private count = 0;

  constructor(
    private readonly root: string,
    private readonly allureResults: boolean,
  ) {
    this.folder = root;
  }

  /** Later attachments go to ROOT/SCENARIO/STEP, emptied first (no leftovers of an earlier run). */
  enter(scenario: string, step: string): void {
    this.folder = join(this.root, safeName(scenario), safeName(step));
    rmSync(this.folder, { recursive: true, force: true });
    this.count = 0;
  }

  async attach(name: string, content: string, contentType = "text/plain"): Promise<void> {
    await mkdir(this.folder, { recursive: true });
    this.count++;
    await writeFile(join(this.folder, `${String(this.count).padStart(2, "0")}-${safeName(name)}`), content);
    if (this.allureResults) await allure.attachment(name, content, contentType);
  }

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.allureResults ? allure.step(name, () => fn()) : fn();
  }
}

function safeName(text: string): string {
  return text.replace(/[^\w.-]+/g, "_").slice(0, 100);
}
