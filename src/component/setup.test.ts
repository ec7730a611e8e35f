/// <reference types="vite/client" />
/**
 * The one setup of the component's own tests: convex-test over the
 * component's schema and modules, with Convex's real transaction limits on
 * (or tighter ones, to make a limit easy to reach).
 */
import { convexTest } from "convex-test";
import { test } from "vitest";
import type { Doc } from "./_generated/dataModel.js";
import schema from "./schema.js";

export const modules = import.meta.glob("./**/*.ts");

export function initConvexTest(transactionLimits: boolean | Record<string, number> = true) {
  return convexTest({ schema, modules, transactionLimits });
}
export type T = ReturnType<typeof initConvexTest>;

/** A stored background cleanup run with nothing done yet; `fields` overrides (status, clock, loop fields ...). */
export function cleanupRun(now: number, fields: Partial<Doc<"retentionRuns">> = {}) {
  return {
    status: "running" as const,
    olderThanDays: 90,
    preserveSeverity: [],
    batchSize: 4,
    now,
    cursor: null,
    seq: 0,
    batches: 0,
    scanned: 0,
    deleted: 0,
    skippedHeld: 0,
    skippedNotRolledUp: 0,
    documentsRead: 0,
    bytesRead: 0,
    documentsWritten: 0,
    startedAt: now,
    updatedAt: now,
    ...fields,
  };
}

test("setup", () => {});
