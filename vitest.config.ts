import { defineConfig } from "vitest/config";

// Lab tests create real namespaces and OVS daemons; they run one file at a time so that
// figures and timeouts stay meaningful on a 2-core machine.
export default defineConfig({
  test: {
    include: ["lab/**/*.test.ts", "images/**/*.test.ts", "harness/**/*.test.ts"],
    fileParallelism: false,
    // A lab comes up in ~5-10 s on an idle 2-core machine but much slower under load; timeouts are safety nets,
    // not performance checks (those are benchmarks).
    testTimeout: 180_000,
    hookTimeout: 180_000,
    reporters: ["default", ["junit", { outputFile: "reports/junit.xml", suiteName: "ovslab" }]],
  },
});
