import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";
import { eventFields, vCategory } from "../shared/validators.js";
import { reportJobFields } from "../shared/report.js";
import { retentionHoldFields, retentionRunFields } from "../shared/retention.js";
import { sinkFields } from "../shared/delivery.js";

export default defineSchema({
  /**
   * One table, written only by inserts: no counter or chain head is touched on
   * the log path, so concurrent log calls never conflict.
   *
   * Every index ends with `timestamp` (Convex appends `_creationTime`), so each
   * query is one index range read newest first. Tenant-scoped shapes put
   * `tenantId` first; events without a tenant sit under `tenantId: undefined`.
   */
  events: defineTable(eventFields)
    .index("by_timestamp", ["timestamp"])
    .index("by_resource", ["resourceType", "resourceId", "timestamp"])
    .index("by_actor", ["actorId", "timestamp"])
    .index("by_actor_action", ["actorId", "action", "timestamp"])
    // A user's own events on one resource, and their own critical events:
    // what a plain user id may read of a resource's history and of watchCritical.
    .index("by_actor_resource", ["actorId", "resourceType", "resourceId", "timestamp"])
    .index("by_actor_severity", ["actorId", "severity", "timestamp"])
    .index("by_action", ["action", "timestamp"])
    .index("by_severity", ["severity", "timestamp"])
    .index("by_tenant", ["tenantId", "timestamp"])
    .index("by_tenant_resource", ["tenantId", "resourceType", "resourceId", "timestamp"])
    .index("by_tenant_actor", ["tenantId", "actorId", "timestamp"])
    .index("by_tenant_actor_action", ["tenantId", "actorId", "action", "timestamp"])
    .index("by_tenant_severity", ["tenantId", "severity", "timestamp"])
    // For search, statistics and anomalies: each filter a planner may lead with.
    .index("by_tenant_action", ["tenantId", "action", "timestamp"])
    .index("by_category", ["category", "timestamp"])
    .index("by_tenant_category", ["tenantId", "category", "timestamp"])
    .index("by_status", ["status", "timestamp"])
    .index("by_tenant_status", ["tenantId", "status", "timestamp"])
    .index("by_idempotency", ["tenantId", "idempotencyKey"])
    // For retention: severity first so preserved severities are never in a
    // cleanup scan; then tenant so a held tenant is stepped over by range; then
    // the fields a policy keys on, so each scanned range is one expiry cutoff.
    .index("by_retention", ["severity", "tenantId", "category", "action", "timestamp"])
    // The transparency log's order: unsealed events (no seq) first, oldest first, then by leaf index.
    .index("by_seq", ["seq"])
    // Words of the action, summary, resource, actor and tags ("tag:<t>"), for
    // phrase search and for tag filters, which no array index can serve.
    .searchIndex("search_text", {
      searchField: "searchText",
      filterFields: ["tenantId", "severity", "category", "status", "action", "actorId"],
    }),

  // Retention policies, legal holds and cleanup runs. Written
  // by cleanup and by admin calls only, never on the log path.
  retentionConfig: defineTable({
    defaultDays: v.optional(v.number()),
    categoryDays: v.array(v.object({ category: vCategory, days: v.number() })),
    actionDays: v.array(v.object({ action: v.string(), days: v.number() })),
    /** Keys of the active holds, deduplicated: what a cleanup batch reads (one document). */
    heldTenants: v.array(v.string()),
    heldActors: v.array(v.string()),
    heldResources: v.array(v.object({ resourceType: v.string(), resourceId: v.string() })),
    updatedAt: v.number(),
  }),
  retentionHolds: defineTable(retentionHoldFields).index("by_active", ["active", "placedAt"]),
  retentionRuns: defineTable(retentionRunFields).index("by_status", ["status", "startedAt"]),
  /** Where a cursor-less `cleanup` call resumes, per argument shape. */
  retentionSweeps: defineTable({ shape: v.string(), cursor: v.string(), updatedAt: v.number() }).index("by_shape", ["shape"]),

  /** The key that seals every cursor the component hands out (cursor.ts). One document, never changed. */
  cursorKey: defineTable({ key: v.string(), createdAt: v.number() }),

  // Export jobs: status, progress and the file parts in storage.
  reports: defineTable(reportJobFields).index("by_tenant", ["tenantId", "createdAt"]).index("by_status", ["status", "updatedAt"]),

  // Rollups for getStats and detectAnomalies, written only by the
  // single-writer rollup loop (rollup.ts), never on the log path.
  /** The loop's cursor: every event with `_creationTime` ≤ `through` is folded. One document. */
  statCursor: defineTable({
    /** Absent until the first event is folded. */
    through: v.optional(v.number()),
    folded: v.number(),
    batches: v.number(),
    updatedAt: v.number(),
    /** The scheduled batch of the running chain: while it is pending or running, the cron waits. */
    chainJob: v.optional(v.id("_scheduled_functions")),
    /** Batch size factor: halved after a chain batch failed, doubled back after each success. */
    scale: v.optional(v.number()),
    /** Bytes the last batch read besides events (buckets, and rereads on rewrite): the next leaves room for them. */
    bucketBytes: v.optional(v.number()),
  }),
  /**
   * One per (tenant or global, level, start minute). Level 0 holds a digest of
   * its events; levels ≥ 1 hold counters and count maps. A map or digest too
   * big to keep inline lives in `statParts` (`*Parts` = how many).
   */
  statBuckets: defineTable({
    tenant: v.optional(v.string()),
    level: v.number(),
    start: v.number(),
    count: v.number(),
    fixed: v.optional(v.array(v.number())),
    main: v.optional(v.string()),
    mainParts: v.optional(v.number()),
    joint: v.optional(v.string()),
    jointParts: v.optional(v.number()),
    digest: v.optional(v.string()),
    digestParts: v.optional(v.number()),
  })
    .index("by_scope", ["tenant", "level", "start"])
    .index("by_time", ["level", "start", "tenant"]),
  statParts: defineTable({
    tenant: v.optional(v.string()),
    level: v.number(),
    start: v.number(),
    kind: v.union(v.literal("main"), v.literal("joint"), v.literal("digest")),
    part: v.number(),
    data: v.string(),
  })
    .index("by_scope", ["tenant", "kind", "level", "start", "part"])
    .index("by_time", ["level", "start", "tenant", "kind", "part"]),
  // The transparency log (sealing.ts, tiles.ts, proofs.ts): written only by
  // the single-writer sealing loop and by checkpoints, never on the log path.
  /** The sealing loop (loop.ts fields) and the tree's head: its size, root, and right edge. One document. */
  sealState: defineTable({
    status: v.union(v.literal("running"), v.literal("failed")),
    seq: v.number(),
    updatedAt: v.number(),
    job: v.optional(v.id("_scheduled_functions")),
    scale: v.optional(v.number()),
    size: v.number(),
    root: v.string(),
    /** The right edge of the tree: the roots of its complete subtrees, largest first (level, base64 hash). */
    edge: v.array(v.object({ level: v.number(), hash: v.string() })),
    batches: v.number(),
    maxWaitMs: v.number(),
    lastBatch: v.optional(v.object({ at: v.number(), events: v.number(), maxWaitMs: v.number() })),
    /** Configured personal fields (dotted paths), committed with salts in every leaf sealed from then on. */
    personalFields: v.array(v.string()),
    /** The origin line of this log's checkpoints, fixed by the first one. */
    origin: v.optional(v.string()),
    /** Verifier keys that signed checkpoints (C2SP note verifier key strings), newest last. */
    verifierKeys: v.array(v.string()),
  }),
  /** C2SP tlog-tiles layout: tile (level L, index N) holds the hashes at tree level 8L of nodes 256N … 256N+255 (fewer while partial). */
  sealTiles: defineTable({ level: v.number(), index: v.number(), hashes: v.bytes() }).index("by_tile", ["level", "index"]),
  /** Signed tree heads, one per size (a newer one at the same size replaces it: the log had that size until its time). */
  checkpoints: defineTable({ size: v.number(), root: v.string(), time: v.number(), note: v.string() }).index("by_size", ["size"]),

  /** Per-minute counts of one action in one UTC day (global or one tenant), for anomaly baselines. */
  statSeries: defineTable({
    tenant: v.optional(v.string()),
    action: v.string(),
    day: v.number(),
    minutes: v.array(v.number()),
    counts: v.array(v.number()),
  })
    .index("by_scope", ["tenant", "action", "day"])
    .index("by_day", ["day", "tenant", "action"]),

  // Delivery (delivery*.ts): one loop per sink, written by its own steps and by
  // configuration calls, never on the log path.
  sinks: defineTable(sinkFields).index("by_name", ["name"]).index("by_status", ["status", "updatedAt"]),
  /**
   * The sequence ranges a sink's batches cover, fixed when first claimed: a
   * retry or a backfill sends exactly the same range again (the same S3 key,
   * the same webhook id), so nothing arrives twice under two names.
   */
  sinkBatches: defineTable({ sink: v.id("sinks"), from: v.number(), to: v.number(), createdAt: v.number() }).index("by_sink_from", ["sink", "from"]),

  /** When each anomaly alert rule last fired (alerts.ts): rules fire once per window. Never on the log path. */
  alertState: defineTable({ key: v.string(), lastFiredAt: v.number(), fired: v.number() }).index("by_key", ["key"]),
});
