/**
 * Index-range reads of the events table, newest first.
 *
 * A query shape that is one index range uses Convex's own `.paginate()`:
 * documents read equal rows returned, `endCursor` works, and reactive
 * re-runs keep their page boundaries. A shape that is a union of ranges
 * (several actions, several severities) merges the ranges lazily by
 * (timestamp, _creationTime), reading each range only as far as the page
 * needs: rows returned plus one look-ahead per range.
 */
import type { PaginationOptions, PaginationResult } from "convex/server";
import type { Doc } from "./_generated/dataModel.js";
import type { QueryCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import { LIMITS } from "../shared/validators.js";

type EventDocument = Doc<"events">;
export type EventIndex =
  | "by_timestamp"
  | "by_resource"
  | "by_actor"
  | "by_actor_action"
  | "by_action"
  | "by_severity"
  | "by_tenant"
  | "by_tenant_resource"
  | "by_tenant_actor"
  | "by_tenant_actor_action"
  | "by_tenant_severity"
  | "by_tenant_action"
  | "by_category"
  | "by_tenant_category"
  | "by_status"
  | "by_tenant_status";

/** An index and the equality prefix to read under it. */
export type RangeSpec = { index: EventIndex; eq: ReadonlyArray<readonly [string, string | undefined]> };
export type TimeWindow = { fromTimestamp?: number; toTimestamp?: number };
export type Position = { t: number; c: number };

// The range builder's static types follow one index at a time; specs name it at run time.
type Builder = {
  eq(field: string, value: unknown): Builder;
  gt(field: string, value: number): Builder;
  gte(field: string, value: number): Builder;
  lt(field: string, value: number): Builder;
  lte(field: string, value: number): Builder;
};

export function checkWindow({ fromTimestamp, toTimestamp }: TimeWindow): void {
  for (const [name, value] of [
    ["fromTimestamp", fromTimestamp],
    ["toTimestamp", toTimestamp],
  ] as const) {
    if (value !== undefined && !Number.isFinite(value)) {
      throw auditError("INVALID_ARGUMENT", `${name} must be a finite number`, name);
    }
  }
  if (fromTimestamp !== undefined && toTimestamp !== undefined && fromTimestamp > toTimestamp) {
    throw auditError("INVALID_ARGUMENT", "fromTimestamp is after toTimestamp", "fromTimestamp");
  }
}

export function checkLimit(n: number, field = "limit"): number {
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxPageSize) {
    throw auditError("INVALID_ARGUMENT", `${field} must be an integer from 1 to ${LIMITS.maxPageSize}`, field);
  }
  return n;
}

function rangeQuery(
  ctx: QueryCtx,
  spec: RangeSpec,
  bounds: (b: Builder) => Builder,
) {
  return ctx.db
    .query("events")
    .withIndex(spec.index, (q) => {
      let b = q as unknown as Builder;
      for (const [field, value] of spec.eq) b = b.eq(field, value);
      return bounds(b) as never;
    })
    .order("desc");
}

function windowBounds(w: TimeWindow) {
  return (b: Builder) => {
    if (w.fromTimestamp !== undefined) b = b.gte("timestamp", w.fromTimestamp);
    if (w.toTimestamp !== undefined) b = b.lte("timestamp", w.toTimestamp);
    return b;
  };
}

/**
 * One index range through Convex's paginator. Its cursors are wrapped with a
 * hash of the range and window: Convex's own cursor is a position in an
 * index, and a position from another query's index would be read without
 * complaint and give a wrong page.
 */
