// `-o json|table|yaml`, printed as antctl prints them: JSON indented by two spaces, YAML with sorted keys and
// unindented sequences (gopkg.in/yaml.v2), tables per table.ts.
import { stringify } from "yaml";
import { AntctlError } from "./errors.ts";

export const OUTPUT_FORMATS = ["json", "table", "yaml"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export const OUTPUT_HELP = "output format: json|table|yaml";

export function parseOutputFormat(value: string): OutputFormat {
  const format = OUTPUT_FORMATS.find((f) => f === value);
  if (!format) throw new AntctlError(`unsupported format type: ${value}`);
  return format;
}

/** `value` as JSON or YAML, or the text `table()` renders. */
export function formatOutput(format: OutputFormat, value: unknown, table: () => string): string {
  if (format === "json") return `${JSON.stringify(value ?? null, null, 2)}\n`;
  if (format === "yaml")
    return stringify(value ?? null, { sortMapEntries: true, indentSeq: false, lineWidth: 0 });
  return table();
}
