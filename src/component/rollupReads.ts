/**
 * What one rollup batch touches and reads: the buckets and series each of
 * its events counts in (`batched`), the changes it folds (`Fold`), and the
 * stored buckets it reads a piece at a time under its byte budget
 * (`BatchReads`). rollup.ts writes the result.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import {
  Agg,
  DAY,
  JOINT_MAX_LEVEL,
  MINUTE,
  OVERFLOW_MINUTE,
  TOP_LEVEL,
  bucketStart,
  bump,
  levelSize,
  minuteOf,
  toEntry,
  type Entry,
  type Run,
} from "../shared/stats.js";
import type { Tenant } from "./statsRead.js";

type EventDoc = Doc<"events">;
type BucketDoc = Doc<"statBuckets">;
type PartDoc = Doc<"statParts">;

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
  /** Buckets and series documents one batch may touch (Convex allows 16,000 writes). */
  batchTouched: 6_000,
  /** Queries one batch may issue: bucket reads, their parts, series days (Convex allows 4,096). */
  batchQueries: 2_000,
} as const;

// ---- The rollup loop ----------------------------------------------------------


export type Pending = {
  tenant: Tenant;
  level: number;
  start: number;
  count: number;
  fixed: Agg | null;
  digest: Entry[];
};
export type SeriesPending = { tenant: Tenant; action: string; day: number; minutes: Map<number, number> };

export const bucketKey = (level: number, start: number, tenant: Tenant) => JSON.stringify([level, start, tenant ?? null]);
export const partKey = (level: number, start: number, tenant: Tenant, kind: string, part: number) =>
  JSON.stringify([level, start, tenant ?? null, kind, part]);
export const seriesKey = (tenant: Tenant, action: string, day: number) => JSON.stringify([tenant ?? null, action, day]);

const withoutTenant = (e: Entry): Entry => [e[0], e[1], e[2], e[3], e[4], e[5], null];

const dayKey = (day: number, tenant: Tenant) => JSON.stringify([day, tenant ?? null]);

/** A bucket an event counts in, with its key. */
type Slot = { tenant: Tenant; level: number; start: number; key: string };
/** A series an event counts in: its key, and its (day, scope) group's. */
type SeriesDay = { tenant: Tenant; day: number; key: string; group: string };
/** An event of a batch, with what it touches: worked out once, used by the plan, the budget and the fold. */
export type Batched = { e: EventDoc; slots: Slot[]; days: SeriesDay[] };

/** The buckets and series one event counts in: a digest, then ten levels in one or two scopes. */
export function batched(e: EventDoc): Batched {
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
export class Fold {
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

// An int64 field (a bigint) would make JSON.stringify throw and the batch fail for good:
// counted as Convex's JSON encodes it ({"$integer": "<12 base64 characters>"}).
const int64AsJson = (_k: string, v: unknown) => (typeof v === "bigint" ? { $integer: "AAAAAAAAAAA=" } : v);
export const docBytes = (d: object) => JSON.stringify(d, int64AsJson).length;

/** Touched starts closer than this many buckets of their level are read as one stretch. */
const RUN_GAP = 16;

/** The stretches of starts a batch's events touch, per level, in start order: what it may read. */
export function planRuns(events: Batched[]): Map<number, Run[]> {
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
export class BatchReads {
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
