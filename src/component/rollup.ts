/**
 * The statistics rollup: a single-writer loop folds the insert-only events
 * into time buckets, which getStats and detectAnomalies read (statsRead.ts)
 * together with the events the loop has not reached yet.
 *
 * The loop reads events in `_creationTime` order past its cursor. Nothing on
 * the log path changes: `log` still inserts one document and touches no
 * bucket, so loggers never conflict with each other or with the loop (the
 * loop reads only events older than `settleMs`, which no logger writes).
 *
 * `_creationTime` is taken when a mutation starts, not when it commits, so an
 * event can appear after the loop has passed its creation time if its
 * mutation was still running. The loop therefore only folds events created
 * more than SETTLE_MS ago (a mutation runs for at most a second or so);
 * anything newer is the "tail", which getStats reads and counts one by one.
 *
 * It runs as a loop of loop.ts: the component's cron schedules a chain of
 * batches whenever none is pending or running; a batch that failed makes the
 * next one half as large, and each success doubles it back.
 */
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { intInRange } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import {
  DAY,
  JOINT_MAX_LEVEL,
  OVERFLOW_MINUTE,
  bump,
  decodeDigest,
  decodeMap,
  digestItems,
  encodeItems,
  mapItems,
  type MapKind,
  type RollupResult,
} from "../shared/stats.js";
import { grown, shrunk, stepState } from "./loop.js";
import { bytesReadSoFar } from "./read.js";
import {
  BatchReads,
  batched,
  docBytes,
  Fold,
  partKey,
  planRuns,
  seriesKey,
  STATS_LIMITS,
  type Batched,
  type Pending,
} from "./rollupReads.js";
import { cursorDoc, partsField } from "./statsRead.js";

export { STATS_LIMITS };

type BucketDoc = Doc<"statBuckets">;
type PartDoc = Doc<"statParts">;

function storedChunks(
  doc: BucketDoc | undefined,
  kind: MapKind,
  parts: Map<string, PartDoc>,
): { chunks: string[]; partCount: number } {
  if (!doc) return { chunks: [], partCount: 0 };
  const inline = doc[kind];
  if (inline !== undefined) return { chunks: [inline], partCount: 1 };
  const n = doc[partsField[kind]] ?? 0;
  const chunks: string[] = [];
  for (let i = 0; i < n; i++) {
    const p = parts.get(partKey(doc.level, doc.start, doc.tenant, kind, i));
    if (p === undefined) throw new Error(`statParts ${kind}[${i}] of bucket ${doc._id} is missing`);
    chunks.push(p.data);
  }
  return { chunks, partCount: n };
}

/**
 * Writes one kind of a bucket: inline (returned) or as parts (written here,
 * only those whose content changed).
 */
async function writeKind(
  ctx: MutationCtx,
  p: Pending,
  kind: MapKind,
  encoded: string[],
  before: { chunks: string[]; partCount: number },
  parts: Map<string, PartDoc>,
): Promise<{ inline?: string; parts?: number }> {
  if (encoded.length === 1) return { inline: encoded[0] };
  for (let i = 0; i < encoded.length; i++) {
    const existing = parts.get(partKey(p.level, p.start, p.tenant, kind, i));
    if (existing === undefined) {
      await ctx.db.insert("statParts", { tenant: p.tenant, level: p.level, start: p.start, kind, part: i, data: encoded[i] });
    } else if (before.partCount !== encoded.length || existing.data !== encoded[i]) {
      await ctx.db.patch(existing._id, { data: encoded[i] });
    }
  }
  return { parts: encoded.length };
}

async function writeBucket(
  ctx: MutationCtx,
  p: Pending,
  doc: BucketDoc | undefined,
  parts: Map<string, PartDoc>,
): Promise<void> {
  const next: Omit<BucketDoc, "_id" | "_creationTime"> = {
    level: p.level,
    start: p.start,
    count: (doc?.count ?? 0) + p.count,
  };
  if (p.tenant !== undefined) next.tenant = p.tenant;
  const kinds: MapKind[] = p.level === 0 ? ["digest"] : p.level <= JOINT_MAX_LEVEL ? ["main", "joint"] : ["main"];
  for (const kind of kinds) {
    const before = storedChunks(doc, kind, parts);
    let items;
    if (kind === "digest") {
      const entries = before.chunks.flatMap(decodeDigest);
      for (const e of p.digest) entries.push(e);
      items = digestItems(entries);
    } else {
      const map = new Map<string, number>();
      for (const c of before.chunks) decodeMap(c, map);
      for (const [k, n] of kind === "main" ? p.fixed!.main : p.fixed!.joint) bump(map, k, n);
      items = mapItems(map);
    }
    const stored = await writeKind(ctx, p, kind, encodeItems(items, before.partCount), before, parts);
    if (stored.inline !== undefined) next[kind] = stored.inline;
    else next[partsField[kind]] = stored.parts;
  }
  if (p.fixed) {
    const fixed = doc?.fixed ? [...doc.fixed] : new Array<number>(p.fixed.fixed.length).fill(0);
    for (let i = 0; i < fixed.length; i++) fixed[i] += p.fixed.fixed[i];
    next.fixed = fixed;
  }
  if (doc) await ctx.db.replace(doc._id, next);
  else await ctx.db.insert("statBuckets", next);
}

