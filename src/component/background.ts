/**
 * The component's cron target (crons.ts, every minute): it keeps every
 * background loop going, by loop.ts's one recovery rule. The statistics
 * rollup and the sealing loop get a chain of steps whenever none is pending or running; a
 * stalled cleanup run or export is resumed at half size, or stopped once it
 * stalled at the smallest.
 */
import { v } from "convex/values";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { recoverRuns } from "./cleanupRuns.js";
import { ensureCursorKey } from "./cursor.js";
import { recoverExports } from "./reportExport.js";
import { rollupTick } from "./rollup.js";
import { sealTick } from "./sealing.js";

export async function tickHandler(
  ctx: MutationCtx,
): Promise<{ rollup: "running" | "scheduled"; sealing: "running" | "scheduled" | "failed" }> {
  const now = Date.now();
  await ensureCursorKey(ctx);
  const rollup = await rollupTick(ctx);
  const sealing = await sealTick(ctx, now);
  await recoverRuns(ctx, now);
  await recoverExports(ctx, now);
  return { rollup, sealing };
}

export const tick = internalMutation({
  args: {},
  returns: v.object({
    rollup: v.union(v.literal("running"), v.literal("scheduled")),
    sealing: v.union(v.literal("running"), v.literal("scheduled"), v.literal("failed")),
  }),
  handler: tickHandler,
});
