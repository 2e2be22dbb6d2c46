// HTML report from Allure results with Allure 3 (pure JavaScript, works offline): `allure generate`.
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { run } from "../../images/common/exec.ts";

/** allure's command-line entry (the package exports no package.json, so go from its main module). */
const ALLURE_CLI = join(dirname(createRequire(import.meta.url).resolve("allure")), "..", "cli.js");

/** Writes the report (index.html and its data) to `outDir` and returns the path of index.html. */
export async function generateAllureHtml(resultsDir: string, outDir: string): Promise<string> {
  const results = resolve(resultsDir);
  const out = resolve(outDir);
  if (!existsSync(results)) throw new Error(`no Allure results in ${results}`);
  // --cwd: allure reads an allurerc from its working directory; the results directory has none.
  await run([process.execPath, ALLURE_CLI, "generate", results, "-o", out, "--cwd", results], {
    timeoutMs: 120_000,
  });
  const index = join(out, "index.html");
  if (!existsSync(index)) throw new Error(`allure generate wrote no ${index}`);
  return index;
}
