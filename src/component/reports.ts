/**
 * Reports: the one-transaction report (`build`) and the export of a range of
 * any size to file storage (`startExport` → `exportStep` actions → parts).
 *
 * Both read through the search planner (the most selective index ranges for
 * the filters, merged newest first, remaining filters applied while
 * scanning), with their own budgets: `build` refuses with REPORT_TOO_LARGE
 * rather than return part of a report; an export page stops at its budget and
 * the next page resumes at the last event scanned, so nothing is skipped or
 * written twice.
 */
import { v } from "convex/values";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internal } from "./_generated/api.js";
import {
  action,
  internalAction,
  internalMutation,
  internalQuery,
  mutation,
  query,
  type MutationCtx,
  type QueryCtx,
} from "./_generated/server.js";
import { auditError, isAuditLogError } from "../shared/errors.js";
import { utf8Length } from "../shared/csv.js";
import {
  checkColumns,
  checkDates,
  checkFormat,
  checkGroupBy,
  compareGroupKeys,
  csvHeader,
  csvRecord,
  EXPORT_FORMATS,
  groupKey,
  jsonRecord,
  REPORT_FORMATS,
  REPORT_LIMITS,
  sha256Hex,
  vExportArgs,
  vReport,
  vReportArgs,
  vReportExport,
  type ExportFormat,
  type GroupField,
  type Report,
  type ReportExport,
} from "../shared/report.js";
import {
  ACTOR_TYPES,
  vEventInput,
  vLogOptions,
  type ActorType,
  type EventInput,
  type SearchFilters,
} from "../shared/validators.js";
import { decodeCursor, encodeCursor, newer, rangeStream, type Position } from "./scan.js";
import { matches, normalizeFilters, plan } from "./search.js";
import { logEventsHandler } from "./log.js";

type EventDocument = Doc<"events">;
type Filters = ReturnType<typeof normalizeFilters>;

/** One export query (page): well inside a transaction's limits whatever the events' sizes. */
export const EXPORT_PAGE = {
  maxRows: 2000,
  maxScanned: 8000,
  maxReadBytes: 4 * 1024 * 1024,
  maxOutputBytes: 4 * 1024 * 1024,
} as const;
/** An export step (one action) stops after this long and continues in a new one. */
const STEP_MILLIS = 120_000;

export const REPORT_ACTIONS = {
  generated: "audit.report.generated",
  exportStarted: "audit.report.export_started",
  exportFailed: "audit.report.export_failed",
} as const;

type Caps = { maxRows: number; maxScanned: number; maxReadBytes: number; maxOutputBytes: number };
type ScanResult = {
  done: boolean;
  /** Position of the last event scanned: where the next page starts. */
  last: Position | undefined;
  scanned: number;
  rows: number;
  outputBytes: number;
  stoppedBy?: "rows" | "scanned" | "readBytes" | "outputBytes";
};

async function bytesReadSoFar(ctx: QueryCtx): Promise<number | undefined> {
  try {
    return (await ctx.meta.getTransactionMetrics()).bytesRead.used;
  } catch {
    return undefined; // A runtime without metrics: the document budget alone bounds the scan.
  }
}

/**
 * Scans the planner's ranges newest first from `start`, calling `emit` for
 * every matching event (it returns the bytes it wrote), until the ranges end
 * or a cap is reached. Caps are checked after each event, so every call
 * makes progress.
 */
async function scanEvents(
  ctx: QueryCtx,
  f: Filters,
  start: Position | undefined,
  caps: Caps,
  emit: (doc: EventDocument) => number,
): Promise<ScanResult> {
  const p = plan(f);
  const window = { fromTimestamp: f.fromTimestamp, toTimestamp: f.toTimestamp };
  const iters = p.specs.map((spec) => rangeStream(ctx, spec, window, start));
  let scanned = 0;
  const pull = async (i: number) => {
    const next = await iters[i].next();
    if (next.done) return null;
    scanned++;
    return next.value;
  };
  const bytesAtStart = (await bytesReadSoFar(ctx)) ?? 0;
  const heads = await Promise.all(iters.map((_, i) => pull(i)));
  let rows = 0;
  let outputBytes = 0;
  let last: Position | undefined;
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== null && (best === -1 || newer(h, heads[best]!))) best = i;
    }
    if (best === -1) return { done: true, last, scanned, rows, outputBytes };
    const doc = heads[best]!;
    last = { t: doc.timestamp, c: doc._creationTime };
    if (matches(doc, f)) {
      rows++;
      outputBytes += emit(doc);
    }
    let stoppedBy: ScanResult["stoppedBy"];
    if (rows >= caps.maxRows) stoppedBy = "rows";
    else if (outputBytes >= caps.maxOutputBytes) stoppedBy = "outputBytes";
    else if (scanned >= caps.maxScanned) stoppedBy = "scanned";
    else if (scanned % 4 === 0) {
      // Every few events: one event is at most 1 MiB, so the overshoot stays small.
      const bytes = await bytesReadSoFar(ctx);
      if (bytes !== undefined && bytes - bytesAtStart >= caps.maxReadBytes) stoppedBy = "readBytes";
    }
    if (stoppedBy !== undefined) return { done: false, last, scanned, rows, outputBytes, stoppedBy };
    heads[best] = await pull(best);
  }
}

