/**
 * convex-test outside vitest. convex-test finds function modules through
 * `import.meta.glob`, which only exists under Vite; here the same map is built
 * from the file system so the bench runs in plain Node (via tsx) with no
 * Vite transform between it and the component code it measures.
 */
import { convexTest } from "convex-test";
import { componentsGeneric } from "convex/server";
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ComponentApi } from "../src/component/_generated/component.js";
import componentSchema from "../src/component/schema.js";
import { accelerate, type FastIndexStats } from "../dev/fastIndex.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return tsFiles(path);
    // Tests may sit beside the component's modules; they are not functions.
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") && !e.name.endsWith(".d.ts") ? [path] : [];
  });
}

/**
 * Keyed by absolute path: convex-test takes everything before "_generated" in
 * the first key that contains it as the root, then looks up `root + "log"` for
 * a function named "log:logBulk" (extension stripped).
 */
export function componentModules(): Record<string, () => Promise<unknown>> {
  const dir = join(root, "src", "component");
  // Every module is loaded now rather than on its first call: a run can take
  // long, others may commit to src/ meanwhile, and a module loaded late would
  // measure a mix of versions (a million-event run once failed at retention
  // on an export the already-loaded schema did not have yet).
  const loaded = tsFiles(dir).map((file) => [file, import(pathToFileURL(file).href)] as const);
  for (const [, module] of loaded) module.catch(() => undefined); // the error surfaces on first use
  return Object.fromEntries(loaded.map(([file, module]) => [file, () => module]));
}

export type RuntimeOptions = {
  /**
   * Serve index ranges from sorted arrays (dev/fastIndex.ts) instead of
   * convex-test's scan-and-sort of the whole table. Same documents, same
   * order, so the same counts; on unless the bench is run with --exact-runtime.
   */
  fastIndex?: boolean;
  /** Also run convex-test's own code for every query and throw on a difference (slow). */
  verifyIndex?: boolean;
};

const indexStats = new WeakMap<object, FastIndexStats>();

/** The accelerator's counters for a runtime made with `fastIndex`, if it could be installed. */
export function fastIndexStats(t: Runtime): FastIndexStats | undefined {
  return indexStats.get(t);
}

export function createRuntime(options: RuntimeOptions = {}) {
  // The bench calls no app function, but convex-test still wants a module map
  // with a "_generated" entry to locate the app root; an empty stand-in does.
  const t = convexTest({
    modules: { [join(root, "bench", "_generated", "api.ts")]: async () => ({}) },
    transactionLimits: true,
  });
  t.registerComponent("auditLog", componentSchema, componentModules());
  if (options.fastIndex || options.verifyIndex) {
    const stats = accelerate(t, { verify: options.verifyIndex });
    if (stats) indexStats.set(t, stats);
  }
  return t;
}

export type Runtime = ReturnType<typeof createRuntime>;

/** What `components.auditLog` is in an app that mounted the component as "auditLog". */
export const auditLogApi = (componentsGeneric() as unknown as { auditLog: ComponentApi }).auditLog;

/** What the transaction has cost so far, by `getTransactionMetrics` (a `measure` takes two and subtracts). */
export async function costOf(ctx: { meta: { getTransactionMetrics: () => Promise<{ documentsRead: { used: number }; bytesRead: { used: number }; documentsWritten: { used: number }; bytesWritten: { used: number }; databaseQueries: { used: number } }> } }): Promise<{ documentsRead: number; bytesRead: number; documentsWritten: number; bytesWritten: number; databaseQueries: number }> {
  const m = await ctx.meta.getTransactionMetrics();
  return {
    documentsRead: m.documentsRead.used,
    bytesRead: m.bytesRead.used,
    documentsWritten: m.documentsWritten.used,
    bytesWritten: m.bytesWritten.used,
    databaseQueries: m.databaseQueries.used,
  };
}
