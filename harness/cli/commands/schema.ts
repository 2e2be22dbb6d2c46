import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { Command } from "commander";
import { z } from "zod";
import { TopologyFile } from "../../../lab/topology/schema.ts";
import { SCENARIO_SCHEMA_FILE, ScenarioFile } from "../../scenario/schema.ts";
import { ExitError } from "../exit.ts";
import { TOPOLOGIES_DIR } from "../paths.ts";

/** JSON Schemas generated from the zod schemas, and where they are shipped for editors. */
export const SCHEMAS = {
  topology: { schema: TopologyFile, file: join(TOPOLOGIES_DIR, "topology.schema.json") },
  scenario: { schema: ScenarioFile, file: SCENARIO_SCHEMA_FILE },
} as const;

export function jsonSchemaText(kind: keyof typeof SCHEMAS): string {
  const json = z.toJSONSchema(SCHEMAS[kind].schema, { io: "input", target: "draft-2020-12" });
  return `${JSON.stringify({ ...json, title: `ovslab ${kind} file` }, null, 2)}\n`;
}

export function registerSchema(program: Command): void {
  program
    .command("schema")
    .description("print the JSON Schema of a file format (for editors: # yaml-language-server: $schema=...)")
    .argument("[kind]", `one of: ${Object.keys(SCHEMAS).join(", ")}`, "topology")
    .option("--write", "regenerate the schema files shipped in the repository")
    .action(async (kind: string, opts: { write?: boolean }) => {
      if (!(kind in SCHEMAS))
        throw new ExitError(`unknown schema "${kind}" (${Object.keys(SCHEMAS).join(", ")})`, 2);
      const k = kind as keyof typeof SCHEMAS;
      if (opts.write) {
        for (const name of Object.keys(SCHEMAS) as (keyof typeof SCHEMAS)[]) {
          await writeFile(SCHEMAS[name].file, jsonSchemaText(name));
          process.stdout.write(`wrote ${SCHEMAS[name].file}\n`);
        }
      } else process.stdout.write(jsonSchemaText(k));
    });
}
