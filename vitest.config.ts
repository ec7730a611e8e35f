import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    environment: "edge-runtime",
    server: { deps: { inline: ["convex-test"] } },
    include: ["src/**/*.test.ts", "example/**/*.test.ts", "test/**/*.test.ts"],
    testTimeout: 30_000,
  },
});
