/**
 * Retention's documents and results, as validators: the schema, the
 * component's function signatures and the client's types all come from
 * these (component/retention.ts has the functions).
 */
import { v, type Infer } from "convex/values";
import { literals, vCategory, vSeverity } from "./validators.js";

/** A legal hold: no event of its tenant, actor or resource is deleted while it is active. */
export const retentionHoldFields = {
  active: v.boolean(),
  tenantId: v.optional(v.string()),
  actorId: v.optional(v.string()),
  resourceType: v.optional(v.string()),
  resourceId: v.optional(v.string()),
  reason: v.optional(v.string()),
  placedBy: v.optional(v.string()),
  placedAt: v.number(),
  releasedBy: v.optional(v.string()),
  releasedAt: v.optional(v.number()),
};
export const vLegalHold = v.object({ _id: v.string(), _creationTime: v.number(), ...retentionHoldFields });
export type LegalHold = Infer<typeof vLegalHold>;

/** What a cleanup batch or run counted. */
export const vTally = {
  /** Documents read by the scan. Progress is counted in these, not in deletions. */
  scanned: v.number(),
  deleted: v.number(),
  /** Expired, but a legal hold matched. */
  skippedHeld: v.number(),
  /** Expired, but not yet folded into the statistics rollups (deleted by a later batch). */
  skippedNotRolledUp: v.number(),
};
export const vCleanupTally = v.object(vTally);
export type CleanupTally = Infer<typeof vCleanupTally>;

export const RUN_STATUSES = ["running", "done", "canceled", "abandoned"] as const;

/** A background cleanup run, as callers see it. */
const runFields = {
  status: literals(RUN_STATUSES),
  olderThanDays: v.optional(v.number()),
  preserveSeverity: v.array(vSeverity),
  batchSize: v.number(),
  /** The run's clock: every cutoff is measured from it, so a run has one answer. */
  now: v.number(),
  cursor: v.union(v.string(), v.null()),
  /** The batch that may run next. */
  seq: v.number(),
  batches: v.number(),
  ...vTally,
  /** What the run's batches cost, as Convex counted it (a delete reads and writes its document). */
  documentsRead: v.number(),
  bytesRead: v.number(),
  documentsWritten: v.number(),
  startedAt: v.number(),
  updatedAt: v.number(),
  finishedAt: v.optional(v.number()),
};
/** As stored: a loop of component/loop.ts, with its next batch's scheduled job and its size factor. */
export const retentionRunFields = {
  ...runFields,
  job: v.optional(v.id("_scheduled_functions")),
  scale: v.optional(v.number()),
};
export const vCleanupRun = v.object({ _id: v.string(), _creationTime: v.number(), ...runFields });
export type CleanupRun = Infer<typeof vCleanupRun>;

/** One batch of a cleanup: what it did, where to continue, and the run's totals so far. */
export const vCleanupBatchResult = v.object({
  ...vTally,
  isDone: v.boolean(),
  /** Pass back as `cursor` for the next batch of the same run. */
  continueCursor: v.string(),
  /** The run's clock: an event expires when its timestamp is before now − days. */
  now: v.number(),
  /** Totals since the run's first batch (this one included). */
  run: vCleanupTally,
});
export type CleanupBatchResult = Infer<typeof vCleanupBatchResult>;

/** The stored policies: days kept by default, per category and per action (the action's wins). */
export const vRetentionPolicies = v.object({
  defaultDays: v.union(v.number(), v.null()),
  categories: v.array(v.object({ category: vCategory, days: v.number() })),
  actions: v.array(v.object({ action: v.string(), days: v.number() })),
});
export type RetentionPolicies = Infer<typeof vRetentionPolicies>;

export const RETENTION_LIMITS = {
  /** A hundred years: anything longer is a typo, and `now - days` must stay a sane timestamp. */
  maxDays: 36_500,
  maxBatchSize: 4000,
  defaultBatchSize: 100,
  defaultRunBatchSize: 1000,
  maxHolds: 500,
  maxActionPolicies: 100,
  maxReasonLength: 1024,
  /** Queries one batch may issue (Convex allows 4,096 per transaction, the caller's included). */
  queryBudget: 1000,
} as const;
