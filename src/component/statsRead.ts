/**
 * The read side of statistics: the rollup buckets of a window, the events
 * the loop has not folded yet (the tail), and `getStats` from both. The
 * writer is rollup.ts; see its header for how the two meet.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { checkWindow, intInRange } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import {
  Agg,
  DEFAULT_TOP_K,
  JOINT_MAX_LEVEL,
  MAX_TOP_K,
  decodeDigest,
  decodeMap,
  planWindow,
  statsResult,
  toEntry,
  type AuditStats,
  type MapKind,
  type Run,
  type StatsStatus,
} from "../shared/stats.js";

type EventDoc = Doc<"events">;
type BucketDoc = Doc<"statBuckets">;
export type Tenant = string | undefined;

export const TAIL_LIMITS = {
  /** Tail events (and their bytes) a call may read before it asks for the loop to catch up. */
  maxTail: 10_000,
  maxTailBytes: 8 * 1024 * 1024,
} as const;

// ---- Reading buckets ----------------------------------------------------------

export const partsField = { main: "mainParts", joint: "jointParts", digest: "digestParts" } as const;

async function scopeRunBuckets(ctx: QueryCtx, tenant: Tenant, run: Run): Promise<BucketDoc[]> {
  return await ctx.db
    .query("statBuckets")
    .withIndex("by_scope", (q) => q.eq("tenant", tenant).eq("level", run.level).gte("start", run.s0).lte("start", run.s1))
    .collect();
}

/** The stored JSON chunks of one kind for each bucket of a run (inline, or its parts: one query). */
async function scopeRunKind(
  ctx: QueryCtx,
  tenant: Tenant,
  run: Run,
  buckets: BucketDoc[],
  kind: MapKind,
): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  let parted = false;
  for (const b of buckets) {
    const inline = b[kind];
    if (inline !== undefined) out.set(b.start, [inline]);
    else if ((b[partsField[kind]] ?? 0) > 0) parted = true;
  }
  if (parted) {
    const parts = await ctx.db
      .query("statParts")
      .withIndex("by_scope", (q) =>
        q.eq("tenant", tenant).eq("kind", kind).eq("level", run.level).gte("start", run.s0).lte("start", run.s1),
      )
      .collect();
    for (const p of parts) {
      const list = out.get(p.start) ?? [];
      list.push(p.data);
      out.set(p.start, list);
    }
  }
  return out;
}

export type Window = { from: number; to: number };

/**
 * Adds the buckets of `runs` to `agg`. Level-0 digests are filtered to the
 * window, so the partial minute at either end counts exactly.
 */
export async function addRuns(
  ctx: QueryCtx,
  agg: Agg,
  tenant: Tenant,
  runs: Run[],
  w: Window,
  opts: { main: boolean; joint: boolean },
): Promise<void> {
  for (const run of runs) {
    if (run.level === 0) {
      // Digests are global; a tenant's share is filtered out of them.
      const buckets = await scopeRunBuckets(ctx, undefined, run);
      if (buckets.length === 0) continue;
      const digests = await scopeRunKind(ctx, undefined, run, buckets, "digest");
      for (const chunks of digests.values()) {
        for (const chunk of chunks) {
          for (const entry of decodeDigest(chunk)) {
            if (entry[0] < w.from || entry[0] > w.to) continue;
            if (tenant !== undefined && entry[6] !== tenant) continue;
            agg.addEntry(entry, opts.joint);
          }
        }
      }
      continue;
    }
    const buckets = await scopeRunBuckets(ctx, tenant, run);
    if (buckets.length === 0) continue;
    for (const b of buckets) if (b.fixed) agg.addFixed(b.fixed);
    if (opts.main) {
      for (const chunks of (await scopeRunKind(ctx, tenant, run, buckets, "main")).values()) {
        for (const chunk of chunks) decodeMap(chunk, agg.main);
      }
    }
    if (opts.joint && run.level <= JOINT_MAX_LEVEL) {
      for (const chunks of (await scopeRunKind(ctx, tenant, run, buckets, "joint")).values()) {
        for (const chunk of chunks) decodeMap(chunk, agg.joint);
      }
    }
  }
}

