import { defineConfig } from "vitest/config";

// Lab tests create real namespaces and OVS daemons; they run one file at a time so that
// figures and timeouts stay meaningful on a 2-core machine.
export default defineConfig({
  test: {
    include: ["lab/**/*.test.ts", "images/**/*.test.ts", "harness/**/*.test.ts"],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ["default", ["junit", { outputFile: "reports/junit.xml", suiteName: "ovslab" }]],
  },
});
