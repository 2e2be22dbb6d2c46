// `npm run report [RESULTS_DIR [OUT_DIR]]`: the Allure HTML report of the last run (default reports/allure-results
// -> reports/allure-report), generated offline by Allure 3.
import { join } from "node:path";
import { PACKAGE_ROOT } from "../cli/paths.ts";
import { generateAllureHtml } from "./report.ts";

const [
  results = join(PACKAGE_ROOT, "reports", "allure-results"),
  out = join(PACKAGE_ROOT, "reports", "allure-report"),
] = process.argv.slice(2);
try {
  console.log(`wrote ${await generateAllureHtml(results, out)}`);
} catch (err) {
  console.error(`error: ${(err as Error).message}`);
  process.exitCode = 1;
}
