/**
 * Statistics: `getStats` (statsRead.ts) and the rollup loop that feeds it
 * (rollup.ts). The functions here are the registered entry points; the
 * chain schedules itself by the path `stats.rollupChain`.
 */
import { v } from "convex/values";
import { internalMutation, mutation, query } from "./_generated/server.js";
import { vRollupResult, vStats, vStatsStatus } from "../shared/stats.js";
import { ensureCursorKey } from "./cursor.js";
import { rollupBatch, rollupChain as rollupChainHandler } from "./rollup.js";
import { actorStats } from "./actorStats.js";
import { getStatsHandler, statsStatus } from "./statsRead.js";

export const getStats = query({
  args: {
    fromTimestamp: v.optional(v.number()),
    toTimestamp: v.optional(v.number()),
    tenantId: v.optional(v.string()),
    /** One actor's own statistics, counted from their events (actorStats.ts). */
    actorId: v.optional(v.string()),
    topK: v.optional(v.number()),
  },
  returns: vStats,
  handler: async (ctx, { actorId, ...args }) =>
    actorId === undefined ? await getStatsHandler(ctx, args) : await actorStats(ctx, { ...args, actorId }),
});

/** Where the loop is: for dashboards, tests and retention. */
export const status = query({
  args: {},
  returns: vStatsStatus,
  handler: statsStatus,
});

/**
 * One batch, on demand (tests, backfills, an app's own schedule). Call again
 * until `caughtUp`. `settleMs: 0` folds events the moment they exist: only
 * safe when no mutation that logs can still be running (tests, imports).
 */
export const rollup = mutation({
  args: { maxEvents: v.optional(v.number()), settleMs: v.optional(v.number()) },
  returns: vRollupResult,
  handler: async (ctx, args) => {
    await ensureCursorKey(ctx);
    return await rollupBatch(ctx, args);
  },
});

/** One batch of the chain the cron starts (rollup.ts); it schedules the next while there is more. */
export const rollupChain = internalMutation({
  args: { scale: v.number() },
  returns: vRollupResult,
  handler: rollupChainHandler,
});
