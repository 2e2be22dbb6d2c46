// The kind workflow and the Dockerfiles are not run here; these checks keep them loadable and pointing only at
// what the repository provides.
import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";
import { KIND_VERSION } from "./kind-cli.ts";

const root = new URL("../../", import.meta.url).pathname;
const read = (path: string) => readFileSync(`${root}${path}`, "utf8");

const Step = z.strictObject({
  name: z.string().optional(),
  if: z.string().optional(),
  uses: z.string().optional(),
  with: z.record(z.string(), z.unknown()).optional(),
  run: z.string().optional(),
});
const Workflow = z.object({
  name: z.string(),
  on: z.object({
    workflow_dispatch: z.null(),
    push: z.object({ branches: z.array(z.string()) }),
  }),
  jobs: z.record(
    z.string(),
    z.object({ "runs-on": z.string(), env: z.record(z.string(), z.string()), steps: z.array(Step) }),
  ),
});

const workflow = Workflow.parse(parse(read(".github/workflows/kind.yml")));
const job = Object.values(workflow.jobs)[0]!;
const runs = job.steps.flatMap((s) => (s.run ? [s.run] : []));

describe(".github/workflows/kind.yml", () => {
  it("runs on demand and on pushes to main, with the pinned kind", () => {
    expect(workflow.on.push.branches).toEqual(["main"]);
    expect(job.env.KIND_VERSION).toBe(KIND_VERSION);
  });

  it("uses only the standard GitHub actions", () => {
    const uses = job.steps.flatMap((s) => (s.uses ? [s.uses] : []));
    expect(uses).toEqual(["actions/checkout@v4", "actions/setup-node@v4", "actions/upload-artifact@v4"]);
  });

  it("runs only the project's own entry points and files", () => {
    const words = runs
      .join("\n")
      .split(/\s+/)
      .map((w) => w.replace(/^"|"$/g, ""));
    const paths = words.filter((w) => /^(lab|harness|scenarios|images|\.ci)\//.test(w));
    expect(paths).toContain("harness/cli/ovslab.mjs");
    expect(paths).toContain("lab/topologies/kind.yaml");
    for (const p of paths) expect(existsSync(`${root}${p}`), p).toBe(true);
    for (const [i, w] of words.entries()) {
      if (w === "node") expect(words[i + 1]).toBe("harness/cli/ovslab.mjs");
      if (w === "npx")
        expect(existsSync(`${root}node_modules/.bin/${words[i + 1]}`), words[i + 1]).toBe(true);
      if (w === "npm") expect(words[i + 1]).toBe("ci");
    }
    expect(existsSync(`${root}package-lock.json`)).toBe(true);
  });

  it("brings the lab up before the scenarios and always takes it down last", () => {
    const index = (re: RegExp) => job.steps.findIndex((s) => s.run && re.test(s.run));
    expect(index(/ovslab\.mjs up .*-t lab\/topologies\/kind\.yaml/)).toBeGreaterThan(
      index(/modprobe openvswitch/),
    );
    expect(index(/ovslab\.mjs run scenarios\/ .*--junit .*--allure/)).toBeGreaterThan(
      index(/ovslab\.mjs up /),
    );
    const down = job.steps.at(-1)!;
    expect(down.run).toMatch(/ovslab\.mjs down --name/);
    expect(down.if).toBe("always()");
    expect(job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))?.if).toBe("always()");
  });
});

describe("Dockerfiles", () => {
  const files = ["images/node/Dockerfile", "images/node/stack.Dockerfile"];

  it("build from pinned images only", () => {
    for (const file of files) {
      const from = [...read(file).matchAll(/^FROM\s+(\S+)/gm)].map((m) => m[1]!);
      expect(from.length, file).toBeGreaterThan(0);
      for (const image of from) expect(image, file).toMatch(/^[\w./-]+:v?\d+\.\d+\.\d+[\w.-]*$/);
    }
  });

  it("copy only what the repository has", () => {
    for (const file of files) {
      const sources = [...read(file).matchAll(/^COPY\s+(?!--from)(.+)\s+\S+$/gm)].flatMap((m) =>
        m[1]!.split(/\s+/),
      );
      for (const s of sources) expect(existsSync(`${root}${s}`), `${file}: ${s}`).toBe(true);
    }
  });
});
