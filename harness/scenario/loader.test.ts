// Loading trees of scenario files, selecting by name, tag and shard.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidInputError } from "../../lab/common/source-file.ts";
import { ExitError } from "../cli/exit.ts";
import { type LoadedScenario, loadScenarios, parseShard, selectScenarios, shardOf } from "./loader.ts";

const root = mkdtempSync(join(tmpdir(), "ovslab-scenario-loader-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function write(path: string, text: string): string {
  const file = join(root, path);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}

function scenario(name: string, extra = ""): string {
  return [
    "apiVersion: ovslab.dev/v1alpha1",
    "kind: Scenario",
    `metadata: { name: ${name}${extra} }`,
    "spec:",
    "  steps:",
    "  - apply: { file: ../manifests/cm.yaml }",
    "",
  ].join("\n");
}

const tree = join(root, "tree");
write("tree/manifests/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n");
write("tree/np/np-allow.yaml", scenario("np-allow", ", tags: [smoke], labels: { area: networkpolicy }"));
write("tree/np/np-deny.yml", scenario("np-deny", ", labels: { area: networkpolicy }"));
write("tree/egress/egress-ip.yaml", scenario("egress-ip", ", tags: [smoke, slow], labels: { area: egress }"));
write("tree/traceflow/tf-basic.yaml", scenario("tf-basic"));
write("tree/notes.txt", "kind: Scenario\n");

const names = (list: readonly LoadedScenario[]) => list.map((s) => s.name);

describe("scenario loader", () => {
  it("finds every kind: Scenario file in a tree (not manifests), sorted by path, manifests resolved beside them", async () => {
    const { scenarios, found } = await loadScenarios([tree]);
    expect(found).toBe(4);
    expect(names(scenarios)).toEqual(["egress-ip", "np-allow", "np-deny", "tf-basic"]);
    expect(scenarios[1]!.dir).toBe(join(tree, "np"));
    // a named file is loaded even when it is also inside a named directory, once
    const again = await loadScenarios([join(tree, "np", "np-deny.yml"), tree]);
    expect(again.found).toBe(4);
  });

  it("selects by --grep on the name and by --tag (tags, or key=value labels; all must match)", async () => {
    const { scenarios } = await loadScenarios([tree]);
    expect(names(selectScenarios(scenarios, { grep: "^np-" }))).toEqual(["np-allow", "np-deny"]);
    expect(names(selectScenarios(scenarios, { tag: "smoke" }))).toEqual(["egress-ip", "np-allow"]);
    expect(names(selectScenarios(scenarios, { tag: ["smoke", "slow"] }))).toEqual(["egress-ip"]);
    expect(names(selectScenarios(scenarios, { tag: "area=networkpolicy" }))).toEqual(["np-allow", "np-deny"]);
    expect(names(selectScenarios(scenarios, { grep: "deny", tag: "area=networkpolicy" }))).toEqual([
      "np-deny",
    ]);
    expect(() => selectScenarios(scenarios, { grep: "(" })).toThrow(ExitError);
  });

  it("shards exactly: every item in one shard of N, for every N, the same way every time", () => {
    const items = Array.from({ length: 23 }, (_, i) => `s${String(i).padStart(2, "0")}`);
    for (let n = 1; n <= 7; n++) {
      const shards = Array.from({ length: n }, (_, i) => shardOf(items, i + 1, n));
      expect(shards.flat().sort()).toEqual(items);
      expect(new Set(shards.flat()).size).toBe(items.length);
      expect(
        Math.max(...shards.map((s) => s.length)) - Math.min(...shards.map((s) => s.length)),
      ).toBeLessThanOrEqual(1);
      expect(Array.from({ length: n }, (_, i) => shardOf(items, i + 1, n))).toEqual(shards);
    }
  });

  it("shards loaded scenarios by sorted path and rejects malformed shard specs with exit code 2", async () => {
    const all = names((await loadScenarios([tree])).scenarios);
    const parts = await Promise.all(
      [1, 2, 3].map(async (i) => names((await loadScenarios([tree], { shard: `${i}/3` })).scenarios)),
    );
    expect(parts).toEqual([["egress-ip", "tf-basic"], ["np-allow"], ["np-deny"]]);
    expect(parts.flat().sort()).toEqual(all);
    expect(parseShard("2/4")).toEqual({ index: 2, count: 4 });
    for (const bad of ["0/3", "4/3", "1/0", "1", "a/b"]) {
      const err = (() => {
        try {
          parseShard(bad);
        } catch (e) {
          return e;
        }
      })();
      expect(err, bad).toBeInstanceOf(ExitError);
      expect((err as ExitError).exitCode).toBe(2);
    }
  });

  it("reports every bad file of a tree and duplicate names, with positions", async () => {
    write("bad/a.yaml", scenario("same"));
    write("bad/b.yaml", scenario("same"));
    write(
      "bad/c.yaml",
      "apiVersion: ovslab.dev/v1alpha1\nkind: Scenario\nmetadata: { name: c }\nspec: { steps: [ }\n",
    );
    write("bad/d.yaml", scenario("d").replace("cm.yaml", "nope.yaml"));
    write("manifests/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: { name: cm }\n");
    const err = await loadScenarios([join(root, "bad")]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInputError);
    const lines = (err as InvalidInputError).problems.map(
      (p) => `${basename(p.file)}:${p.line}:${p.column}: ${p.message}`,
    );
    expect(lines).toEqual([
      "c.yaml:4:18: Flow sequence in block collection must be sufficiently indented and end with a ]",
      "c.yaml:4:19: Flow map in block collection must be sufficiently indented and end with a }",
      `d.yaml:6:20: manifest ${join(root, "manifests", "nope.yaml")}: no such file`,
      `b.yaml:3:19: scenario name "same" is also used by ${join(root, "bad", "a.yaml")}`,
    ]);
    await expect(loadScenarios([join(root, "nowhere")])).rejects.toThrow("no such file or directory");
    await expect(loadScenarios([join(root, "manifests")])).rejects.toThrow(
      "no scenario files (kind: Scenario) found",
    );
  });
});
