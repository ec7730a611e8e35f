/**
 * The one way a background loop runs in this component (retention runs,
 * report exports, the statistics rollup, sealing, and each delivery sink).
 *
 * A loop is a document with a `seq` (the number of the step that may run
 * next), `updatedAt` (when a step last recorded progress), `job` (the
 * scheduled function of its next step) and `scale` (its step size, 1 = full).
 * A step is a scheduled function called with the `seq` it was scheduled
 * for. It first checks `isCurrentStep`: a step of a canceled or finished
 * loop, or a duplicate of a step that already ran, finds another number and
 * does nothing. A step that does its work records it with `nextStep` in one
 * write: its progress, `seq + 1`, the job of the step after it, and its scale
 * doubled back towards 1.
 *
 * Recovery is one rule, applied by the component's cron (background.ts):
 * a running loop whose scheduled step failed, was canceled or is gone, or
 * that recorded no progress for `stallMs`, gets its current step scheduled
 * again at half its size (down to `minScale`); one that stalls again at the
 * smallest size has failed for good and is stopped. See README.md here.
 */
import type { GenericId } from "convex/values";
import type { QueryCtx } from "./_generated/server.js";

export const LOOP_LIMITS = {
  /** No progress for this long, with no step pending or running: stalled. */
  stallMs: 10 * 60_000,
  /** The smallest step after repeated failures. */
  minScale: 1 / 64,
} as const;

export type LoopFields = {
  seq: number;
  updatedAt: number;
  job?: GenericId<"_scheduled_functions">;
  scale?: number;
};

/**
 * Whether the step numbered `seq` may run: the loop is running (its status
 * one of `running`, for loops with several running statuses such as a
 * sink's active and retrying) and no other step took this number.
 */
export function isCurrentStep(loop: (LoopFields & { status: string }) | null, seq: number, running: readonly string[] = ["running"]): boolean {
  return loop !== null && running.includes(loop.status) && loop.seq === seq;
}

/** A step size factor after a step that completed: doubled back towards full size. */
export const grown = (scale: number | undefined) => Math.min(1, (scale ?? 1) * 2);
/** After a failure: halved, down to the smallest. */
export const shrunk = (scale: number | undefined) => Math.max(LOOP_LIMITS.minScale, (scale ?? 1) / 2);

/**
 * What a completed step writes with its own progress: the next number, its
 * job, the scale grown back, the time. `job` is undefined when the loop ends.
 */
export function nextStep(loop: LoopFields, job: GenericId<"_scheduled_functions"> | undefined, now: number) {
  return { seq: loop.seq + 1, job, scale: grown(loop.scale), updatedAt: now };
}

/** Where a loop's scheduled step is: still to run or running, ended, or failed (canceled or gone too). */
export async function stepState(
  ctx: QueryCtx,
  job: GenericId<"_scheduled_functions"> | undefined,
): Promise<"waiting" | "ended" | "failed" | "unknown"> {
  if (job === undefined) return "unknown";
  const state = (await ctx.db.system.get(job))?.state.kind;
  if (state === "pending" || state === "inProgress") return "waiting";
  if (state === "success") return "ended";
  return "failed";
}

/**
 * What the cron does with a running loop: leave it (a step is on its way,
 * or progress is recent), resume it at half size, or give up on it (it
 * stalled at the smallest size already).
 */
export async function recovery(ctx: QueryCtx, loop: LoopFields, now: number): Promise<"wait" | "resume" | "give up"> {
  const state = await stepState(ctx, loop.job);
  if (state === "waiting") return "wait";
  if (state !== "failed" && now - loop.updatedAt < LOOP_LIMITS.stallMs) return "wait";
  return (loop.scale ?? 1) <= LOOP_LIMITS.minScale ? "give up" : "resume";
}
