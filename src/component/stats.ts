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
import type { Doc, Id } from "./_generated/dataModel.js";
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
   * Bytes one batch may read (Convex allows 16 MiB), less a margin for what
   * its accounting approximates. A batch counts every event and bucket it
   * reads, and every stored bucket it will rewrite (Convex counts a rewrite
   * as a second read of the document), as it goes; it stops before an event
   * whose buckets would not fit.
   */
  readLimit: 16 * 1024 * 1024,
  readMargin: 1.5 * 1024 * 1024,
  /** What one bucket read aims at: its slots are sized from the slots already read at that level. */
  pieceBytes: 512 * 1024,
  /** A power of two. */
  maxPieceSlots: 64,
  /** What a batch assumes one slot of a level it has not read yet costs. */
  assumedSlotBytes: 1024 * 1024,
  /** Bytes of events a batch reads first: what the previous batch's bucket reads leave, within these. */
  minEventBytes: 256 * 1024,
  maxEventBytes: 8 * 1024 * 1024,
  /** What a first batch assumes its bucket reads will be. */
  assumedBucketBytes: 6 * 1024 * 1024,
  /** The smallest batch factor after repeated failures. */
  minScale: 1 / 64,
  /** Buckets and series documents one batch may touch (Convex allows 16,000 writes). */
  batchTouched: 6_000,
  /** Queries one batch may issue: bucket reads, their parts, series days (Convex allows 4,096). */
  batchQueries: 2_000,
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

const dayKey = (day: number, tenant: Tenant) => JSON.stringify([day, tenant ?? null]);

/** A bucket an event counts in, with its key. */
type Slot = { tenant: Tenant; level: number; start: number; key: string };
/** A series an event counts in: its key, and its (day, scope) group's. */
type SeriesDay = { tenant: Tenant; day: number; key: string; group: string };
/** An event of a batch, with what it touches: worked out once, used by the plan, the budget and the fold. */
type Batched = { e: EventDoc; slots: Slot[]; days: SeriesDay[] };

/** The buckets and series one event counts in: a digest, then ten levels in one or two scopes. */
function batched(e: EventDoc): Batched {
  const minute = minuteOf(e.timestamp);
  const slots: Slot[] = [{ tenant: undefined, level: 0, start: minute, key: bucketKey(0, minute, undefined) }];
  const days: SeriesDay[] = [];
  if (minute === OVERFLOW_MINUTE) return { e, slots, days };
  const day = Math.floor(e.timestamp / DAY);
  for (const tenant of e.tenantId === undefined ? [undefined] : [undefined, e.tenantId]) {
    for (let level = 1; level <= TOP_LEVEL; level++) {
      const start = bucketStart(minute, level);
      slots.push({ tenant, level, start, key: bucketKey(level, start, tenant) });
    }
    days.push({ tenant, day, key: seriesKey(tenant, e.action, day), group: dayKey(day, tenant) });
  }
  return { e, slots, days };
}

/** The changes one batch makes, before they meet the stored buckets. */
class Fold {
  buckets = new Map<string, Pending>();
  series = new Map<string, SeriesPending>();
  /** The series by (day, scope), in the order first touched: each is one range of stored series. */
  seriesGroups = new Map<string, SeriesPending[]>();

  add({ e, slots, days }: Batched): void {
    const entry = toEntry(e);
    for (const slot of slots) {
      const { tenant, level } = slot;
      const p = this.bucket(slot);
      p.count++;
      if (level === 0) p.digest.push(entry);
      // In a tenant's buckets the tenant is implied: no action × tenant keys.
      else p.fixed!.addEntry(tenant === undefined ? entry : withoutTenant(entry), level <= JOINT_MAX_LEVEL);
    }
    for (const { tenant, day, key, group } of days) {
      let s = this.series.get(key);
      if (!s) {
        this.series.set(key, (s = { tenant, action: e.action, day, minutes: new Map() }));
        const list = this.seriesGroups.get(group);
        if (list) list.push(s);
        else this.seriesGroups.set(group, [s]);
      }
      bump(s.minutes, Math.floor((e.timestamp - day * DAY) / MINUTE), 1);
    }
  }

  private bucket({ tenant, level, start, key }: Slot): Pending {
    let p = this.buckets.get(key);
    if (!p) {
      p = { tenant, level, start, count: 0, fixed: level === 0 ? null : new Agg(), digest: [] };
      this.buckets.set(key, p);
    }
    return p;
  }
}

const docBytes = (d: object) => JSON.stringify(d).length;

/** Touched starts closer than this many buckets of their level are read as one stretch. */
const RUN_GAP = 16;

