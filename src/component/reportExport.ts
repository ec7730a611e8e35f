/**
 * Exports of any size to file storage: a background loop (loop.ts) whose
 * steps are actions. Each step pages through the data with queries well
 * inside a transaction's limits, stores one part of the file, and hands over
 * to `recordPart`, which records it and schedules the next step.
 */
import type { GenericActionCtx } from "convex/server";
import { internal } from "./_generated/api.js";
import type { DataModel, Doc, Id } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { AuditActions } from "../shared/catalog.js";
import { intInRange, isOneOf } from "../shared/checks.js";
import { isAuditLogError } from "../shared/errors.js";
import { recordedFilters, type ReadScope, type SearchFilters } from "../shared/filters.js";
import {
  checkBom,
  checkColumns,
  checkFormat,
  FORMATS,
  REPORT_LIMITS,
  type ReportExport,
} from "../shared/report.js";
import { sha256Hex, utf8Length } from "../shared/text.js";
import { ACTOR_TYPES, type EventInput, type LogOptions } from "../shared/validators.js";
import { decodePosition, encodePosition, ensureCursorKey } from "./cursor.js";
import { logEvents } from "./log.js";
import { isCurrentStep, nextStep, recovery, shrunk } from "./loop.js";
import type { EventDoc } from "./read.js";
import { reportFilters, scanEvents, type ScanResult } from "./reportBuild.js";
import { sealedExportSize, sealedPage } from "./sealedPages.js";

type Job = Doc<"reports">;

/** One export query (page): well inside a transaction's limits whatever the events' sizes. */
export const EXPORT_PAGE = {
  maxRows: 2000,
  maxScanned: 8000,
  maxReadBytes: 4 * 1024 * 1024,
  maxOutputBytes: 4 * 1024 * 1024,
} as const;
/** An export step (one action) stops after this long and continues in a new one. */
const STEP_MILLIS = 120_000;
/** Running exports the cron looks at per tick. */
const RECOVER_PER_TICK = 50;

