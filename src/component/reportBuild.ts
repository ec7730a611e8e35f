/**
 * The one-transaction report: every matching event in the window, or
 * REPORT_TOO_LARGE, never part of a report. It reads through the search
 * planner (the most selective index ranges for the filters, merged newest
 * first, remaining filters applied while scanning), as an export page does.
 */
import type { QueryCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import { matches, normalizeFilters, scopedFilters, type ReadScope, type SearchFilters } from "../shared/filters.js";
import {
  checkColumns,
  checkDates,
  checkFormat,
  checkGroupBy,
  compareGroupKeys,
  FORMATS,
  groupKey,
  REPORT_LIMITS,
  type Report,
} from "../shared/report.js";
import { sha256Hex, utf8Length } from "../shared/text.js";
import { MergedRanges, positionOf, ReadBudget, type EventDoc, type Position } from "./read.js";
import { plan } from "./search.js";

export type ScanCaps = { maxRows: number; maxScanned: number; maxReadBytes: number; maxOutputBytes: number };
export type ScanResult = {
  done: boolean;
  /** Position of the last event scanned: where the next page starts. */
  last: Position | undefined;
  scanned: number;
  rows: number;
  outputBytes: number;
  stoppedBy?: "rows" | "scanned" | "readBytes" | "outputBytes";
};

/**
 * Scans the planner's ranges newest first from `start`, calling `emit` for
 * every matching event (it returns the bytes it wrote), until the ranges end
 * or a cap is reached. Caps are checked after each event, so every call
 * makes progress.
 */
export async function scanEvents(
  ctx: QueryCtx,
  f: SearchFilters,
  start: Position | undefined,
  caps: ScanCaps,
  emit: (doc: EventDoc) => number,
  scope?: ReadScope,
): Promise<ScanResult> {
  const reads = await ReadBudget.start(ctx, { documents: caps.maxScanned, bytes: caps.maxReadBytes });
  const rows = await MergedRanges.open(ctx, plan(f, scope).specs, { fromTimestamp: f.fromTimestamp, toTimestamp: f.toTimestamp }, start);
  let matched = 0;
  let outputBytes = 0;
  let last: Position | undefined;
  for (;;) {
    const doc = await rows.next();
    if (doc === null) return { done: true, last, scanned: rows.scanned, rows: matched, outputBytes };
    last = positionOf(doc);
    if (matches(doc, f)) {
      matched++;
      outputBytes += emit(doc);
    }
    let stoppedBy: ScanResult["stoppedBy"];
    if (matched >= caps.maxRows) stoppedBy = "rows";
    else if (outputBytes >= caps.maxOutputBytes) stoppedBy = "outputBytes";
    else {
      const why = await reads.stop(rows.scanned);
      if (why !== undefined) stoppedBy = why === "documents" ? "scanned" : "readBytes";
    }
    if (stoppedBy !== undefined) return { done: false, last, scanned: rows.scanned, rows: matched, outputBytes, stoppedBy };
  }
}

/** A report's filters: the caller's, checked, confined to the scope, with the window. */
export function reportFilters(
  startDate: number,
  endDate: number,
  filters: SearchFilters | undefined,
  scope: ReadScope | undefined,
  what: string,
): SearchFilters {
  checkDates(startDate, endDate, filters);
  const scoped = scopedFilters(filters ?? {}, scope, { writes: true, what });
  return normalizeFilters({ ...scoped, fromTimestamp: startDate, toTimestamp: endDate });
}

const tooLarge = (why: string) =>
  auditError(
    "REPORT_TOO_LARGE",
    `${why}; narrow the window or the filters, or export it with auditLog.exportReport (any size, written to file storage)`,
  );

export type BuildArgs = {
  startDate: number;
  endDate: number;
  format: string;
  includeFields?: string[];
  groupBy?: string;
  filters?: SearchFilters;
  bom?: boolean;
  scope?: ReadScope;
};

/**
 * Every matching row in the window, or REPORT_TOO_LARGE. Rows are newest
 * first; with `groupBy`, grouped (keys ascending, missing last) and newest
 * first within each group.
 */
export async function buildReport(ctx: QueryCtx, args: BuildArgs): Promise<Report> {
  const format = checkFormat(args.format, "report");
  let columns = checkColumns(args.includeFields);
  const groupBy = checkGroupBy(args.groupBy);
  const f = reportFilters(args.startDate, args.endDate, args.filters, args.scope, "report on");
  // Rows sorted by a column nobody can see would look unsorted: the group column leads if it was left out.
  if (groupBy !== undefined && !columns.includes(groupBy)) columns = [groupBy, ...columns];

  const spec = FORMATS[format];
  const rows: Array<{ key: string | null; text: string }> = [];
  const limits = REPORT_LIMITS;
  const result = await scanEvents(
    ctx,
    f,
    undefined,
    // One row past the limit tells "exactly at the limit" from "over it".
    { maxRows: limits.maxRows + 1, maxScanned: limits.maxScanned, maxReadBytes: limits.maxReadBytes, maxOutputBytes: limits.maxOutputBytes + 1 },
    (doc) => {
      const text = spec.row(doc, columns);
      rows.push({ key: groupBy === undefined ? null : groupKey(doc, groupBy), text });
      return utf8Length(text) + 1;
    },
    args.scope,
  );
  if (!result.done) {
    switch (result.stoppedBy) {
      case "rows":
        throw tooLarge(`more than ${limits.maxRows.toLocaleString("en")} events match`);
      case "outputBytes":
        throw tooLarge(`the report would be over ${limits.maxOutputBytes / 1024 / 1024} MiB`);
      default:
        throw tooLarge(
          `finding the rows needs more than one transaction's reads (${result.scanned.toLocaleString("en")} events scanned, ${result.rows.toLocaleString("en")} matching so far)`,
        );
    }
  }

  let groups: Array<{ key: string | null; count: number }> | undefined;
  if (groupBy !== undefined) {
    // Stable: each group keeps the scan's newest-first order.
    rows.sort((a, b) => compareGroupKeys(a.key, b.key));
    groups = [];
    for (const r of rows) {
      const g = groups[groups.length - 1];
      if (g !== undefined && g.key === r.key) g.count++;
      else groups.push({ key: r.key, count: 1 });
    }
  }

  const data = spec.document(spec.header(columns, args.bom === true && spec.bom), rows, groups, groupBy);
  const bytes = utf8Length(data);
  if (bytes > limits.maxOutputBytes) throw tooLarge(`the report would be over ${limits.maxOutputBytes / 1024 / 1024} MiB`);

  const report: Report = {
    format,
    data,
    columns,
    recordCount: rows.length,
    bytes,
    sha256: await sha256Hex(data),
    startDate: args.startDate,
    endDate: args.endDate,
    generatedAt: Date.now(),
    scanned: result.scanned,
  };
  if (groupBy !== undefined) {
    report.groupBy = groupBy;
    report.groups = groups;
  }
  return report;
}