/** The stretches of starts a batch's events touch, per level, in start order: what it may read. */
function planRuns(events: Batched[]): Map<number, Run[]> {
  const byLevel = new Map<number, Set<number>>();
  for (const { slots } of events) {
    for (const { level, start } of slots) {
      let set = byLevel.get(level);
      if (!set) byLevel.set(level, (set = new Set()));
      set.add(start);
    }
  }
  const plan = new Map<number, Run[]>();
  for (const [level, set] of byLevel) {
    const size = levelSize(level);
    const runs: Run[] = [];
    let run: Run | null = null;
    for (const s of [...set].sort((a, b) => a - b)) {
      // A short gap is cheaper to read through than to open a new range for.
      if (run && s - run.s1 <= RUN_GAP * size) run.s1 = s;
      else runs.push((run = { level, s0: s, s1: s }));
    }
    plan.set(level, runs);
  }
  return plan;
}

/**
 * The stored buckets and series a batch has read, and what reading them
 * cost. The batch's events are known first and give the stretches of starts
 * it may read (`planRuns`), but a stretch is read a piece at a time, when an
 * event first needs it: the starts around that event's in an aligned piece
 * sized to about `pieceBytes` at the density this batch has seen at that
 * level. So a batch knows the cost of the buckets it has read before it
 * decides on the next event, and one whose events are scattered over heavy
 * buckets stops at its budget instead of failing on Convex's read limit.
 */
class BatchReads {
  buckets = new Map<string, BucketDoc>();
  parts = new Map<string, PartDoc>();
  series = new Map<string, Doc<"statSeries">[]>();
  queries = 0;
  /** Bytes of each stored bucket with its parts, and of each series: what a rewrite reads again. */
  private stored = new Map<string, number>();
  private read = new Map<number, Set<number>>();
  private slotBytes = new Map<number, number>();
  private dayBytes: number | undefined;

  /**
   * `newest`: the newest minute any folded event fell in. Only the loop
   * writes buckets and series, so none start after it: those are neither
   * read nor counted.
   */
  constructor(
    private plan: Map<number, Run[]>,
    private newest: number,
  ) {}

  /** Starts per piece at a level: a power of two, so pieces stay aligned as the span changes. */
  private span(level: number): number {
    const per = this.slotBytes.get(level);
    if (per === undefined) return 1;
    const fit = Math.min(STATS_LIMITS.maxPieceSlots, STATS_LIMITS.pieceBytes / Math.max(1, per));
    return fit < 1 ? 1 : 2 ** Math.floor(Math.log2(fit));
  }

  /** The last start in [start, end] that may have stored buckets, or null. */
  private lastStored(level: number, start: number, end: number): number | null {
    // The overflow digest is the one bucket past the newest minute.
    if (level === 0 && end >= OVERFLOW_MINUTE) return end;
    return start > this.newest ? null : Math.min(end, this.newest);
  }

  private isRead(level: number, start: number): boolean {
    return this.read.get(level)?.has(start) ?? false;
  }

