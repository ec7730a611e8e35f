import { defineConfig } from "vitest/config";

// Browser tests: Node environment (they start the local runtime and drive Chromium),
// one file at a time, and generous timeouts for a Vite build and a cold browser.
export default defineConfig({
  test: {
    environment: "node",
    include: ["test/e2e/**/*.e2e.ts"],
    testTimeout: 60_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
