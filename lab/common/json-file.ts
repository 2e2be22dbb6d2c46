// State files written atomically (write, then rename: a crash never leaves half a file) and read back through a
// zod schema, so a damaged file is an error that names it rather than a crash somewhere later.
import { readFile, rename, writeFile } from "node:fs/promises";
import type { z } from "zod";

export async function writeFileAtomic(path: string, text: string, mode?: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text, mode === undefined ? {} : { mode });
  await rename(tmp, path);
}

/** The parsed file, undefined when it does not exist; throws "corrupt <what> <path>: ..." when it does not parse. */
export async function readJsonFile<S extends z.ZodType>(
  path: string,
  schema: S,
  what: string,
): Promise<z.output<S> | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    return schema.parse(JSON.parse(text));
  } catch (err) {
    throw new Error(`corrupt ${what} ${path}: ${(err as Error).message}`);
  }
}
