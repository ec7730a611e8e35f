/**
 * Cleanup, the three ways it runs, on top of one batch (retentionScan.ts):
 *
 * - a direct call with no cursor resumes the sweep the previous call with
 *   the same arguments left (stored in `retentionSweeps`), so repeated calls
 *   sweep the whole log even when the oldest rows are held;
 * - a direct call with a cursor is one batch of a run the caller drives;
 * - a background run is a loop (loop.ts) of scheduled batches, one at a
 *   time, until nothing expired is left.
 *
 * Every completed run that deleted something leaves one summary event, so
 * every deletion of audit data is itself audited.
 */
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { AuditActions } from "../shared/catalog.js";
import { RETENTION_LIMITS, type CleanupBatchResult } from "../shared/retention.js";
import { ensureCursorKey } from "./cursor.js";
import { logEvents } from "./log.js";
import { isCurrentStep, nextStep, recovery, shrunk } from "./loop.js";
import {
  checkArgs,
  decodeCleanupCursor,
  emptyTally,
  runBatch,
  severitiesOf,
  startPosition,
  type Checked,
  type CleanupArgs,
  type Position,
  type Tally,
} from "./retentionScan.js";

type Run = Doc<"retentionRuns">;

/** The one event a completed run leaves behind. */
async function logRunSummary(
  ctx: MutationCtx,
  mode: "direct" | "background",
  checked: Pick<Checked, "olderThanDays" | "preserve">,
  now: number,
  tally: Tally,
  extra: Record<string, number | string> = {},
): Promise<void> {
  await logEvents(
    ctx,
    [
      {
        action: AuditActions.AUDIT_RETENTION_RUN,
        actor: { type: "system" },
        summary: `Retention ${mode === "background" ? "run" : "cleanup"} deleted ${tally.deleted} expired events`,
        metadata: { mode, now, olderThanDays: checked.olderThanDays ?? null, preserveSeverity: checked.preserve, ...tally, ...extra },
      },
    ],
    {},
    () => "",
  );
}

/**
 * Where the stored sweep stopped, measured from a fresh clock (a sweep may
 * span days of calls). A stored position this version cannot read (written by
 * an older one) starts a new sweep rather than failing every call.
 */
async function resumeSweep(ctx: MutationCtx, checked: Checked, cursor: string): Promise<Position | null> {
  try {
    return { ...(await decodeCleanupCursor(ctx, checked.shape, cursor, severitiesOf(checked))), now: Date.now() };
  } catch {
    return null;
  }
}

export async function cleanup(ctx: MutationCtx, args: CleanupArgs & { cursor?: string | null }): Promise<CleanupBatchResult> {
  const checked = checkArgs(args, RETENTION_LIMITS.defaultBatchSize);
  await ensureCursorKey(ctx);
  const fresh = () => startPosition(checked, Date.now());

  if (args.cursor !== undefined) {
    // The caller holds the cursor: a run is from `cursor: null` to isDone.
    const at = args.cursor === null ? fresh() : await decodeCleanupCursor(ctx, checked.shape, args.cursor, severitiesOf(checked));
    const result = await runBatch(ctx, checked, at);
    if (result.isDone && result.run.deleted > 0) await logRunSummary(ctx, "direct", checked, result.now, result.run);
    return result;
  }

  // No cursor in, a count out: resume where the previous call with the same
  // arguments stopped; a completed sweep starts over.
  const sweep = await ctx.db
    .query("retentionSweeps")
    .withIndex("by_shape", (q) => q.eq("shape", checked.shape))
    .first();
  const at = sweep === null ? fresh() : ((await resumeSweep(ctx, checked, sweep.cursor)) ?? fresh());
  const result = await runBatch(ctx, checked, at);
  if (result.isDone) {
    if (sweep !== null) await ctx.db.delete(sweep._id);
    if (result.run.deleted > 0) await logRunSummary(ctx, "direct", checked, result.now, result.run);
  } else if (sweep === null) {
    await ctx.db.insert("retentionSweeps", { shape: checked.shape, cursor: result.continueCursor, updatedAt: Date.now() });
  } else {
    await ctx.db.patch(sweep._id, { cursor: result.continueCursor, updatedAt: Date.now() });
  }
  return result;
}

// ---- Background runs ----------------------------------------------------------

async function activeRun(ctx: QueryCtx) {
  return await ctx.db
    .query("retentionRuns")
    .withIndex("by_status", (q) => q.eq("status", "running"))
    .first();
}

