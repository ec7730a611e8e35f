/**
 * The component's cron target (crons.ts, every minute): it keeps every
 * background loop going, by loop.ts's one recovery rule. The statistics
 * rollup and the sealing loop get a chain of steps whenever none is pending or running; a
 * stalled cleanup run, export or delivery sink is resumed at half size, or
 * stopped once it stalled at the smallest; a sink with sealed events past
 * its cursor and no step on its way gets one.
 */
import { v } from "convex/values";
import { internalMutation, type MutationCtx } from "./_generated/server.js";
import { recoverRuns } from "./cleanupRuns.js";
import { ensureCursorKey } from "./cursor.js";
import { recoverSinks } from "./deliveryLoop.js";
import { recoverExports } from "./reportExport.js";
import { rollupTick } from "./rollup.js";
import { sealTick } from "./sealing.js";

export async function tickHandler(
  ctx: MutationCtx,
): Promise<{ rollup: "running" | "scheduled"; sealing: "running" | "scheduled" | "failed"; sinks: number }> {
  const now = Date.now();
  await ensureCursorKey(ctx);
  const rollup = await rollupTick(ctx);
  const sealing = await sealTick(ctx, now);
  await recoverRuns(ctx, now);
  await recoverExports(ctx, now);
  const sinks = await recoverSinks(ctx, now);
  return { rollup, sealing, sinks };
}

export const tick = internalMutation({
  args: {},
  returns: v.object({
    rollup: v.union(v.literal("running"), v.literal("scheduled")),
    sealing: v.union(v.literal("running"), v.literal("scheduled"), v.literal("failed")),
    /** Sink steps started or resumed by this tick. */
    sinks: v.number(),
  }),
  handler: tickHandler,
});
