import { join } from "node:path";
import { repoRoot } from "./runtime.js";

/** The example dashboard's Vite project. */
export const appDir = join(repoRoot, "example", "app");

/** Builds the dashboard into `outDir` (default example/app/dist) and returns it. */
export async function buildApp(outDir = join(appDir, "dist")): Promise<string> {
  // Loaded on demand: serving an existing build needs no Vite.
  const { build } = await import("vite");
  await build({ root: appDir, logLevel: "warn", build: { outDir, emptyOutDir: true } });
  return outDir;
}