async function writeSeries(ctx: MutationCtx, fold: Fold, reads: BatchReads): Promise<void> {
  // Each (day, scope) was read whole when first touched: that scope's actions on that day, never another tenant's.
  for (const [scopeDay, list] of fold.seriesGroups) {
    const docs = reads.series.get(scopeDay);
    if (docs === undefined) throw new Error(`statSeries of ${scopeDay} were not read before the write`);
    const byKey = new Map(docs.map((d) => [seriesKey(d.tenant, d.action, d.day), d]));
    for (const s of list) {
      const key = seriesKey(s.tenant, s.action, s.day);
      const doc = byKey.get(key);
      const minutes = new Map<number, number>();
      if (doc) doc.minutes.forEach((m, i) => minutes.set(m, doc.counts[i]));
      for (const [m, n] of s.minutes) bump(minutes, m, n);
      const sorted = [...minutes].sort((a, b) => a[0] - b[0]);
      const fields = { minutes: sorted.map(([m]) => m), counts: sorted.map(([, n]) => n) };
      if (doc) await ctx.db.patch(doc._id, fields);
      else {
        await ctx.db.insert("statSeries", {
          ...(s.tenant === undefined ? {} : { tenant: s.tenant }),
          action: s.action,
          day: s.day,
          ...fields,
        });
      }
    }
  }
}

export type RollupOptions = {
  maxEvents?: number;
  settleMs?: number;
  /** The deployment's read limit, when it is not Convex's 16 MiB (tests). Not a public argument. */
  readLimit?: number;
};

/** The newest minute a folded event fell in (the overflow digest aside), or -1 before any. */
async function newestFoldedMinute(ctx: QueryCtx): Promise<number> {
  const digest = await ctx.db
    .query("statBuckets")
    .withIndex("by_time", (q) => q.eq("level", 0).lt("start", OVERFLOW_MINUTE))
    .order("desc")
    .first();
  return digest?.start ?? -1;
}

/**
 * One batch of the loop: folds the next events past the cursor into the
 * buckets and moves the cursor, in one transaction. It reads its events
 * first (up to `maxEvents`, and the bytes the previous batch's bucket reads
 * leave), then folds them one by one: before each, it checks what folding it
 * would read (its buckets not read yet, and the stored ones it would be first
 * to rewrite) against the read budget, and stops there. It never stops inside
 * a run of equal `_creationTime`s, so the cursor is one number.
 */