export async function paginateRange(
  ctx: QueryCtx,
  spec: RangeSpec,
  window: TimeWindow,
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<EventDocument>> {
  checkWindow(window);
  checkLimit(paginationOpts.numItems, "paginationOpts.numItems");
  const tag = `${RANGE_PREFIX}${shapeHash(JSON.stringify([spec.index, spec.eq, window.fromTimestamp ?? null, window.toTimestamp ?? null]))}.`;
  const unwrap = (cursor: string | null | undefined, field: string) => {
    if (cursor === null || cursor === undefined) return cursor;
    if (!cursor.startsWith(tag)) throw invalidCursor(field, cursor.startsWith(RANGE_PREFIX) || cursor.startsWith(MERGED_PREFIX));
    return cursor.slice(tag.length);
  };
  const wrap = (cursor: string) => tag + cursor;
  const opts = {
    ...paginationOpts,
    cursor: unwrap(paginationOpts.cursor, "paginationOpts.cursor") ?? null,
    endCursor: unwrap(paginationOpts.endCursor, "paginationOpts.endCursor"),
  };
  let result: PaginationResult<EventDocument>;
  try {
    result = await rangeQuery(ctx, spec, windowBounds(window)).paginate(opts);
  } catch (e) {
    // Only a cursor we wrapped gets here; if Convex cannot read it, it was altered.
    if (opts.cursor !== null || opts.endCursor != null) throw invalidCursor("paginationOpts.cursor", false);
    throw e;
  }
  return {
    ...result,
    continueCursor: wrap(result.continueCursor),
    ...(result.splitCursor ? { splitCursor: wrap(result.splitCursor) } : {}),
  };
}

/**
 * The message starts with "InvalidCursor" because convex/react's
 * usePaginatedQuery looks for that word and starts over instead of failing.
 */
function invalidCursor(field: string, foreign: boolean) {
  return auditError(
    "INVALID_CURSOR",
    foreign ? "InvalidCursor: this cursor belongs to a different query" : "InvalidCursor: the cursor is not valid for this query",
    field,
  );
}

/** Newest-first rows of one range, strictly older than `after` if given. */
export async function* rangeStream(
  ctx: QueryCtx,
  spec: RangeSpec,
  w: TimeWindow,
  after: Position | undefined,
): AsyncGenerator<EventDocument> {
  if (after === undefined) {
    yield* rangeQuery(ctx, spec, windowBounds(w));
    return;
  }
  const inWindow =
    (w.fromTimestamp === undefined || after.t >= w.fromTimestamp) &&
    (w.toTimestamp === undefined || after.t <= w.toTimestamp);
  if (inWindow) {
    // Rows sharing the cursor's timestamp, older by creation time.
    yield* rangeQuery(ctx, spec, (b) => b.eq("timestamp", after.t).lt("_creationTime", after.c));
  }
  yield* rangeQuery(ctx, spec, (b) => {
    if (w.fromTimestamp !== undefined) b = b.gte("timestamp", w.fromTimestamp);
    return w.toTimestamp !== undefined && w.toTimestamp < after.t
      ? b.lte("timestamp", w.toTimestamp)
      : b.lt("timestamp", after.t);
  });
}

export const MERGED_PREFIX = "m1.";
const RANGE_PREFIX = "r1.";
export const newer = (a: EventDocument, b: EventDocument) =>
  a.timestamp !== b.timestamp ? a.timestamp > b.timestamp : a._creationTime > b._creationTime;
const atOrAfter = (d: EventDocument, p: Position) =>
  d.timestamp !== p.t ? d.timestamp > p.t : d._creationTime >= p.c;

/** FNV-1a: a cursor names its query by a short hash, never by its arguments. */
function shapeHash(shape: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < shape.length; i++) {
    h ^= shape.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

export function encodeCursor(shape: string, body: Position | "end"): string {
  const s = shapeHash(shape);
  return MERGED_PREFIX + btoa(JSON.stringify(body === "end" ? { s, end: 1 } : { s, ...body }));
}

export function decodeCursor(shape: string, cursor: string, field: string): Position | "end" {
  const bad = () => invalidCursor(field, false);
  if (!cursor.startsWith(MERGED_PREFIX)) throw invalidCursor(field, cursor.startsWith(RANGE_PREFIX));
  let parsed: unknown;
  try {
    parsed = JSON.parse(atob(cursor.slice(MERGED_PREFIX.length)));
  } catch {
    throw bad();
  }
  if (typeof parsed !== "object" || parsed === null) throw bad();
  const { s, t, c, end } = parsed as Record<string, unknown>;
  if (s !== shapeHash(shape)) throw invalidCursor(field, true);
  if (end === 1) return "end";
  if (typeof t !== "number" || typeof c !== "number" || !Number.isFinite(t) || !Number.isFinite(c)) throw bad();
  return { t, c };
}

/**
 * Merges several index ranges into one page. `shape` identifies the query
 * (function and arguments) so a cursor from another query is refused.
 */
export async function paginateMerged(
  ctx: QueryCtx,
  specs: RangeSpec[],
  window: TimeWindow,
  paginationOpts: PaginationOptions,
  shape: string,
): Promise<PaginationResult<EventDocument>> {
  checkWindow(window);
  const numItems = checkLimit(paginationOpts.numItems, "paginationOpts.numItems");
  const start =
    paginationOpts.cursor === null ? undefined : decodeCursor(shape, paginationOpts.cursor, "paginationOpts.cursor");
  const end =
    paginationOpts.endCursor == null ? undefined : decodeCursor(shape, paginationOpts.endCursor, "paginationOpts.endCursor");
  if (start === "end") return { page: [], isDone: true, continueCursor: encodeCursor(shape, "end") };
  const iters = specs.map((spec) => rangeStream(ctx, spec, window, start));
  const heads = await Promise.all(iters.map(async (it) => (await it.next()).value ?? null));
  const page: EventDocument[] = [];
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== null && (best === -1 || newer(h, heads[best]!))) best = i;
    }
    if (best === -1) {
      return { page, isDone: true, continueCursor: encodeCursor(shape, "end") };
    }
    const doc = heads[best]!;
    if (end !== undefined && (end === "end" ? false : !atOrAfter(doc, end))) break;
    page.push(doc);
    if (end === undefined && page.length >= numItems) break;
    heads[best] = (await iters[best].next()).value ?? null;
  }
  // A pinned page continues exactly where it was pinned, even if the row there is gone since.
  if (end !== undefined) return { page, isDone: false, continueCursor: paginationOpts.endCursor! };
  const last = page[page.length - 1];
  return { page, isDone: false, continueCursor: encodeCursor(shape, { t: last.timestamp, c: last._creationTime }) };
}

/** Newest `limit` rows across several ranges (no cursor): for live views. */
export async function takeMerged(
  ctx: QueryCtx,
  specs: RangeSpec[],
  window: TimeWindow,
  limit: number,
): Promise<EventDocument[]> {
  const result = await paginateMerged(ctx, specs, window, { numItems: limit, cursor: null }, "take");
  return result.page;
}
