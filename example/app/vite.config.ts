/**
 * The example dashboard. `vite build example/app` (or the local runtime's
 * build with `root: example/app`) writes example/app/dist with relative asset
 * paths, so the built app can be served from any path.
 */
import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "./",
  resolve: {
    // The package's React code from source: no `npm run build` needed before the app builds.
    alias: [{ find: /^convex-audit-log\/react$/, replacement: fileURLToPath(new URL("../../src/react/index.ts", import.meta.url)) }],
  },
  build: { outDir: "dist", emptyOutDir: true },
});