  /**
   * The unread starts around `at` within its planned stretch and its aligned
   * piece. A batch's first read at a level is one start (the density is not
   * known yet), so events in time order never reach back into full past
   * buckets: they find the next piece whole.
   */
  private extent(level: number, at: number): [number, number] {
    const runs = this.plan.get(level) ?? [];
    let lo = 0;
    let hi = runs.length - 1;
    let run: Run = { level, s0: at, s1: at };
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (runs[mid].s1 < at) lo = mid + 1;
      else if (runs[mid].s0 > at) hi = mid - 1;
      else {
        run = runs[mid];
        break;
      }
    }
    const size = levelSize(level);
    const block = this.span(level) * size;
    const first = Math.max(run.s0, Math.floor(at / block) * block);
    const lastStart = Math.min(run.s1, Math.floor(at / block) * block + block - size);
    const set = this.read.get(level);
    let start = at;
    let end = at;
    while (start - size >= first && !set?.has(start - size)) start -= size;
    while (end + size <= lastStart && !set?.has(end + size)) end += size;
    return [start, end];
  }

  /**
   * What folding `e` would add to the batch's reads: the pieces and series
   * days it needs (estimated from this batch's densities), and the stored
   * documents it would be first to rewrite.
   */
  cost(fold: Fold, { slots, days }: Batched): number {
    let bytes = 0;
    const pieces = new Set<string>();
    for (const { level, start, key } of slots) {
      if (this.isRead(level, start)) {
        if (!fold.buckets.has(key)) bytes += this.stored.get(key) ?? 0;
      } else if (!pieces.has(`${level}:${start}`)) {
        pieces.add(`${level}:${start}`);
        const per = this.slotBytes.get(level) ?? STATS_LIMITS.assumedSlotBytes;
        const [s0, s1] = this.extent(level, start);
        const last = this.lastStored(level, s0, s1);
        // The piece, and a start's worth of its buckets rewritten.
        if (last !== null) bytes += per * (Math.floor((last - s0) / levelSize(level)) + 2);
      }
    }
    for (const { day, key, group } of days) {
      if (!this.series.has(group)) {
        if (day * DAY <= this.newest * MINUTE) bytes += 2 * (this.dayBytes ?? STATS_LIMITS.assumedSlotBytes);
      } else if (!fold.series.has(key)) bytes += this.stored.get(key) ?? 0;
    }
    return bytes;
  }

  /** Reads what `e` needs and is not read yet; returns the bytes read, plus those its first rewrites will reread. */
  async prepare(ctx: MutationCtx, fold: Fold, { slots, days }: Batched): Promise<number> {
    let bytes = 0;
    for (const { level, start, key } of slots) {
      if (!this.isRead(level, start)) bytes += await this.readPiece(ctx, level, start);
      if (!fold.buckets.has(key)) bytes += this.stored.get(key) ?? 0;
    }
    for (const { tenant, day, key, group } of days) {
      if (!this.series.has(group)) bytes += await this.readDay(ctx, day, tenant, group);
      if (!fold.series.has(key)) bytes += this.stored.get(key) ?? 0;
    }
    return bytes;
  }

  private async readPiece(ctx: MutationCtx, level: number, at: number): Promise<number> {
    const size = levelSize(level);
    const [start, end] = this.extent(level, at);
    let set = this.read.get(level);
    if (!set) this.read.set(level, (set = new Set()));
    for (let s = start; s <= end; s += size) set.add(s);
    const last = this.lastStored(level, start, end);
    if (last === null) return 0;
    const docs = await ctx.db
      .query("statBuckets")
      .withIndex("by_time", (q) => q.eq("level", level).gte("start", start).lte("start", last))
      .collect();
    this.queries++;
    let bytes = 0;
    let parted = false;
    for (const d of docs) {
      const n = docBytes(d);
      bytes += n;
      const key = bucketKey(d.level, d.start, d.tenant);
      this.buckets.set(key, d);
      this.stored.set(key, n);
      if (d.mainParts || d.jointParts || d.digestParts) parted = true;
    }
    if (parted) {
      const ps = await ctx.db
        .query("statParts")
        .withIndex("by_time", (q) => q.eq("level", level).gte("start", start).lte("start", last))
        .collect();
      this.queries++;
      for (const p of ps) {
        const n = docBytes(p);
        bytes += n;
        const key = bucketKey(p.level, p.start, p.tenant);
        this.parts.set(partKey(p.level, p.start, p.tenant, p.kind, p.part), p);
        this.stored.set(key, (this.stored.get(key) ?? 0) + n);
      }
    }
    const per = bytes / (Math.floor((last - start) / size) + 1);
    this.slotBytes.set(level, Math.max(per, this.slotBytes.get(level) ?? 0));
    return bytes;
  }

  /** One (day, scope) of series: every action's, one range. */
  private async readDay(ctx: MutationCtx, day: number, tenant: Tenant, group: string): Promise<number> {
    if (day * DAY > this.newest * MINUTE) {
      this.series.set(group, []);
      return 0;
    }
    const docs = await ctx.db
      .query("statSeries")
      .withIndex("by_day", (q) => q.eq("day", day).eq("tenant", tenant))
      .collect();
    this.queries++;
    let bytes = 0;
    for (const d of docs) {
      const n = docBytes(d);
      bytes += n;
      this.stored.set(seriesKey(d.tenant, d.action, d.day), n);
    }
    this.series.set(group, docs);
    this.dayBytes = Math.max(bytes, this.dayBytes ?? 0);
    return bytes;
  }
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
export type RollupResult = { folded: number; caughtUp: boolean; rolledUpThrough: number | null };

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
  const next = Math.min(1, scale * 2);
  return await rollupBatch(ctx, {}, scale, async (result) => ({
    chainJob: result.caughtUp ? undefined : await ctx.scheduler.runAfter(0, internal.stats.rollupChain, { scale: next }),
    scale: next,
  }));
}

export const rollupChain = internalMutation({
  args: { scale: v.number() },
  returns: vRollupResult,
  handler: rollupChainHandler,
});