/** Starts a background run, unless one is going; a stalled one (loop.ts) is abandoned for the new one. */
export async function startRun(ctx: MutationCtx, args: CleanupArgs): Promise<{ runId: string; alreadyRunning: boolean }> {
  const checked = checkArgs(args, RETENTION_LIMITS.defaultRunBatchSize);
  await ensureCursorKey(ctx);
  const now = Date.now();
  // Reading the "running" range makes two concurrent starts conflict (OCC):
  // one commits, the other retries and finds the run.
  const running = await activeRun(ctx);
  if (running !== null) {
    if ((await recovery(ctx, running, now)) === "wait") return { runId: running._id, alreadyRunning: true };
    await ctx.db.patch(running._id, { status: "abandoned", finishedAt: now, updatedAt: now, job: undefined });
  }
  const runId = await ctx.db.insert("retentionRuns", {
    status: "running",
    olderThanDays: checked.olderThanDays,
    preserveSeverity: checked.preserve,
    batchSize: checked.batchSize,
    now,
    cursor: null,
    seq: 0,
    batches: 0,
    ...emptyTally(),
    documentsRead: 0,
    bytesRead: 0,
    documentsWritten: 0,
    startedAt: now,
    updatedAt: now,
  });
  await ctx.scheduler.runAfter(0, internal.retention.runCleanupBatch, { runId, seq: 0 });
  return { runId, alreadyRunning: false };
}

/** One scheduled batch of a run: does its work and records it with the next batch's job, in one write. */
export async function runStep(ctx: MutationCtx, { runId, seq }: { runId: Id<"retentionRuns">; seq: number }): Promise<null> {
  const m0 = await ctx.meta.getTransactionMetrics();
  const run = await ctx.db.get(runId);
  // A canceled run, or a duplicate of a batch that already ran, stops here.
  if (!isCurrentStep(run, seq)) return null;
  await ensureCursorKey(ctx);
  const checked = checkArgs(
    { olderThanDays: run!.olderThanDays, preserveSeverity: run!.preserveSeverity, batchSize: run!.batchSize },
    RETENTION_LIMITS.defaultRunBatchSize,
  );
  const at: Position =
    run!.cursor === null ? startPosition(checked, run!.now) : await decodeCleanupCursor(ctx, checked.shape, run!.cursor, severitiesOf(checked));
  const result = await runBatch(ctx, checked, at, run!.scale);
  const m1 = await ctx.meta.getTransactionMetrics();
  const now = Date.now();
  // This batch's own cost (the run document's patch below adds one write).
  const totals = {
    ...result.run,
    cursor: result.continueCursor,
    batches: run!.batches + 1,
    documentsRead: run!.documentsRead + (m1.documentsRead.used - m0.documentsRead.used),
    bytesRead: run!.bytesRead + (m1.bytesRead.used - m0.bytesRead.used),
    documentsWritten: run!.documentsWritten + (m1.documentsWritten.used - m0.documentsWritten.used) + 1,
  };
  if (result.isDone) {
    await ctx.db.patch(runId, { ...totals, ...nextStep(run!, undefined, now), status: "done", finishedAt: now });
    await logRunSummary(ctx, "background", checked, run!.now, result.run, { runId, batches: totals.batches, documentsRead: totals.documentsRead });
    return null;
  }
  const job = await ctx.scheduler.runAfter(0, internal.retention.runCleanupBatch, { runId, seq: seq + 1 });
  await ctx.db.patch(runId, { ...totals, ...nextStep(run!, job, now) });
  return null;
}

async function endRun(ctx: MutationCtx, run: Run, status: "canceled" | "abandoned"): Promise<void> {
  const now = Date.now();
  await ctx.db.patch(run._id, { status, updatedAt: now, finishedAt: now, job: undefined });
  const { scanned, deleted, skippedHeld, skippedNotRolledUp } = run;
  await logRunSummary(
    ctx,
    "background",
    { olderThanDays: run.olderThanDays, preserve: run.preserveSeverity },
    run.now,
    { scanned, deleted, skippedHeld, skippedNotRolledUp },
    { runId: run._id, [status]: 1, batches: run.batches, documentsRead: run.documentsRead },
  );
}

/** Stops a run after its current batch. False if it had already ended. */
export async function cancelRun(ctx: MutationCtx, run: Run): Promise<boolean> {
  if (run.status !== "running") return false;
  await endRun(ctx, run, "canceled");
  return true;
}

/** The cron's part (loop.ts): resume a stalled run at half its batch size; abandon one that stalled at the smallest. */
export async function recoverRuns(ctx: MutationCtx, now: number): Promise<void> {
  const run = await activeRun(ctx);
  if (run === null) return;
  const action = await recovery(ctx, run, now);
  if (action === "give up") await endRun(ctx, run, "abandoned");
  else if (action === "resume") {
    const job = await ctx.scheduler.runAfter(0, internal.retention.runCleanupBatch, { runId: run._id, seq: run.seq });
    await ctx.db.patch(run._id, { job, scale: shrunk(run.scale), updatedAt: now });
  }
}