function reportFilters(startDate: number, endDate: number, filters: SearchFilters | undefined): Filters {
  checkDates(startDate, endDate, filters);
  return normalizeFilters({ ...filters, fromTimestamp: startDate, toTimestamp: endDate });
}

const tooLarge = (why: string) =>
  auditError(
    "REPORT_TOO_LARGE",
    `${why}; narrow the window or the filters, or export it with auditLog.exportReport (any size, written to file storage)`,
  );

// ---------------------------------------------------------------------------
// The one-transaction report.

export type BuildArgs = {
  startDate: number;
  endDate: number;
  format: string;
  includeFields?: string[];
  groupBy?: string;
  filters?: SearchFilters;
  bom?: boolean;
};

/**
 * Every matching row in the window, or REPORT_TOO_LARGE: never a part of
 * the report. Rows are newest first; with `groupBy`, grouped (keys ascending,
 * missing last) and newest first within each group.
 */
export async function buildReport(ctx: QueryCtx, args: BuildArgs): Promise<Report> {
  const format = checkFormat(args.format, REPORT_FORMATS, "use exportReport for JSON Lines");
  let columns = checkColumns(args.includeFields);
  const groupBy = checkGroupBy(args.groupBy);
  const f = reportFilters(args.startDate, args.endDate, args.filters);
  // Rows sorted by a column nobody can see would look unsorted: the group column leads if it was left out.
  if (groupBy !== undefined && !columns.includes(groupBy)) columns = [groupBy, ...columns];

  const rows: Array<{ key: string | null; text: string }> = [];
  const limits = REPORT_LIMITS;
  const result = await scanEvents(
    ctx,
    f,
    undefined,
    // One row past the limit tells "exactly at the limit" from "over it".
    { maxRows: limits.maxRows + 1, maxScanned: limits.maxScanned, maxReadBytes: limits.maxReadBytes, maxOutputBytes: limits.maxOutputBytes + 1 },
    (doc) => {
      const text = format === "csv" ? csvRecord(doc, columns) : JSON.stringify(jsonRecord(doc, columns));
      rows.push({ key: groupBy === undefined ? null : groupKey(doc, groupBy), text });
      return utf8Length(text) + 1;
    },
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

  let data: string;
  if (format === "csv") {
    data = csvHeader(columns, args.bom === true) + rows.map((r) => r.text).join("");
  } else if (groups === undefined) {
    data = `[${rows.map((r) => r.text).join(",")}]`;
  } else {
    let at = 0;
    const parts = groups.map((g) => {
      const text = rows.slice(at, at + g.count).map((r) => r.text).join(",");
      at += g.count;
      return `{"key":${JSON.stringify(g.key)},"count":${g.count},"rows":[${text}]}`;
    });
    data = `{"groupBy":${JSON.stringify(groupBy)},"groups":[${parts.join(",")}]}`;
  }
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

export const build = query({
  args: vReportArgs,
  returns: vReport,
  handler: async (ctx, args) => await buildReport(ctx, args),
});

// ---------------------------------------------------------------------------
// Export to file storage.

function jobView(job: Doc<"reports">, urls: Array<string | null>): ReportExport {
  const view: ReportExport = {
    jobId: job._id,
    status: job.status,
    format: job.format,
    startDate: job.startDate,
    endDate: job.endDate,
    columns: job.columns,
    filters: job.filters,
    rowsWritten: job.rowsWritten,
    bytes: job.bytes,
    scanned: job.scanned,
    documentsRead: job.documentsRead,
    bytesRead: job.bytesRead,
    pages: job.pages,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    files: job.status === "done" ? job.parts.map((p, i) => ({ url: urls[i] ?? null, rows: p.rows, bytes: p.bytes, sha256: p.sha256 })) : [],
  };
  if (job.tenantId !== undefined) view.tenantId = job.tenantId;
  if (job.requestedBy !== undefined) view.requestedBy = job.requestedBy;
  if (job.error !== undefined) view.error = job.error;
  if (job.finishedAt !== undefined) view.finishedAt = job.finishedAt;
  return view;
}

/** A job by id, or null when absent, malformed, or another tenant's (scoped callers learn nothing). */
async function loadJob(ctx: QueryCtx, jobId: string, tenantId: string | undefined): Promise<Doc<"reports"> | null> {
  const id = ctx.db.normalizeId("reports", jobId);
  if (id === null) return null;
  const job = await ctx.db.get(id);
  if (job === null || (tenantId !== undefined && job.tenantId !== tenantId)) return null;
  return job;
}

export type StartExportArgs = {
  startDate: number;
  endDate: number;
  format: string;
  includeFields?: string[];
  filters?: SearchFilters;
  bom?: boolean;
  partBytes?: number;
  requestEvent: EventInput;
  options?: Record<string, unknown>;
};

/**
 * Checks everything first (bad input writes nothing), then inserts the job,
 * logs who asked, and schedules the first step.
 */
export async function startExportHandler(
  ctx: MutationCtx,
  args: Omit<StartExportArgs, "options"> & { options?: Parameters<typeof logEventsHandler>[2] },
): Promise<Id<"reports">> {
  const format = checkFormat<ExportFormat>(args.format, EXPORT_FORMATS, "a one-transaction report also takes json");
  const columns = checkColumns(args.includeFields);
  const f = reportFilters(args.startDate, args.endDate, args.filters);
  const partBytes = args.partBytes ?? REPORT_LIMITS.defaultPartBytes;
  if (!Number.isInteger(partBytes) || partBytes < REPORT_LIMITS.minPartBytes || partBytes > REPORT_LIMITS.maxPartBytes) {
    throw auditError(
      "INVALID_ARGUMENT",
      `partBytes must be an integer from ${REPORT_LIMITS.minPartBytes} to ${REPORT_LIMITS.maxPartBytes}`,
      "partBytes",
    );
  }
  if (args.bom === true && format === "jsonl") {
    throw auditError("INVALID_ARGUMENT", "a byte order mark is for CSV only; JSON Lines is UTF-8 without one", "bom");
  }
  const now = Date.now();
  const requester = args.requestEvent;
  const jobId = await ctx.db.insert("reports", {
    status: "running",
    format,
    startDate: args.startDate,
    endDate: args.endDate,
    filters: f,
    columns,
    bom: args.bom === true,
    partBytes,
    ...(f.tenantId !== undefined ? { tenantId: f.tenantId } : {}),
    ...(requester.actorId !== undefined ? { requestedBy: requester.actorId } : {}),
    // An unknown actor type is refused by the log call below, which rolls this insert back.
    ...(isActorType(requester.actor?.type) ? { requesterType: requester.actor.type } : {}),
    seq: 0,
    cursor: null,
    rowsWritten: 0,
    bytes: 0,
    scanned: 0,
    documentsRead: 0,
    bytesRead: 0,
    pages: 0,
    parts: [],
    createdAt: now,
    updatedAt: now,
  });
  const event: EventInput = {
    ...requester,
    action: REPORT_ACTIONS.exportStarted,
    category: "admin",
    severity: requester.severity ?? "info",
    resourceType: "auditReport",
    resourceId: jobId,
    ...(f.tenantId !== undefined ? { tenantId: f.tenantId } : {}),
    summary: `${format} export of audit events requested, ${new Date(args.startDate).toISOString()} to ${new Date(args.endDate).toISOString()}`,
    metadata: { format, startDate: args.startDate, endDate: args.endDate, filters: withoutWindow(f), columns },
  };
  await logEventsHandler(ctx, [event], args.options ?? {}, () => "requestEvent");
  await ctx.scheduler.runAfter(0, internal.reports.exportStep, { jobId, seq: 0, cursor: null, partBytes });
  return jobId;
}

const isActorType = (t: string | undefined): t is ActorType => (ACTOR_TYPES as readonly string[]).includes(t as string);

function withoutWindow(f: Filters): Omit<Filters, "fromTimestamp" | "toTimestamp"> {
  const { fromTimestamp: _from, toTimestamp: _to, ...rest } = f;
  return rest;
}

export const startExport = mutation({
  args: { ...vExportArgs, requestEvent: vEventInput, options: v.optional(vLogOptions) },
  returns: v.string(),
  handler: async (ctx, args) => await startExportHandler(ctx, args),
});

/** One page of an export, formatted: the step concatenates pages into a part. */
export const exportPage = internalQuery({
  args: { jobId: v.id("reports"), seq: v.number(), cursor: v.union(v.string(), v.null()), maxOutputBytes: v.number() },
  returns: v.union(
    v.object({ stale: v.literal(true) }),
    v.object({
      stale: v.literal(false),
      chunk: v.string(),
      rows: v.number(),
      scanned: v.number(),
      isDone: v.boolean(),
      cursor: v.union(v.string(), v.null()),
      documentsRead: v.number(),
      bytesRead: v.number(),
    }),
  ),
  handler: async (ctx, { jobId, seq, cursor, maxOutputBytes }) => {
    const job = await ctx.db.get(jobId);
    // Canceled, failed, or a duplicate of a step that already ran: write nothing.
    if (job === null || job.status !== "running" || job.seq !== seq) return { stale: true as const };
    const f = job.filters as Filters;
    const shape = JSON.stringify(["report", f]);
    const start = cursor === null ? undefined : decodeCursor(shape, cursor, "cursor");
    // Checked again, not cast: a job stored by an older version must fail loudly, not write empty columns.
    const columns = checkColumns(job.columns);
    const out: string[] = [];
    if (cursor === null && job.format === "csv") out.push(csvHeader(columns, job.bom));
    let result: ScanResult = { done: true, last: undefined, scanned: 0, rows: 0, outputBytes: 0 };
    if (start !== "end") {
      const emit =
        job.format === "csv"
          ? (doc: EventDocument) => {
              const line = csvRecord(doc, columns);
              out.push(line);
              return utf8Length(line);
            }
          : (doc: EventDocument) => {
              const line = JSON.stringify(jsonRecord(doc, columns)) + "\n";
              out.push(line);
              return utf8Length(line);
            };
      result = await scanEvents(
        ctx,
        f,
        start,
        { ...EXPORT_PAGE, maxOutputBytes: Math.max(1, Math.min(maxOutputBytes, EXPORT_PAGE.maxOutputBytes)) },
        emit,
      );
    }
    const m = await ctx.meta.getTransactionMetrics();
    return {
      stale: false as const,
      chunk: out.join(""),
      rows: result.rows,
      scanned: result.scanned,
      isDone: result.done,
      cursor: result.done ? null : encodeCursor(shape, result.last!),
      documentsRead: m.documentsRead.used,
      bytesRead: m.bytesRead.used,
    };
  },
});

/**
 * One part of the file: pages until the part is full, the data ends, or the
 * step has run long enough; then stores the part and hands over to
 * `recordPart`, which schedules the next step.
 */
export const exportStep = internalAction({
  args: { jobId: v.id("reports"), seq: v.number(), cursor: v.union(v.string(), v.null()), partBytes: v.number() },
  returns: v.null(),
  handler: async (ctx, { jobId, seq, cursor: startCursor, partBytes }) => {
    const started = Date.now();
    try {
      const chunks: string[] = [];
      const totals = { rows: 0, bytes: 0, scanned: 0, documentsRead: 0, bytesRead: 0, pages: 0 };
      let cursor = startCursor;
      let isDone = false;
      for (;;) {
        const page = await ctx.runQuery(internal.reports.exportPage, {
          jobId,
          seq,
          cursor,
          maxOutputBytes: partBytes - totals.bytes,
        });
        if (page.stale) return null;
        if (page.chunk.length > 0) chunks.push(page.chunk);
        totals.rows += page.rows;
        totals.bytes += utf8Length(page.chunk);
        totals.scanned += page.scanned;
        totals.documentsRead += page.documentsRead;
        totals.bytesRead += page.bytesRead;
        totals.pages += 1;
        cursor = page.cursor;
        isDone = page.isDone;
        if (isDone || totals.bytes >= partBytes || Date.now() - started > STEP_MILLIS) break;
      }
      let part: { storageId: Id<"_storage">; rows: number; bytes: number; sha256: string } | undefined;
      if (totals.bytes > 0) {
        const blob = new Blob(chunks, { type: "text/plain; charset=utf-8" });
        chunks.length = 0;
        const sha256 = await sha256Hex(await blob.arrayBuffer());
        const storageId = await ctx.storage.store(blob);
        part = { storageId, rows: totals.rows, bytes: blob.size, sha256 };
      }
      await ctx.runMutation(internal.reports.recordPart, { jobId, seq, cursor, isDone, part, totals });
    } catch (e) {
      const code = isAuditLogError(e) ? e.data.code : "EXPORT_FAILED";
      const message = isAuditLogError(e) ? e.data.message : e instanceof Error ? e.message : String(e);
      await ctx.runMutation(internal.reports.failExport, { jobId, seq, code, message: message.slice(0, 1000) });
    }
    return null;
  },
});

export const recordPart = internalMutation({
  args: {
    jobId: v.id("reports"),
    seq: v.number(),
    cursor: v.union(v.string(), v.null()),
    isDone: v.boolean(),
    part: v.optional(v.object({ storageId: v.id("_storage"), rows: v.number(), bytes: v.number(), sha256: v.string() })),
    totals: v.object({
      rows: v.number(),
      bytes: v.number(),
      scanned: v.number(),
      documentsRead: v.number(),
      bytesRead: v.number(),
      pages: v.number(),
    }),
  },
  returns: v.null(),
  handler: async (ctx, { jobId, seq, cursor, isDone, part, totals }) => {
    const job = await ctx.db.get(jobId);
    if (job === null || job.status !== "running" || job.seq !== seq) {
      // The job moved on (canceled, or this step ran twice): its file part is nobody's.
      if (part !== undefined) await ctx.storage.delete(part.storageId);
      return null;
    }
    const now = Date.now();
    const parts = part === undefined ? job.parts : [...job.parts, part];
    const next = {
      parts,
      cursor,
      seq: seq + 1,
      rowsWritten: job.rowsWritten + totals.rows,
      bytes: job.bytes + totals.bytes,
      scanned: job.scanned + totals.scanned,
      documentsRead: job.documentsRead + totals.documentsRead,
      bytesRead: job.bytesRead + totals.bytesRead,
      pages: job.pages + totals.pages,
      updatedAt: now,
    };
    if (!isDone) {
      await ctx.db.patch(jobId, next);
      await ctx.scheduler.runAfter(0, internal.reports.exportStep, { jobId, seq: seq + 1, cursor, partBytes: job.partBytes });
      return null;
    }
    await ctx.db.patch(jobId, { ...next, status: "done", finishedAt: now });
    await logEventsHandler(ctx, [completionEvent({ ...job, ...next }, jobId)], {}, () => "");
    return null;
  },
});

/** The audit event of a finished export: what was produced, by whose request, with each part's hash. */
function completionEvent(job: Doc<"reports">, jobId: Id<"reports">): EventInput {
  return {
    ...requesterOf(job),
    action: REPORT_ACTIONS.generated,
    category: "admin",
    severity: "info",
    resourceType: "auditReport",
    resourceId: jobId,
    summary: `${job.format} export of ${job.rowsWritten} audit events, ${new Date(job.startDate).toISOString()} to ${new Date(job.endDate).toISOString()}`,
    metadata: {
      path: "export",
      format: job.format,
      startDate: job.startDate,
      endDate: job.endDate,
      filters: withoutWindow(job.filters as Filters),
      columns: job.columns,
      rowCount: job.rowsWritten,
      bytes: job.bytes,
      parts: job.parts.length,
      sha256: job.parts.map((p) => p.sha256),
    },
  };
}

function requesterOf(job: Doc<"reports">): Pick<EventInput, "actorId" | "actor" | "tenantId" | "context"> {
  const out: Pick<EventInput, "actorId" | "actor" | "tenantId" | "context"> = { context: { source: "auditLog:reports.exportStep" } };
  if (job.requestedBy !== undefined) out.actorId = job.requestedBy;
  if (job.requesterType !== undefined) out.actor = { type: job.requesterType };
  if (job.tenantId !== undefined) out.tenantId = job.tenantId;
  return out;
}

async function discardParts(ctx: MutationCtx, job: Doc<"reports">) {
  for (const p of job.parts) await ctx.storage.delete(p.storageId);
}

export const failExport = internalMutation({
  args: { jobId: v.id("reports"), seq: v.number(), code: v.string(), message: v.string() },
  returns: v.null(),
  handler: async (ctx, { jobId, seq, code, message }) => {
    const job = await ctx.db.get(jobId);
    if (job === null || job.status !== "running" || job.seq !== seq) return null;
    // A part of a report is not a report: the parts written so far go.
    await discardParts(ctx, job);
    const now = Date.now();
    await ctx.db.patch(jobId, { status: "failed", error: { code, message }, parts: [], updatedAt: now, finishedAt: now });
    await logEventsHandler(
      ctx,
      [
        {
          ...requesterOf(job),
          action: REPORT_ACTIONS.exportFailed,
          category: "admin",
          severity: "warning",
          status: "failure",
          errorMessage: `${code}: ${message}`.slice(0, 4000),
          resourceType: "auditReport",
          resourceId: jobId,
          metadata: { format: job.format, rowsWritten: job.rowsWritten, filters: withoutWindow(job.filters as Filters) },
        },
      ],
      {},
      () => "",
    );
    return null;
  },
});

export const getExport = query({
  args: { jobId: v.string(), tenantId: v.optional(v.string()) },
  returns: v.union(vReportExport, v.null()),
  handler: async (ctx, { jobId, tenantId }) => {
    const job = await loadJob(ctx, jobId, tenantId);
    if (job === null) return null;
    const urls = job.status === "done" ? await Promise.all(job.parts.map((p) => ctx.storage.getUrl(p.storageId))) : [];
    return jobView(job, urls);
  },
});

/** Stops a running export and deletes what it wrote. True if it was running. */
export const cancelExport = mutation({
  args: { jobId: v.string(), tenantId: v.optional(v.string()) },
  returns: v.boolean(),
  handler: async (ctx, { jobId, tenantId }) => {
    const job = await loadJob(ctx, jobId, tenantId);
    if (job === null || job.status !== "running") return false;
    await discardParts(ctx, job);
    const now = Date.now();
    await ctx.db.patch(job._id, { status: "canceled", parts: [], updatedAt: now, finishedAt: now });
    return true;
  },
});

/**
 * Schedules the next step of a running export again, from its last recorded
 * position: for an export whose step died without a word (an action that
 * timed out or lost its machine is not retried). Safe at any time: if the
 * old step is alive after all, whichever records its part first wins and the
 * other's part is deleted. True if the job was running.
 */
export const resumeExport = mutation({
  args: { jobId: v.string(), tenantId: v.optional(v.string()) },
  returns: v.boolean(),
  handler: async (ctx, { jobId, tenantId }) => {
    const job = await loadJob(ctx, jobId, tenantId);
    if (job === null || job.status !== "running") return false;
    await ctx.scheduler.runAfter(0, internal.reports.exportStep, {
      jobId: job._id,
      seq: job.seq,
      cursor: job.cursor,
      partBytes: job.partBytes,
    });
    return true;
  },
});

export const jobForPart = internalQuery({
  args: { jobId: v.string(), tenantId: v.optional(v.string()), part: v.number() },
  returns: v.union(v.id("_storage"), v.null()),
  handler: async (ctx, { jobId, tenantId, part }) => {
    const job = await loadJob(ctx, jobId, tenantId);
    if (job === null || job.status !== "done" || !Number.isInteger(part) || part < 0 || part >= job.parts.length) return null;
    return job.parts[part].storageId;
  },
});

/**
 * The bytes of one part of a finished export, for an app that serves the
 * file itself (e.g. streams every part from an HTTP action). Null when the
 * job is not done, not found, another tenant's, or has no such part.
 */
export const readPart = action({
  args: { jobId: v.string(), tenantId: v.optional(v.string()), part: v.number() },
  returns: v.union(v.bytes(), v.null()),
  handler: async (ctx, args): Promise<ArrayBuffer | null> => {
    const storageId = await ctx.runQuery(internal.reports.jobForPart, args);
    if (storageId === null) return null;
    const blob = await ctx.storage.get(storageId);
    return blob === null ? null : await blob.arrayBuffer();
  },
});

export type { GroupField };
