/**
 * Retention: cleanup (one batch, or a background run of batches), policies
 * and legal holds. The functions here are the registered entry points;
 * scheduled batches refer to `retention.runCleanupBatch` by this path. The
 * scan is in retentionScan.ts, the ways it runs in cleanupRuns.ts, policies
 * and holds in retentionConfig.ts.
 */
import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, mutation, query } from "./_generated/server.js";
import { checkPageSize } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import { vCleanupBatchResult, vCleanupRun, vLegalHold, vRetentionPolicies } from "../shared/retention.js";
import { vLogOptions } from "../shared/validators.js";
import { cancelRun, cleanup as cleanupHandler, runStep, startRun } from "./cleanupRuns.js";
import { getPolicies, placeHold as placeHoldHandler, releaseHold as releaseHoldHandler, setPolicy } from "./retentionConfig.js";

/** A run as callers see it: without the loop's own fields. */
const runView = ({ job: _job, scale: _scale, ...run }: Doc<"retentionRuns">) => run;

const vCleanupArgs = {
  olderThanDays: v.optional(v.number()),
  preserveSeverity: v.optional(v.array(v.string())),
  batchSize: v.optional(v.number()),
};

/**
 * One batch of deletions. Without `cursor` it continues the sweep of the
 * previous call with the same arguments; with `cursor: null` it starts a run
 * whose cursor the caller passes back until `isDone`.
 */
export const cleanup = mutation({
  args: { ...vCleanupArgs, cursor: v.optional(v.union(v.string(), v.null())) },
  returns: vCleanupBatchResult,
  handler: cleanupHandler,
});

export const startCleanup = mutation({
  args: vCleanupArgs,
  returns: v.object({ runId: v.string(), alreadyRunning: v.boolean() }),
  handler: startRun,
});

export const runCleanupBatch = internalMutation({
  args: { runId: v.id("retentionRuns"), seq: v.number() },
  returns: v.null(),
  handler: runStep,
});

export const cancelCleanup = mutation({
  args: { runId: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { runId }) => {
    const id = ctx.db.normalizeId("retentionRuns", runId);
    const run = id === null ? null : await ctx.db.get(id);
    if (run === null) throw auditError("INVALID_ARGUMENT", "no cleanup run with this id", "runId");
    return await cancelRun(ctx, run);
  },
});

export const getCleanupRun = query({
  args: { runId: v.string() },
  returns: v.union(vCleanupRun, v.null()),
  handler: async (ctx, { runId }) => {
    const id = ctx.db.normalizeId("retentionRuns", runId);
    const run = id === null ? null : await ctx.db.get(id);
    return run === null ? null : runView(run);
  },
});

export const listCleanupRuns = query({
  args: { paginationOpts: paginationOptsValidator },
  returns: v.object({ page: v.array(vCleanupRun), isDone: v.boolean(), continueCursor: v.string() }),
  handler: async (ctx, { paginationOpts }) => {
    checkPageSize(paginationOpts.numItems);
    const result = await ctx.db.query("retentionRuns").order("desc").paginate(paginationOpts);
    return { page: result.page.map(runView), isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

export const setRetentionPolicy = mutation({
  args: {
    category: v.optional(v.string()),
    action: v.optional(v.string()),
    /** null removes the policy. */
    days: v.union(v.number(), v.null()),
    by: v.optional(v.string()),
    options: v.optional(vLogOptions),
  },
  returns: v.null(),
  handler: setPolicy,
});

export const getRetentionPolicies = query({
  args: {},
  returns: vRetentionPolicies,
  handler: getPolicies,
});

export const placeHold = mutation({
  args: {
    tenantId: v.optional(v.string()),
    actorId: v.optional(v.string()),
    resourceType: v.optional(v.string()),
    resourceId: v.optional(v.string()),
    reason: v.optional(v.string()),
    by: v.optional(v.string()),
    options: v.optional(vLogOptions),
  },
  returns: v.string(),
  handler: placeHoldHandler,
});

export const releaseHold = mutation({
  args: { holdId: v.string(), by: v.optional(v.string()), options: v.optional(vLogOptions) },
  returns: v.boolean(),
  handler: releaseHoldHandler,
});

export const listHolds = query({
  args: { paginationOpts: paginationOptsValidator, includeReleased: v.optional(v.boolean()) },
  returns: v.object({ page: v.array(vLegalHold), isDone: v.boolean(), continueCursor: v.string() }),
  handler: async (ctx, { paginationOpts, includeReleased }) => {
    checkPageSize(paginationOpts.numItems);
    const q = includeReleased
      ? ctx.db.query("retentionHolds").order("desc")
      : ctx.db
          .query("retentionHolds")
          .withIndex("by_active", (b) => b.eq("active", true))
          .order("desc");
    const result = await q.paginate(paginationOpts);
    return { page: result.page, isDone: result.isDone, continueCursor: result.continueCursor };
  },
});
