/**
 * Client side of retention: thin wrappers that type the component's cleanup,
 * policy and legal-hold functions for the `AuditLog` class. The component
 * checks every argument; nothing here can skip those checks.
 */
import type { Auth, GenericActionCtx, GenericDataModel, PaginationOptions } from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import type { Category, Severity } from "../shared/validators.js";

type RunMutationCtx = Pick<GenericActionCtx<GenericDataModel>, "runMutation"> & { auth?: Auth };
type RunQueryCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery">;

export type CleanupOptions = {
  /**
   * Delete events whose `timestamp` is more than this many days old (an integer,
   * 1 to 36,500). Stored policies still apply on top: a call never deletes an
   * event a policy keeps longer. Leave it out to apply the stored policies only.
   */
  olderThanDays?: number;
  /** Severities never deleted, e.g. `["critical"]`. */
  preserveSeverity?: Severity[];
  /** Documents read per call (1 to 4,000; default 100 for `cleanup`, 1,000 for a background run). */
  batchSize?: number;
};

export type CleanupTally = {
  /** Documents read by the scan. Progress is counted in these, not in deletions. */
  scanned: number;
  deleted: number;
  /** Expired, but a legal hold matched. */
  skippedHeld: number;
  /** Expired, but not yet folded into the statistics rollups (deleted by a later run). */
  skippedNotRolledUp: number;
};

export type CleanupBatchResult = CleanupTally & {
  isDone: boolean;
  /** Pass back as `cursor` for the next batch of the same run. */
  continueCursor: string;
  /** The run's clock: an event expires when its timestamp is before now − days. */
  now: number;
  /** Totals since the run's first batch. */
  run: CleanupTally;
};

export type CleanupRun = CleanupTally & {
  _id: string;
  status: "running" | "done" | "canceled" | "abandoned";
  olderThanDays?: number;
  preserveSeverity: Severity[];
  batchSize: number;
  now: number;
  batches: number;
  /** What the run's batches cost, as Convex counted it (a delete reads and writes its document). */
  documentsRead: number;
  bytesRead: number;
  documentsWritten: number;
  startedAt: number;
  updatedAt: number;
  finishedAt?: number;
};

export type RetentionPolicyArgs =
  | { category: Category; action?: never; days: number | null }
  | { action: string; category?: never; days: number | null }
  | { category?: never; action?: never; days: number | null };

export type RetentionPolicies = {
  defaultDays: number | null;
  categories: { category: Category; days: number }[];
  actions: { action: string; days: number }[];
};

export type HoldTarget =
  | { tenantId: string; actorId?: never; resourceType?: never; resourceId?: never }
  | { actorId: string; tenantId?: never; resourceType?: never; resourceId?: never }
  | { resourceType: string; resourceId: string; tenantId?: never; actorId?: never };

export type LegalHold = {
  _id: string;
  active: boolean;
  tenantId?: string;
  actorId?: string;
  resourceType?: string;
  resourceId?: string;
  reason?: string;
  placedBy?: string;
  placedAt: number;
  releasedBy?: string;
  releasedAt?: number;
};

/** Who changes a policy or a hold: the caller's `by`, else the authenticated user. */
async function whoIsCalling(ctx: RunMutationCtx, by: string | undefined): Promise<string | undefined> {
  if (by !== undefined) return by;
  const identity = ctx.auth ? await ctx.auth.getUserIdentity() : null;
  return identity?.subject;
}

const withBy = <T extends object>(args: T, by: string | undefined) => (by === undefined ? args : { ...args, by });

export async function cleanup(component: ComponentApi, ctx: RunMutationCtx, args: CleanupOptions): Promise<number> {
  const result = await ctx.runMutation(component.retention.cleanup, args);
  return result.deleted;
}

export async function cleanupBatch(
  component: ComponentApi,
  ctx: RunMutationCtx,
  args: CleanupOptions & { cursor: string | null },
): Promise<CleanupBatchResult> {
  return await ctx.runMutation(component.retention.cleanup, args);
}

export async function startCleanup(
  component: ComponentApi,
  ctx: RunMutationCtx,
  args: CleanupOptions,
): Promise<{ runId: string; alreadyRunning: boolean }> {
  return await ctx.runMutation(component.retention.startCleanup, args);
}

export async function cancelCleanup(component: ComponentApi, ctx: RunMutationCtx, runId: string): Promise<boolean> {
  return await ctx.runMutation(component.retention.cancelCleanup, { runId });
}

export async function getCleanupRun(component: ComponentApi, ctx: RunQueryCtx, runId: string): Promise<CleanupRun | null> {
  return (await ctx.runQuery(component.retention.getCleanupRun, { runId })) as CleanupRun | null;
}

export async function listCleanupRuns(
  component: ComponentApi,
  ctx: RunQueryCtx,
  paginationOpts: PaginationOptions,
): Promise<{ page: CleanupRun[]; isDone: boolean; continueCursor: string }> {
  return (await ctx.runQuery(component.retention.listCleanupRuns, { paginationOpts })) as {
    page: CleanupRun[];
    isDone: boolean;
    continueCursor: string;
  };
}

export async function setRetentionPolicy(
  component: ComponentApi,
  ctx: RunMutationCtx,
  args: RetentionPolicyArgs & { by?: string },
): Promise<void> {
  const { by, ...rest } = args;
  await ctx.runMutation(component.retention.setRetentionPolicy, withBy(rest, await whoIsCalling(ctx, by)));
}

export async function getRetentionPolicies(component: ComponentApi, ctx: RunQueryCtx): Promise<RetentionPolicies> {
  return (await ctx.runQuery(component.retention.getRetentionPolicies, {})) as RetentionPolicies;
}

export async function placeHold(
  component: ComponentApi,
  ctx: RunMutationCtx,
  args: HoldTarget & { reason?: string; by?: string },
): Promise<string> {
  const { by, ...rest } = args;
  return await ctx.runMutation(component.retention.placeHold, withBy(rest, await whoIsCalling(ctx, by)));
}

export async function releaseHold(
  component: ComponentApi,
  ctx: RunMutationCtx,
  args: { holdId: string; by?: string },
): Promise<boolean> {
  return await ctx.runMutation(component.retention.releaseHold, withBy({ holdId: args.holdId }, await whoIsCalling(ctx, args.by)));
}

export async function listHolds(
  component: ComponentApi,
  ctx: RunQueryCtx,
  args: { paginationOpts: PaginationOptions; includeReleased?: boolean },
): Promise<{ page: LegalHold[]; isDone: boolean; continueCursor: string }> {
  return await ctx.runQuery(component.retention.listHolds, args);
}
