import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import { runCli, uniqueLabName } from "../../lab/testing/lab-fixture.ts";
import { jsonSchemaText, SCHEMAS } from "./commands/schema.ts";

describe("ovslab CLI", () => {
  it("ships JSON Schemas that match the zod schemas (run 'npm run schemas' after changing a format)", async () => {
    for (const [kind, { file }] of Object.entries(SCHEMAS)) {
      expect(await readFile(file, "utf8"), `${file} is stale`).toBe(
        jsonSchemaText(kind as keyof typeof SCHEMAS),
      );
    }
  });

  it("answers --help for every command", async () => {
    for (const cmd of ["up", "down", "status", "exec", "ping", "validate", "schema"]) {
      const res = await runCli([cmd, "--help"]);
      expect(res.code, cmd).toBe(0);
      expect(res.stdout, cmd).toMatch(new RegExp(`^Usage: ovslab ${cmd}`));
    }
  });

  it("exits 2 on usage mistakes and 1 when the lab does not exist", async () => {
    const bogus = await runCli(["frobnicate"]);
    expect(bogus.code).toBe(2);
    expect(bogus.stderr).toMatch(/unknown command 'frobnicate'/);
    const target = await runCli(["exec", "--name", "nolab", "vm/x", "--", "true"]);
    expect(target.code).toBe(2);
    expect(target.stderr).toMatch(/bad target "vm\/x": use node\/NODE, ext\/NAME or pod\/NAMESPACE\/NAME/);
    const name = uniqueLabName();
    const status = await runCli(["status", "--name", name]);
    expect(status.code).toBe(1);
    expect(status.stderr).toContain(`no lab named "${name}"`);
    const exec = await runCli(["exec", "--name", name, "node/worker", "--", "true"]);
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain(`no lab named "${name}" is running`);
    const down = await runCli(["down", "--name", name]);
    expect(down.code).toBe(0);
    expect(down.stdout).toContain(`lab ${name} does not exist; nothing to remove`);
  });
});
