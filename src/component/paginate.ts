/**
 * The paginated queries' two shapes, newest first.
 *
 * A query that is one index range uses Convex's own `.paginate()`: documents
 * read equal rows returned, `endCursor` works, and reactive re-runs keep their
 * page boundaries. A query that is a union of ranges (several actions,
 * several severities) merges the ranges lazily (read.ts), reading each only
 * as far as the page needs: rows returned plus one look-ahead per range.
 */
import type { PaginationOptions, PaginationResult } from "convex/server";
import type { QueryCtx } from "./_generated/server.js";
import { checkPageSize, checkWindow } from "../shared/checks.js";
import type { TimeWindow } from "../shared/validators.js";
import { decodePosition, encodePosition, invalidCursor, openCursor, sealCursor } from "./cursor.js";
import { atOrAfter, MergedRanges, positionOf, windowRange, type EventDoc, type Position, type RangeSpec } from "./read.js";

/**
 * One index range through Convex's paginator. Its cursors are sealed with
 * the range and window: Convex's own cursor is a position in an index, and
 * a position from another query's index would be read without complaint and
 * give a wrong page.
 */
export async function paginateRange(
  ctx: QueryCtx,
  spec: RangeSpec,
  window: TimeWindow,
  paginationOpts: PaginationOptions,
): Promise<PaginationResult<EventDoc>> {
  checkWindow(window);
  checkPageSize(paginationOpts.numItems);
  const shape = JSON.stringify([spec.index, spec.eq, window.fromTimestamp ?? null, window.toTimestamp ?? null]);
  const open = async (cursor: string | null | undefined, field: string) =>
    cursor === null || cursor === undefined ? cursor : await openCursor(ctx, "range", shape, cursor, field);
  const opts = {
    ...paginationOpts,
    cursor: (await open(paginationOpts.cursor, "paginationOpts.cursor")) ?? null,
    endCursor: await open(paginationOpts.endCursor, "paginationOpts.endCursor"),
  };
  let result: PaginationResult<EventDoc>;
  try {
    result = await windowRange(ctx, spec, window).paginate(opts);
  } catch (e) {
    // Only a cursor we sealed gets here; if Convex cannot read it, it was altered.
    if (opts.cursor !== null || opts.endCursor != null) throw invalidCursor("paginationOpts.cursor", false);
    throw e;
  }
  const seal = (cursor: string) => sealCursor(ctx, "range", shape, cursor);
  return {
    ...result,
    continueCursor: await seal(result.continueCursor),
    ...(result.splitCursor ? { splitCursor: await seal(result.splitCursor) } : {}),
  };
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
): Promise<PaginationResult<EventDoc>> {
  checkWindow(window);
  const numItems = checkPageSize(paginationOpts.numItems);
  const position = (cursor: string, field: string) => decodePosition(ctx, shape, cursor, field);
  const start = paginationOpts.cursor === null ? undefined : await position(paginationOpts.cursor, "paginationOpts.cursor");
  const end = paginationOpts.endCursor == null ? undefined : await position(paginationOpts.endCursor, "paginationOpts.endCursor");
  if (start === "end") return { page: [], isDone: true, continueCursor: await encodePosition(ctx, shape, "end") };
  const { page, isDone } = await mergedPage(ctx, specs, window, start, numItems, end);
  if (isDone) return { page, isDone, continueCursor: await encodePosition(ctx, shape, "end") };
  // A pinned page continues exactly where it was pinned, even if the row there is gone since.
  if (end !== undefined) return { page, isDone, continueCursor: paginationOpts.endCursor! };
  return { page, isDone, continueCursor: await encodePosition(ctx, shape, positionOf(page[page.length - 1])) };
}

/** Rows of the merged ranges after `start`: `numItems` of them, or (with `end`) up to that position. */
async function mergedPage(
  ctx: QueryCtx,
  specs: RangeSpec[],
  window: TimeWindow,
  start: Position | undefined,
  numItems: number,
  end?: Position | "end",
): Promise<{ page: EventDoc[]; isDone: boolean }> {
  const rows = await MergedRanges.open(ctx, specs, window, start);
  const page: EventDoc[] = [];
  for (;;) {
    const doc = await rows.next();
    if (doc === null) return { page, isDone: true };
    if (end !== undefined && end !== "end" && !atOrAfter(doc, end)) return { page, isDone: false };
    page.push(doc);
    if (end === undefined && page.length >= numItems) return { page, isDone: false };
  }
}

/** Newest `limit` rows across several ranges (no cursor): for live views. */
export async function takeMerged(ctx: QueryCtx, specs: RangeSpec[], window: TimeWindow, limit: number): Promise<EventDoc[]> {
  checkWindow(window);
  return (await mergedPage(ctx, specs, window, undefined, limit)).page;
}