// ---- The cursor and the tail --------------------------------------------------

export async function cursorDoc(ctx: QueryCtx) {
  return await ctx.db.query("statCursor").first();
}

/**
 * The `_creationTime` up to which every event is folded into the rollups, or
 * null before the first batch. The contract with retention: cleanup never
 * deletes an event newer than this, so every event the rollups have not
 * counted is still in the log and statistics stay exact.
 */
export async function rolledUpThrough(ctx: QueryCtx): Promise<number | null> {
  return (await cursorDoc(ctx))?.through ?? null;
}

/**
 * Calls `visit` for every event past the cursor (all tenants, any
 * timestamp) and returns how many there were. Throws ROLLUP_BEHIND past
 * `maxTail`, rather than fail on Convex's read limit.
 */
export async function readTail(
  ctx: QueryCtx,
  through: number | null,
  visit: (e: EventDoc) => void,
  maxTail: number = TAIL_LIMITS.maxTail,
): Promise<number> {
  const q = ctx.db
    .query("events")
    .withIndex("by_creation_time", (q) => (through === null ? q : q.gt("_creationTime", through)));
  let n = 0;
  let bytes = 0;
  for await (const e of q) {
    // Events may be up to 1 MiB each: the count alone does not keep a read under 16 MiB.
    // An int64 field (a bigint) would make JSON.stringify throw: counted as Convex's JSON writes it.
    bytes += JSON.stringify(e, (_k, v: unknown) => (typeof v === "bigint" ? { $integer: "AAAAAAAAAAA=" } : v)).length;
    if (++n > maxTail || bytes > TAIL_LIMITS.maxTailBytes) {
      throw auditError(
        "ROLLUP_BEHIND",
        `more than ${n - 1} events (${Math.round(bytes / 1024)} KiB) are not rolled up yet; run the stats rollup (auditLog.rollupStats) until it catches up, or wait for its cron`,
      );
    }
    visit(e);
  }
  return n;
}

// ---- getStats -----------------------------------------------------------------

/** The window counted: from 0 and to now by default, both ends inclusive. */
export function checkStatsWindow(fromTimestamp: number | undefined, toTimestamp: number | undefined, now: number): Window {
  const w = { fromTimestamp: fromTimestamp ?? 0, toTimestamp: toTimestamp ?? now };
  checkWindow(w);
  return { from: w.fromTimestamp, to: w.toTimestamp };
}

export type GetStatsArgs = { fromTimestamp?: number; toTimestamp?: number; tenantId?: string; topK?: number };

export async function getStatsHandler(ctx: QueryCtx, args: GetStatsArgs): Promise<AuditStats> {
  const w = checkStatsWindow(args.fromTimestamp, args.toTimestamp, Date.now());
  const k = intInRange(args.topK ?? DEFAULT_TOP_K, 1, MAX_TOP_K, "topK");
  const tenant = args.tenantId;
  const through = await rolledUpThrough(ctx);
  const agg = new Agg();
  await addRuns(ctx, agg, tenant, planWindow(w.from, w.to), w, { main: true, joint: false });
  const pending = await readTail(ctx, through, (e) => {
    if (e.timestamp < w.from || e.timestamp > w.to) return;
    if (tenant !== undefined && e.tenantId !== tenant) return;
    agg.addEntry(toEntry(e), false);
  });
  return statsResult(agg, k, { fromTimestamp: w.from, toTimestamp: w.to }, through, pending);
}

/** Where the rollup loop is: for dashboards, tests and retention. */
export async function statsStatus(ctx: QueryCtx): Promise<StatsStatus> {
  const c = await cursorDoc(ctx);
  return {
    rolledUpThrough: c?.through ?? null,
    folded: c?.folded ?? 0,
    batches: c?.batches ?? 0,
    updatedAt: c?.updatedAt ?? null,
  };
}