export function jobView(job: Job, urls: Array<string | null>): ReportExport {
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
export async function loadJob(ctx: QueryCtx, jobId: string, tenantId: string | undefined): Promise<Job | null> {
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
  options?: LogOptions;
  scope?: ReadScope;
};

function withoutWindow(f: SearchFilters): Omit<SearchFilters, "fromTimestamp" | "toTimestamp"> {
  const { fromTimestamp: _from, toTimestamp: _to, ...rest } = f;
  return rest;
}

const span = (job: Pick<Job, "startDate" | "endDate">) => `${new Date(job.startDate).toISOString()} to ${new Date(job.endDate).toISOString()}`;

/**
 * Checks everything first (bad input writes nothing), then inserts the job,
 * logs who asked, and schedules the first step.
 */
export async function startExport(ctx: MutationCtx, args: StartExportArgs): Promise<Id<"reports">> {
  const format = checkFormat(args.format, "export");
  const treeSize = format === "sealed" ? await sealedExportSize(ctx, args) : undefined;
  const columns = checkColumns(args.includeFields);
  const f = reportFilters(args.startDate, args.endDate, args.filters, args.scope, "export");
  const partBytes = intInRange(args.partBytes ?? REPORT_LIMITS.defaultPartBytes, REPORT_LIMITS.minPartBytes, REPORT_LIMITS.maxPartBytes, "partBytes");
  const bom = checkBom(format, args.bom);
  await ensureCursorKey(ctx);
  const now = Date.now();
  const requester = args.requestEvent;
  const jobId = await ctx.db.insert("reports", {
    status: "running",
    format,
    startDate: args.startDate,
    endDate: args.endDate,
    filters: f,
    columns,
    bom,
    partBytes,
    ...(args.scope !== undefined ? { scope: args.scope } : {}),
    ...(f.tenantId !== undefined ? { tenantId: f.tenantId } : {}),
    ...(requester.actorId !== undefined ? { requestedBy: requester.actorId } : {}),
    // An unknown actor type is refused by the log call below, which rolls this insert back.
    ...(isOneOf(requester.actor?.type, ACTOR_TYPES) ? { requesterType: requester.actor.type } : {}),
    seq: 0,
    cursor: null,
    ...(treeSize === undefined ? {} : { treeSize }),
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
    action: AuditActions.AUDIT_EXPORT_STARTED,
    category: "admin",
    severity: requester.severity ?? "info",
    resourceType: "auditReport",
    resourceId: jobId,
    ...(f.tenantId !== undefined ? { tenantId: f.tenantId } : {}),
    summary: `${format} export of audit events requested, ${span(args)}`,
    metadata: { format, startDate: args.startDate, endDate: args.endDate, filters: await recordedFilters(withoutWindow(f)), columns },
  };
  await logEvents(ctx, [event], args.options ?? {}, () => "requestEvent");
  await ctx.scheduler.runAfter(0, internal.reports.exportStep, { jobId, seq: 0, cursor: null, partBytes });
  return jobId;
}

export type ExportPage =
  | { stale: true }
  | { stale: false; chunk: string; rows: number; scanned: number; isDone: boolean; cursor: string | null; documentsRead: number; bytesRead: number };

/** One page of an export, formatted: the step concatenates pages into a part. */
export async function exportPage(
  ctx: QueryCtx,
  { jobId, seq, cursor, maxOutputBytes }: { jobId: Id<"reports">; seq: number; cursor: string | null; maxOutputBytes: number },
): Promise<ExportPage> {
  const job = await ctx.db.get(jobId);
  // Canceled, failed, or a duplicate of a step that already ran: write nothing.
  if (!isCurrentStep(job, seq)) return { stale: true };
  if (job!.format === "sealed") {
    const page = await sealedPage(ctx, job!, cursor, maxOutputBytes);
    const m = await ctx.meta.getTransactionMetrics();
    return { stale: false, ...page, documentsRead: m.documentsRead.used, bytesRead: m.bytesRead.used };
  }
  const f = job!.filters;
  const shape = JSON.stringify(["report", f]);
  const start = cursor === null ? undefined : await decodePosition(ctx, shape, cursor, "cursor", "export");
  // Checked again, not cast: a job stored by an older version must fail loudly, not write empty columns.
  const columns = checkColumns(job!.columns);
  const format = FORMATS[job!.format];
  const out: string[] = [];
  if (cursor === null) out.push(format.header(columns, job!.bom));
  let result: ScanResult = { done: true, last: undefined, scanned: 0, rows: 0, outputBytes: 0 };
  if (start !== "end") {
    // A step resumed after a failure reads smaller pages (loop.ts).
    const scale = job!.scale ?? 1;
    const caps = {
      maxRows: Math.max(1, Math.floor(EXPORT_PAGE.maxRows * scale)),
      maxScanned: Math.max(1, Math.floor(EXPORT_PAGE.maxScanned * scale)),
      maxReadBytes: EXPORT_PAGE.maxReadBytes * scale,
      maxOutputBytes: Math.max(1, Math.min(maxOutputBytes, EXPORT_PAGE.maxOutputBytes * scale)),
    };
    result = await scanEvents(
      ctx,
      f,
      start,
      caps,
      (doc: EventDoc) => {
        const line = format.row(doc, columns);
        out.push(line);
        return utf8Length(line);
      },
      job!.scope,
    );
  }
  const m = await ctx.meta.getTransactionMetrics();
  return {
    stale: false,
    chunk: out.join(""),
    rows: result.rows,
    scanned: result.scanned,
    isDone: result.done,
    cursor: result.done ? null : await encodePosition(ctx, shape, result.last!, "export"),
    documentsRead: m.documentsRead.used,
    bytesRead: m.bytesRead.used,
  };
}

export type StepArgs = { jobId: Id<"reports">; seq: number; cursor: string | null; partBytes: number };
type Totals = { rows: number; bytes: number; scanned: number; documentsRead: number; bytesRead: number; pages: number };
type Part = { storageId: Id<"_storage">; rows: number; bytes: number; sha256: string };

/**
 * One part of the file: pages until the part is full, the data ends, or the
 * step has run long enough; then stores the part and hands over to
 * `recordPart`. A failure marks the job failed (`failExport`).
 */
export async function exportStep(ctx: GenericActionCtx<DataModel>, { jobId, seq, cursor: startCursor, partBytes }: StepArgs): Promise<null> {
  const started = Date.now();
  try {
    const chunks: string[] = [];
    const totals: Totals = { rows: 0, bytes: 0, scanned: 0, documentsRead: 0, bytesRead: 0, pages: 0 };
    let cursor = startCursor;
    let isDone = false;
    for (;;) {
      const page = await ctx.runQuery(internal.reports.exportPage, { jobId, seq, cursor, maxOutputBytes: partBytes - totals.bytes });
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
    let part: Part | undefined;
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
}

/** Records a step's part and progress, and schedules the next step; on the last, logs the finished export. */
export async function recordPart(
  ctx: MutationCtx,
  { jobId, seq, cursor, isDone, part, totals }: { jobId: Id<"reports">; seq: number; cursor: string | null; isDone: boolean; part?: Part; totals: Totals },
): Promise<null> {
  const job = await ctx.db.get(jobId);
  if (!isCurrentStep(job, seq)) {
    // The job moved on (canceled, or this step ran twice): its file part is nobody's.
    if (part !== undefined) await ctx.storage.delete(part.storageId);
    return null;
  }
  const now = Date.now();
  const progress = {
    parts: part === undefined ? job!.parts : [...job!.parts, part],
    cursor,
    rowsWritten: job!.rowsWritten + totals.rows,
    bytes: job!.bytes + totals.bytes,
    scanned: job!.scanned + totals.scanned,
    documentsRead: job!.documentsRead + totals.documentsRead,
    bytesRead: job!.bytesRead + totals.bytesRead,
    pages: job!.pages + totals.pages,
  };
  if (!isDone) {
    const next = await ctx.scheduler.runAfter(0, internal.reports.exportStep, { jobId, seq: seq + 1, cursor, partBytes: job!.partBytes });
    await ctx.db.patch(jobId, { ...progress, ...nextStep(job!, next, now) });
    return null;
  }
  await ctx.db.patch(jobId, { ...progress, ...nextStep(job!, undefined, now), status: "done", finishedAt: now });
  await logEvents(ctx, [await completionEvent({ ...job!, ...progress }, jobId)], {}, () => "");
  return null;
}

/** The audit event of a finished export: what was produced, by whose request, with each part's hash. */
async function completionEvent(job: Job, jobId: Id<"reports">): Promise<EventInput> {
  return {
    ...requesterOf(job),
    action: AuditActions.AUDIT_REPORT_GENERATED,
    resourceType: "auditReport",
    resourceId: jobId,
    summary: `${job.format} export of ${job.rowsWritten} audit events, ${span(job)}`,
    metadata: {
      path: "export",
      format: job.format,
      startDate: job.startDate,
      endDate: job.endDate,
      filters: await recordedFilters(withoutWindow(job.filters)),
      columns: job.columns,
      rowCount: job.rowsWritten,
      bytes: job.bytes,
      parts: job.parts.length,
      sha256: job.parts.map((p) => p.sha256),
    },
  };
}

function requesterOf(job: Job): Pick<EventInput, "actorId" | "actor" | "tenantId" | "context"> {
  const out: Pick<EventInput, "actorId" | "actor" | "tenantId" | "context"> = { context: { source: "auditLog:reports.exportStep" } };
  if (job.requestedBy !== undefined) out.actorId = job.requestedBy;
  if (job.requesterType !== undefined) out.actor = { type: job.requesterType };
  if (job.tenantId !== undefined) out.tenantId = job.tenantId;
  return out;
}

async function discardParts(ctx: MutationCtx, job: Job) {
  for (const p of job.parts) await ctx.storage.delete(p.storageId);
}

/** Marks the job failed, deletes the parts written so far (a part of a report is not a report), and logs it. */
export async function failExport(
  ctx: MutationCtx,
  { jobId, seq, code, message }: { jobId: Id<"reports">; seq: number; code: string; message: string },
): Promise<null> {
  const job = await ctx.db.get(jobId);
  if (!isCurrentStep(job, seq)) return null;
  await endFailed(ctx, job!, code, message);
  return null;
}

async function endFailed(ctx: MutationCtx, job: Job, code: string, message: string) {
  await discardParts(ctx, job);
  const now = Date.now();
  await ctx.db.patch(job._id, { status: "failed", error: { code, message }, parts: [], updatedAt: now, finishedAt: now, job: undefined });
  await logEvents(
    ctx,
    [
      {
        ...requesterOf(job),
        action: AuditActions.AUDIT_EXPORT_FAILED,
        status: "failure",
        errorMessage: `${code}: ${message}`.slice(0, 4000),
        resourceType: "auditReport",
        resourceId: job._id,
        metadata: { format: job.format, rowsWritten: job.rowsWritten, filters: await recordedFilters(withoutWindow(job.filters)) },
      },
    ],
    {},
    () => "",
  );
}

/** Stops a running export, deletes what it wrote, and logs who stopped it. True if it was running. */
export async function cancelExport(
  ctx: MutationCtx,
  job: Job | null,
  by: Pick<EventInput, "actorId" | "actor" | "context"> | undefined,
  options: LogOptions = {},
): Promise<boolean> {
  if (job === null || job.status !== "running") return false;
  await discardParts(ctx, job);
  const now = Date.now();
  await ctx.db.patch(job._id, { status: "canceled", parts: [], updatedAt: now, finishedAt: now, job: undefined });
  await logEvents(
    ctx,
    [
      {
        ...requesterOf(job),
        ...(by === undefined ? {} : { actorId: by.actorId, actor: by.actor, context: by.context }),
        action: AuditActions.AUDIT_EXPORT_CANCELED,
        resourceType: "auditReport",
        resourceId: job._id,
        ...(job.tenantId !== undefined ? { tenantId: job.tenantId } : {}),
        summary: `${job.format} export canceled after ${job.rowsWritten} rows; its ${job.parts.length} part(s) deleted`,
        metadata: {
          format: job.format,
          rowsWritten: job.rowsWritten,
          partsDeleted: job.parts.length,
          filters: await recordedFilters(withoutWindow(job.filters)),
        },
      },
    ],
    options,
    () => "",
  );
  return true;
}

/**
 * Schedules the job's current step again, from its last recorded part.
 * Safe at any time: if the old step is alive after all, whichever records
 * its part first wins and the other's part is deleted.
 */
export async function resumeExport(ctx: MutationCtx, job: Job, scale: number | undefined): Promise<void> {
  const next = await ctx.scheduler.runAfter(0, internal.reports.exportStep, {
    jobId: job._id,
    seq: job.seq,
    cursor: job.cursor,
    partBytes: job.partBytes,
  });
  await ctx.db.patch(job._id, { job: next, scale, updatedAt: Date.now() });
}

/** The cron's part (loop.ts): resume stalled exports at half size; fail those that stalled at the smallest. */
export async function recoverExports(ctx: MutationCtx, now: number): Promise<void> {
  const running = await ctx.db
    .query("reports")
    .withIndex("by_status", (q) => q.eq("status", "running"))
    .take(RECOVER_PER_TICK);
  for (const job of running) {
    const action = await recovery(ctx, job, now);
    if (action === "resume") await resumeExport(ctx, job, shrunk(job.scale));
    else if (action === "give up") await endFailed(ctx, job, "STALLED", "the export's steps kept failing or stopped without a word");
  }
}