export async function rollupBatch(
  ctx: MutationCtx,
  opts: RollupOptions = {},
  scale = 1,
  /** The chain's own fields, written with the cursor: one write, not a reread and a second patch. */
  chain?: (result: RollupResult) => Promise<{ chainJob?: Id<"_scheduled_functions">; scale: number }>,
): Promise<RollupResult> {
  const maxEvents = intInRange(opts.maxEvents ?? STATS_LIMITS.defaultBatch, 1, STATS_LIMITS.maxBatch, "maxEvents");
  const settleMs = opts.settleMs ?? STATS_LIMITS.settleMs;
  if (!Number.isFinite(settleMs) || settleMs < 0 || settleMs > DAY) {
    throw auditError("INVALID_ARGUMENT", "settleMs must be from 0 to 86,400,000", "settleMs");
  }
  const cursor = await cursorDoc(ctx);
  const through = cursor?.through ?? null;
  const upper = Date.now() - settleMs;
  const read0 = await bytesReadSoFar(ctx);
  // What the caller's transaction has read already (the cursor included) is not ours to spend.
  const room = scale * ((opts.readLimit ?? STATS_LIMITS.readLimit) - STATS_LIMITS.readMargin) - (read0 ?? 0);
  // Events read but not folded are wasted: leave the buckets what the last batch's needed.
  const eventBytes = Math.min(
    scale * STATS_LIMITS.maxEventBytes,
    Math.max(STATS_LIMITS.minEventBytes, room - 1.2 * (cursor?.bucketBytes ?? STATS_LIMITS.assumedBucketBytes)),
  );
  const eventLimit = Math.max(1, Math.floor(maxEvents * scale));
  const touchedLimit = Math.max(50, Math.floor(STATS_LIMITS.batchTouched * scale));
  const queryLimit = Math.max(40, Math.floor(STATS_LIMITS.batchQueries * scale));

  const events: Batched[] = [];
  // Buckets and series the events touch: each one written once.
  const touched = new Set<string>();
  let spent = 0;
  let more = false;
  for await (const e of ctx.db
    .query("events")
    .withIndex("by_creation_time", (q) => (through === null ? q.lte("_creationTime", upper) : q.gt("_creationTime", through).lte("_creationTime", upper)))) {
    const last = events.at(-1)?.e._creationTime;
    if ((events.length >= eventLimit || spent >= eventBytes || touched.size >= touchedLimit) && e._creationTime !== last) {
      more = true;
      break;
    }
    const b = batched(e);
    events.push(b);
    spent += docBytes(e);
    for (const { key } of [...b.slots, ...b.days]) touched.add(key);
  }
  const eventsRead = spent;

  const fold = new Fold();
  const reads = new BatchReads(planRuns(events), await newestFoldedMinute(ctx));
  let n = 0;
  for (const b of events) {
    if (n > 0 && b.e._creationTime !== events[n - 1].e._creationTime) {
      if (reads.queries >= queryLimit || spent + reads.cost(fold, b) > room) {
        more = true;
        break;
      }
    }
    spent += await reads.prepare(ctx, fold, b);
    fold.add(b);
    n++;
  }

  let bucketBytes = cursor?.bucketBytes;
  if (n > 0) {
    for (const [key, p] of fold.buckets) await writeBucket(ctx, p, reads.buckets.get(key), reads.parts);
    await writeSeries(ctx, fold, reads);
    const read1 = await bytesReadSoFar(ctx);
    // Measured when the runtime says; else as counted.
    bucketBytes = read0 !== null && read1 !== null ? Math.max(0, read1 - read0 - eventsRead) : spent - eventsRead;
  }
  const newThrough = n > 0 ? events[n - 1].e._creationTime : through;
  const fields = {
    folded: (cursor?.folded ?? 0) + n,
    batches: (cursor?.batches ?? 0) + (n > 0 ? 1 : 0),
    updatedAt: Date.now(),
    ...(newThrough === null ? {} : { through: newThrough }),
    ...(bucketBytes === undefined ? {} : { bucketBytes }),
  };
  const result = { folded: n, caughtUp: !more, rolledUpThrough: newThrough };
  const own = chain ? await chain(result) : {};
  // A patch removes a field set to undefined (the chain's job once it is done).
  if (cursor) await ctx.db.patch(cursor._id, { ...fields, ...own });
  else if (n > 0) await ctx.db.insert("statCursor", { ...fields, ...own });
  return result;
}

/**
 * The cron's part (background.ts). It never folds anything itself: it
 * schedules a chain batch, unless the chain's current batch is still pending
 * or running. A batch that failed (a limit hit on unusual data) makes the
 * next one half as large, so the loop cannot stick on one batch.
 */
export async function rollupTick(ctx: MutationCtx): Promise<"running" | "scheduled"> {
  const cursor = await cursorDoc(ctx);
  let scale = cursor?.scale ?? 1;
  const state = await stepState(ctx, cursor?.chainJob);
  if (state === "waiting") return "running";
  if (state === "failed") scale = shrunk(scale);
  const chainJob = await ctx.scheduler.runAfter(0, internal.stats.rollupChain, { scale });
  if (cursor) await ctx.db.patch(cursor._id, { chainJob, scale });
  else await ctx.db.insert("statCursor", { folded: 0, batches: 0, updatedAt: Date.now(), chainJob, scale });
  return "scheduled";
}

/** One batch of the chain; while there is more, it schedules the next straight away. */
export async function rollupChain(ctx: MutationCtx, { scale }: { scale: number }): Promise<RollupResult> {
  const next = grown(scale);
  return await rollupBatch(ctx, {}, scale, async (result) => ({
    chainJob: result.caughtUp ? undefined : await ctx.scheduler.runAfter(0, internal.stats.rollupChain, { scale: next }),
    scale: next,
  }));
}
