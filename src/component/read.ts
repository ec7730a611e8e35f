/**
 * The component's reading toolkit: index ranges of the events table, a lazy
 * newest-first merge of several of them, and one read budget. Pagination,
 * search, reports and retention all read through these, so "what a read
 * costs" is decided in one place.
 *
 * Reads are index ranges, never `.filter()`: filters the range does not hold
 * are applied by the caller in TypeScript while iterating, so documents read
 * equal documents scanned in tests and in production.
 */
import type { IndexNames, NamedTableInfo } from "convex/server";
import type { DataModel, Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import type { TimeWindow } from "../shared/validators.js";

export type EventDoc = Doc<"events">;

/** Indexes that end with `timestamp` (then `_creationTime`): each a newest-first range read. */
export type EventIndex = Exclude<
  IndexNames<NamedTableInfo<DataModel, "events">>,
  "by_creation_time" | "by_id" | "by_idempotency" | "by_retention"
>;

/** An index and the equality prefix to read under it. */
export type RangeSpec = { index: EventIndex; eq: ReadonlyArray<readonly [string, string | undefined]> };

/** A place in newest-first order: an event's timestamp and creation time. */
export type Position = { t: number; c: number };

// The range builder's static types follow one index at a time; specs name it at run time.
export type Bounds = {
  eq(field: string, value: unknown): Bounds;
  gt(field: string, value: unknown): Bounds;
  gte(field: string, value: unknown): Bounds;
  lt(field: string, value: unknown): Bounds;
  lte(field: string, value: unknown): Bounds;
};

/** An index range of the events table, as `bounds` draws it on `index`. */
export function eventRange(
  ctx: QueryCtx,
  index: EventIndex | "by_retention",
  bounds: (b: Bounds) => Bounds,
  order: "asc" | "desc" = "desc",
) {
  return ctx.db
    .query("events")
    .withIndex(index, (q) => bounds(q as unknown as Bounds) as never)
    .order(order);
}

const withPrefix = (spec: RangeSpec, bounds: (b: Bounds) => Bounds) => (b: Bounds) => {
  for (const [field, value] of spec.eq) b = b.eq(field, value);
  return bounds(b);
};

export function windowBounds(w: TimeWindow) {
  return (b: Bounds) => {
    if (w.fromTimestamp !== undefined) b = b.gte("timestamp", w.fromTimestamp);
    if (w.toTimestamp !== undefined) b = b.lte("timestamp", w.toTimestamp);
    return b;
  };
}

/** The range `spec` within the window, newest first, as a Convex query (to paginate or iterate). */
export function windowRange(ctx: QueryCtx, spec: RangeSpec, w: TimeWindow) {
  return eventRange(ctx, spec.index, withPrefix(spec, windowBounds(w)));
}

/** Newest-first rows of one range within the window, strictly older than `after` if given. */
export async function* rangeStream(
  ctx: QueryCtx,
  spec: RangeSpec,
  w: TimeWindow,
  after: Position | undefined,
): AsyncGenerator<EventDoc> {
  if (after === undefined) {
    yield* windowRange(ctx, spec, w);
    return;
  }
  const inWindow =
    (w.fromTimestamp === undefined || after.t >= w.fromTimestamp) && (w.toTimestamp === undefined || after.t <= w.toTimestamp);
  if (inWindow) {
    // Rows sharing the position's timestamp, older by creation time.
    yield* eventRange(ctx, spec.index, withPrefix(spec, (b) => b.eq("timestamp", after.t).lt("_creationTime", after.c)));
  }
  yield* eventRange(
    ctx,
    spec.index,
    withPrefix(spec, (b) => {
      if (w.fromTimestamp !== undefined) b = b.gte("timestamp", w.fromTimestamp);
      return w.toTimestamp !== undefined && w.toTimestamp < after.t ? b.lte("timestamp", w.toTimestamp) : b.lt("timestamp", after.t);
    }),
  );
}

/** Newest-first order: by timestamp, then by creation. */
export const newer = (a: EventDoc, b: EventDoc) =>
  a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : a._creationTime > b._creationTime;
export const atOrAfter = (d: EventDoc, p: Position) => (d.timestamp !== p.t ? d.timestamp > p.t : d._creationTime >= p.c);
export const positionOf = (d: EventDoc): Position => ({ t: d.timestamp, c: d._creationTime });

/**
 * Several ranges merged newest first, lazily: each range is read one row
 * ahead, and a range is advanced only when the caller asks for the row after
 * the one it took from it. So a page reads its rows plus one look-ahead per
 * range, and stopping costs nothing more. `scanned` counts every row read.
 */
export class MergedRanges {
  scanned = 0;
  private taken = -1;

  private constructor(
    private readonly iters: AsyncGenerator<EventDoc>[],
    private readonly heads: Array<EventDoc | null>,
  ) {}

  static async open(ctx: QueryCtx, specs: RangeSpec[], w: TimeWindow, after: Position | undefined): Promise<MergedRanges> {
    const merged = new MergedRanges(
      specs.map((spec) => rangeStream(ctx, spec, w, after)),
      [],
    );
    for (let i = 0; i < specs.length; i++) merged.heads.push(await merged.pull(i));
    return merged;
  }

  private async pull(i: number): Promise<EventDoc | null> {
    const next = await this.iters[i].next();
    if (next.done) return null;
    this.scanned++;
    return next.value;
  }

  /** The newest row not returned yet, or null when every range has ended. */
  async next(): Promise<EventDoc | null> {
    if (this.taken >= 0) this.heads[this.taken] = await this.pull(this.taken);
    let best = -1;
    for (let i = 0; i < this.heads.length; i++) {
      const h = this.heads[i];
      if (h !== null && (best === -1 || newer(h, this.heads[best]!))) best = i;
    }
    this.taken = best;
    return best === -1 ? null : this.heads[best];
  }
}

/** What stopped a budgeted read. */
export type StopReason = "documents" | "bytes" | "transaction";

/**
 * How much one call may read: documents it counts itself, bytes as Convex
 * counts them (measured with getTransactionMetrics, so what the caller's
 * transaction read before is not charged to it), and a margin below the
 * transaction's own limits whatever the caller read before.
 */
export class ReadBudget {
  private constructor(
    private readonly ctx: QueryCtx,
    private readonly limits: { documents: number; bytes: number; checkEvery: number },
    private readonly bytesAtStart: number,
  ) {}

  /**
   * `checkEvery`: documents between two looks at the metrics. An event is at
   * most 1 MiB, so a few documents past a byte limit stay far from Convex's.
   */
  static async start(
    ctx: QueryCtx,
    limits: { documents: number; bytes?: number; checkEvery?: number },
  ): Promise<ReadBudget> {
    return new ReadBudget(
      ctx,
      { documents: limits.documents, bytes: limits.bytes ?? Infinity, checkEvery: limits.checkEvery ?? 4 },
      (await bytesReadSoFar(ctx)) ?? 0,
    );
  }

  /** Why reading must stop now that `documents` have been read, if it must. */
  async stop(documents: number): Promise<StopReason | undefined> {
    if (documents >= this.limits.documents) return "documents";
    if (documents % this.limits.checkEvery !== 0) return undefined;
    const m = await metrics(this.ctx);
    if (m === null) return undefined; // A runtime without metrics: the document budget alone bounds the read.
    if (m.bytesRead.used - this.bytesAtStart >= this.limits.bytes) return "bytes";
    // Room for the largest document (1 MiB) and a few more queries and writes.
    if (
      m.bytesRead.remaining < 1.5 * 1024 * 1024 ||
      m.documentsRead.remaining < 16 ||
      m.databaseQueries.remaining < 16 ||
      m.documentsWritten.remaining < 16 ||
      m.bytesWritten.remaining < 1024 * 1024
    ) {
      return "transaction";
    }
    return undefined;
  }
}

async function metrics(ctx: QueryCtx) {
  try {
    return await ctx.meta.getTransactionMetrics();
  } catch {
    return null;
  }
}

/** Bytes this transaction has read so far (the caller's included), or null if the runtime does not say. */
export async function bytesReadSoFar(ctx: QueryCtx): Promise<number | null> {
  return (await metrics(ctx))?.bytesRead.used ?? null;
}
