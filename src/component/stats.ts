/**
 * Statistics: a single-writer rollup loop folds the insert-only events into
 * time buckets, and `getStats` answers any window from the buckets plus the
 * events the loop has not reached yet.
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
 */
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc } from "./_generated/dataModel.js";
import { internalMutation, mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import {
  Agg,
  DAY,
  DEFAULT_TOP_K,
  JOINT_MAX_LEVEL,
  MAX_TOP_K,
  MINUTE,
  OVERFLOW_MINUTE,
  TOP_LEVEL,
  bucketStart,
  bump,
  decodeDigest,
  decodeMap,
  digestItems,
  encodeItems,
  levelSize,
  mapItems,
  minuteOf,
  planWindow,
  statsResult,
  toEntry,
  vStats,
  type AuditStats,
  type Entry,
  type MapKind,
  type Run,
} from "../shared/stats.js";

type EventDoc = Doc<"events">;
type BucketDoc = Doc<"statBuckets">;
type PartDoc = Doc<"statParts">;
type Tenant = string | undefined;

export const STATS_LIMITS = {
  /** Events younger than this are left to the tail: their mutations may not have committed. */
  settleMs: 15_000,
  defaultBatch: 2_000,
  maxBatch: 10_000,
  /**
   * Bytes one batch may read (Convex allows 16 MiB), less a margin. Events
   * get what the previous batch's other reads (buckets, and the reread of
   * each document it rewrote), plus a fifth, leave: between 256 KiB and 8 MiB.
   */
  readLimit: 16 * 1024 * 1024,
  readMargin: 1.5 * 1024 * 1024,
  minEventBytes: 256 * 1024,
  maxEventBytes: 8 * 1024 * 1024,
  /** What a first batch assumes its other reads will be. */
  assumedBucketBytes: 6 * 1024 * 1024,
  /** The smallest batch factor after repeated failures. */
  minScale: 1 / 64,
  /** Buckets and series documents one batch may touch (Convex allows 16,000 writes). */
  batchTouched: 6_000,
  /**
   * Ranges of buckets one batch may read: each is one query, plus one for
   * parts if some bucket in it has any (Convex allows 4,096 queries).
   */
  batchRanges: 1_000,
  /** Tail events (and their bytes) a getStats may read before it asks for the loop to catch up. */
  maxTail: 10_000,
  maxTailBytes: 8 * 1024 * 1024,
} as const;

// ---- Reading buckets ----------------------------------------------------------

const partsField = { main: "mainParts", joint: "jointParts", digest: "digestParts" } as const;

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

async function cursorDoc(ctx: QueryCtx) {
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

/** Bytes this transaction has read so far (the caller's included), if the runtime says. */
async function bytesReadSoFar(ctx: QueryCtx): Promise<number | null> {
  try {
    return (await ctx.meta.getTransactionMetrics()).bytesRead.used;
  } catch {
    return null;
  }
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
  maxTail: number = STATS_LIMITS.maxTail,
): Promise<number> {
  const q = ctx.db
    .query("events")
    .withIndex("by_creation_time", (q) => (through === null ? q : q.gt("_creationTime", through)));
  let n = 0;
  let bytes = 0;
  for await (const e of q) {
    // Events may be up to 1 MiB each: the count alone does not keep a read under 16 MiB.
    bytes += JSON.stringify(e).length;
    if (++n > maxTail || bytes > STATS_LIMITS.maxTailBytes) {
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

export function checkStatsWindow(fromTimestamp: number | undefined, toTimestamp: number | undefined, now: number): Window {
  const from = fromTimestamp ?? 0;
  const to = toTimestamp ?? now;
  for (const [name, value] of [
    ["fromTimestamp", from],
    ["toTimestamp", to],
  ] as const) {
    if (typeof value !== "number" || !Number.isFinite(value)) {
      throw auditError("INVALID_ARGUMENT", `${name} must be a finite number of milliseconds`, name);
    }
  }
  if (from > to) throw auditError("INVALID_ARGUMENT", "fromTimestamp is after toTimestamp", "fromTimestamp");
  return { from, to };
}

export function checkTopK(k: number | undefined, field = "topK"): number {
  const n = k ?? DEFAULT_TOP_K;
  if (!Number.isInteger(n) || n < 1 || n > MAX_TOP_K) {
    throw auditError("INVALID_ARGUMENT", `${field} must be an integer from 1 to ${MAX_TOP_K}`, field);
  }
  return n;
}

export type GetStatsArgs = { fromTimestamp?: number; toTimestamp?: number; tenantId?: string; topK?: number };

export async function getStatsHandler(ctx: QueryCtx, args: GetStatsArgs): Promise<AuditStats> {
  const w = checkStatsWindow(args.fromTimestamp, args.toTimestamp, Date.now());
  const k = checkTopK(args.topK);
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

export const getStats = query({
  args: {
    fromTimestamp: v.optional(v.number()),
    toTimestamp: v.optional(v.number()),
    tenantId: v.optional(v.string()),
    topK: v.optional(v.number()),
  },
  returns: vStats,
  handler: getStatsHandler,
});

/** Where the loop is: for dashboards, tests and retention. */
export const status = query({
  args: {},
  returns: v.object({
    rolledUpThrough: v.union(v.number(), v.null()),
    folded: v.number(),
    batches: v.number(),
    updatedAt: v.union(v.number(), v.null()),
  }),
  handler: async (ctx) => {
    const c = await cursorDoc(ctx);
    return {
      rolledUpThrough: c?.through ?? null,
      folded: c?.folded ?? 0,
      batches: c?.batches ?? 0,
      updatedAt: c?.updatedAt ?? null,
    };
  },
});

// ---- The rollup loop ----------------------------------------------------------

type Pending = {
  tenant: Tenant;
  level: number;
  start: number;
  count: number;
  fixed: Agg | null;
  digest: Entry[];
};
type SeriesPending = { tenant: Tenant; action: string; day: number; minutes: Map<number, number> };

const bucketKey = (level: number, start: number, tenant: Tenant) => JSON.stringify([level, start, tenant ?? null]);
const partKey = (level: number, start: number, tenant: Tenant, kind: string, part: number) =>
  JSON.stringify([level, start, tenant ?? null, kind, part]);
const seriesKey = (tenant: Tenant, action: string, day: number) => JSON.stringify([tenant ?? null, action, day]);

const withoutTenant = (e: Entry): Entry => [e[0], e[1], e[2], e[3], e[4], e[5], null];

/** Touched starts closer than this many buckets of their level are read in one range. */
const RUN_GAP = 16;

/** The changes one batch makes, before they meet the stored buckets. */
class Fold {
  buckets = new Map<string, Pending>();
  series = new Map<string, SeriesPending>();
  private starts = new Map<number, Set<number>>();
  /** The series by (day, scope), in the order first touched: writeSeries reads one range per group. */
  seriesGroups = new Map<string, SeriesPending[]>();
  /**
   * An upper bound on the ranges the batch will read: bucket starts with no
   * neighbour within RUN_GAP, and (day, scope) pairs of the series.
   */
  runs = 0;

  get touched(): number {
    return this.buckets.size + this.series.size;
  }

  add(e: EventDoc): void {
    const entry = toEntry(e);
    const minute = minuteOf(e.timestamp);
    const digest = this.bucket(undefined, 0, minute);
    digest.digest.push(entry);
    digest.count++;
    if (minute === OVERFLOW_MINUTE) return;
    for (const tenant of e.tenantId === undefined ? [undefined] : [undefined, e.tenantId]) {
      for (let level = 1; level <= TOP_LEVEL; level++) {
        const p = this.bucket(tenant, level, bucketStart(minute, level));
        p.count++;
        // In a tenant's buckets the tenant is implied: no action × tenant keys.
        p.fixed!.addEntry(tenant === undefined ? entry : withoutTenant(entry), level <= JOINT_MAX_LEVEL);
      }
      const day = Math.floor(e.timestamp / DAY);
      const sk = seriesKey(tenant, e.action, day);
      let s = this.series.get(sk);
      if (!s) {
        this.series.set(sk, (s = { tenant, action: e.action, day, minutes: new Map() }));
        const scopeDay = JSON.stringify([day, tenant ?? null]);
        const group = this.seriesGroups.get(scopeDay);
        if (group) group.push(s);
        else {
          this.seriesGroups.set(scopeDay, [s]);
          this.runs++;
        }
      }
      bump(s.minutes, Math.floor((e.timestamp - day * DAY) / MINUTE), 1);
    }
  }

  private noteStart(level: number, start: number): void {
    let set = this.starts.get(level);
    if (!set) this.starts.set(level, (set = new Set()));
    if (set.has(start)) return;
    const size = levelSize(level);
    let near = false;
    for (let d = 1; d <= RUN_GAP && !near; d++) near = set.has(start - d * size) || set.has(start + d * size);
    set.add(start);
    if (!near) this.runs++;
  }

  private bucket(tenant: Tenant, level: number, start: number): Pending {
    const key = bucketKey(level, start, tenant);
    let p = this.buckets.get(key);
    if (!p) {
      this.noteStart(level, start);
      p = { tenant, level, start, count: 0, fixed: level === 0 ? null : new Agg(), digest: [] };
      this.buckets.set(key, p);
    }
    return p;
  }
}

/** Contiguous stretches of touched starts per level, so a batch reads its buckets in few ranges. */
function touchedRuns(pending: Iterable<Pending>): Run[] {
  const byLevel = new Map<number, Set<number>>();
  for (const p of pending) {
    let s = byLevel.get(p.level);
    if (!s) byLevel.set(p.level, (s = new Set()));
    s.add(p.start);
  }
  const runs: Run[] = [];
  for (const [level, set] of byLevel) {
    const size = levelSize(level);
    const starts = [...set].sort((a, b) => a - b);
    let run: Run | null = null;
    for (const s of starts) {
      // A short gap is cheaper to read through than to open a new range for.
      if (run && s - run.s1 <= RUN_GAP * size) run.s1 = s;
      else runs.push((run = { level, s0: s, s1: s }));
    }
  }
  return runs;
}

const approxBytes = (d: BucketDoc | PartDoc) =>
  200 + ("data" in d ? d.data.length : (d.main?.length ?? 0) + (d.joint?.length ?? 0) + (d.digest?.length ?? 0));

async function loadForBatch(ctx: MutationCtx, fold: Fold) {
  const buckets = new Map<string, BucketDoc>();
  const parts = new Map<string, PartDoc>();
  let bytes = 0;
  for (const run of touchedRuns(fold.buckets.values())) {
    const docs = await ctx.db
      .query("statBuckets")
      .withIndex("by_time", (q) => q.eq("level", run.level).gte("start", run.s0).lte("start", run.s1))
      .collect();
    let parted = false;
    for (const d of docs) {
      bytes += approxBytes(d);
      const key = bucketKey(d.level, d.start, d.tenant);
      if (!fold.buckets.has(key)) continue;
      buckets.set(key, d);
      if (d.mainParts || d.jointParts || d.digestParts) parted = true;
    }
    if (!parted) continue;
    const ps = await ctx.db
      .query("statParts")
      .withIndex("by_time", (q) => q.eq("level", run.level).gte("start", run.s0).lte("start", run.s1))
      .collect();
    for (const p of ps) {
      bytes += approxBytes(p);
      if (fold.buckets.has(bucketKey(p.level, p.start, p.tenant))) parts.set(partKey(p.level, p.start, p.tenant, p.kind, p.part), p);
    }
  }
  return { buckets, parts, bytes };
}

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

async function writeSeries(ctx: MutationCtx, fold: Fold): Promise<void> {
  // One range per (day, scope): that scope's actions on that day, never another tenant's.
  for (const list of fold.seriesGroups.values()) {
    const { day, tenant } = list[0];
    const docs = await ctx.db
      .query("statSeries")
      .withIndex("by_day", (q) => q.eq("day", day).eq("tenant", tenant))
      .collect();
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
          day,
          ...fields,
        });
      }
    }
  }
}

export type RollupOptions = { maxEvents?: number; settleMs?: number };
export type RollupResult = { folded: number; caughtUp: boolean; rolledUpThrough: number | null };

/**
 * One batch of the loop: folds the next events past the cursor into the
 * buckets and moves the cursor, in one transaction. Stops at `maxEvents`, at
 * a byte or bucket budget, but never inside a run of equal `_creationTime`s,
 * so the cursor is one number.
 */
export async function rollupBatch(ctx: MutationCtx, opts: RollupOptions = {}, scale = 1): Promise<RollupResult> {
  const maxEvents = opts.maxEvents ?? STATS_LIMITS.defaultBatch;
  if (!Number.isInteger(maxEvents) || maxEvents < 1 || maxEvents > STATS_LIMITS.maxBatch) {
    throw auditError("INVALID_ARGUMENT", `maxEvents must be an integer from 1 to ${STATS_LIMITS.maxBatch}`, "maxEvents");
  }
  const settleMs = opts.settleMs ?? STATS_LIMITS.settleMs;
  if (!Number.isFinite(settleMs) || settleMs < 0 || settleMs > DAY) {
    throw auditError("INVALID_ARGUMENT", "settleMs must be from 0 to 86,400,000", "settleMs");
  }
  const cursor = await cursorDoc(ctx);
  const through = cursor?.through ?? null;
  const upper = Date.now() - settleMs;
  const read0 = await bytesReadSoFar(ctx);
  const room =
    STATS_LIMITS.readLimit -
    STATS_LIMITS.readMargin -
    (read0 ?? 0) -
    1.2 * (cursor?.bucketBytes ?? STATS_LIMITS.assumedBucketBytes);
  const eventBytes = scale * Math.min(STATS_LIMITS.maxEventBytes, Math.max(STATS_LIMITS.minEventBytes, room));
  const eventLimit = Math.max(1, Math.floor(maxEvents * scale));
  const touchedLimit = Math.max(50, Math.floor(STATS_LIMITS.batchTouched * scale));
  const rangeLimit = Math.max(20, Math.floor(STATS_LIMITS.batchRanges * scale));
  const q = ctx.db
    .query("events")
    .withIndex("by_creation_time", (q) => (through === null ? q.lte("_creationTime", upper) : q.gt("_creationTime", through).lte("_creationTime", upper)));

  const fold = new Fold();
  let n = 0;
  let bytes = 0;
  let last: number | null = null;
  let full = false;
  let more = false;
  for await (const e of q) {
    if (full && e._creationTime !== last) {
      more = true;
      break;
    }
    fold.add(e);
    n++;
    bytes += JSON.stringify(e).length;
    last = e._creationTime;
    if (n >= eventLimit || bytes >= eventBytes || fold.touched >= touchedLimit || fold.runs >= rangeLimit) {
      full = true;
    }
  }

  let bucketBytes = cursor?.bucketBytes;
  if (n > 0) {
    const { buckets, parts, bytes: approx } = await loadForBatch(ctx, fold);
    for (const [key, p] of fold.buckets) await writeBucket(ctx, p, buckets.get(key), parts);
    await writeSeries(ctx, fold);
    const read1 = await bytesReadSoFar(ctx);
    // Measured when the runtime says; else the buckets twice (a rewrite rereads the document).
    bucketBytes = read0 !== null && read1 !== null ? Math.max(0, read1 - read0 - bytes) : 2 * approx;
  }
  const newThrough = last ?? through;
  const fields = {
    folded: (cursor?.folded ?? 0) + n,
    batches: (cursor?.batches ?? 0) + (n > 0 ? 1 : 0),
    updatedAt: Date.now(),
    ...(newThrough === null ? {} : { through: newThrough }),
    ...(bucketBytes === undefined ? {} : { bucketBytes }),
  };
  if (cursor) await ctx.db.patch(cursor._id, fields);
  else if (n > 0) await ctx.db.insert("statCursor", fields);
  return { folded: n, caughtUp: !more, rolledUpThrough: newThrough };
}

const vRollupResult = v.object({ folded: v.number(), caughtUp: v.boolean(), rolledUpThrough: v.union(v.number(), v.null()) });

/**
 * One batch, on demand (tests, backfills, an app's own schedule). Call again
 * until `caughtUp`. `settleMs: 0` folds events the moment they exist: only
 * safe when no mutation that logs can still be running (tests, imports).
 */
export const rollup = mutation({
  args: { maxEvents: v.optional(v.number()), settleMs: v.optional(v.number()) },
  returns: vRollupResult,
  handler: async (ctx, args) => await rollupBatch(ctx, args),
});

/**
 * The cron's entry point (crons.ts), every minute. It never folds anything
 * itself: it schedules a chain batch, unless the chain's current batch is
 * still pending or running. A batch that failed (a limit hit on unusual data)
 * makes the next one half as large, so the loop cannot stick on one batch.
 */
export async function rollupTickHandler(ctx: MutationCtx): Promise<"running" | "scheduled"> {
  const cursor = await cursorDoc(ctx);
  let scale = cursor?.scale ?? 1;
  if (cursor?.chainJob !== undefined) {
    const job = await ctx.db.system.get(cursor.chainJob);
    const state = job?.state.kind;
    if (state === "pending" || state === "inProgress") return "running";
    if (state === "failed") scale = Math.max(STATS_LIMITS.minScale, scale / 2);
  }
  const chainJob = await ctx.scheduler.runAfter(0, internal.stats.rollupChain, { scale });
  if (cursor) await ctx.db.patch(cursor._id, { chainJob, scale });
  else await ctx.db.insert("statCursor", { folded: 0, batches: 0, updatedAt: Date.now(), chainJob, scale });
  return "scheduled";
}

export const rollupTick = internalMutation({
  args: {},
  returns: v.union(v.literal("running"), v.literal("scheduled")),
  handler: rollupTickHandler,
});

/** One batch of the chain; while there is more, it schedules the next straight away. */
export async function rollupChainHandler(ctx: MutationCtx, { scale }: { scale: number }): Promise<RollupResult> {
  const result = await rollupBatch(ctx, {}, scale);
  const next = Math.min(1, scale * 2);
  const cursor = await cursorDoc(ctx);
  if (!result.caughtUp) {
    const chainJob = await ctx.scheduler.runAfter(0, internal.stats.rollupChain, { scale: next });
    if (cursor) await ctx.db.patch(cursor._id, { chainJob, scale: next });
  } else if (cursor) {
    await ctx.db.patch(cursor._id, { chainJob: undefined, scale: next });
  }
  return result;
}

export const rollupChain = internalMutation({
  args: { scale: v.number() },
  returns: vRollupResult,
  handler: rollupChainHandler,
});
