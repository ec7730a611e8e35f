/**
 * Reports, as the AuditLog class runs them: the one-transaction report
 * (`generateReport`), and exports of any size to file storage.
 */
import type { GenericActionCtx, GenericDataModel } from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import { auditError } from "../shared/errors.js";
import type { GroupField, Report, ReportExport, ReportField } from "../shared/report.js";
import type { EventInput, LogOptions } from "../shared/validators.js";
import type { SearchFilters } from "../shared/filters.js";

type RunQueryCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery">;
type RunMutationCtx = Pick<GenericActionCtx<GenericDataModel>, "runMutation">;
type RunActionCtx = Pick<GenericActionCtx<GenericDataModel>, "runAction">;

/** A time as milliseconds since the epoch, or a Date. */
export type DateLike = number | Date;

/** Every search filter except the window (startDate/endDate) and the free-text `query`. */
export type ReportFilters = Omit<SearchFilters, "fromTimestamp" | "toTimestamp" | "query">;

export type GenerateReportArgs = {
  /** Inclusive, in ms or a Date. */
  startDate: DateLike;
  /** Inclusive, in ms or a Date. */
  endDate: DateLike;
  format: "csv" | "json";
  /** Columns in order; default DEFAULT_REPORT_FIELDS. */
  includeFields?: ReportField[];
  groupBy?: GroupField;
  filters?: ReportFilters;
  /** Start the CSV with a UTF-8 byte order mark, for Excel. Default false. */
  bom?: boolean;
  /** Who asked, for the report's own audit event. Default: the authenticated user. */
  requestedBy?: string;
};

export type ExportReportArgs = Omit<GenerateReportArgs, "format" | "groupBy"> & {
  format: "csv" | "jsonl";
  /** Largest file part in bytes; default and maximum 8 MiB. */
  partBytes?: number;
};

type ToInput = (event: {
  action: string;
  category: "admin";
  severity: "info";
  actorId?: string;
  tenantId?: string;
  resourceType?: string;
  summary?: string;
  metadata?: unknown;
}) => Promise<EventInput>;

function toMillis(value: DateLike, field: string): number {
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw auditError("INVALID_ARGUMENT", `${field} must be a finite number of milliseconds or a valid Date`, field);
  }
  return ms;
}

export async function generateReport(
  component: ComponentApi,
  ctx: RunQueryCtx & RunMutationCtx,
  args: GenerateReportArgs,
  toInput: ToInput,
  options: LogOptions,
): Promise<Report> {
  const startDate = toMillis(args.startDate, "startDate");
  const endDate = toMillis(args.endDate, "endDate");
  const report = await ctx.runQuery(component.reports.build, {
    startDate,
    endDate,
    format: args.format,
    includeFields: args.includeFields,
    groupBy: args.groupBy,
    filters: args.filters,
    bom: args.bom,
  });
  // Logged after the report is built and before it is returned: a report
  // nobody could log is not handed out. From a mutation both are one transaction.
  const event = await toInput({
    action: "audit.report.generated",
    category: "admin",
    severity: "info",
    actorId: args.requestedBy,
    tenantId: args.filters?.tenantId,
    resourceType: "auditReport",
    summary: `${report.format} report of ${report.recordCount} audit events, ${new Date(startDate).toISOString()} to ${new Date(endDate).toISOString()}`,
    metadata: {
      path: "sync",
      format: report.format,
      startDate,
      endDate,
      filters: args.filters ?? {},
      columns: report.columns,
      ...(report.groupBy !== undefined ? { groupBy: report.groupBy } : {}),
      rowCount: report.recordCount,
      bytes: report.bytes,
      sha256: report.sha256,
    },
  });
  await ctx.runMutation(component.log.log, { event, options });
  return report;
}

export async function exportReport(
  component: ComponentApi,
  ctx: RunMutationCtx,
  args: ExportReportArgs,
  toInput: ToInput,
  options: LogOptions,
): Promise<string> {
  const requestEvent = await toInput({
    action: "audit.report.export_started",
    category: "admin",
    severity: "info",
    actorId: args.requestedBy,
    tenantId: args.filters?.tenantId,
  });
  return await ctx.runMutation(component.reports.startExport, {
    startDate: toMillis(args.startDate, "startDate"),
    endDate: toMillis(args.endDate, "endDate"),
    format: args.format,
    includeFields: args.includeFields,
    filters: args.filters,
    bom: args.bom,
    partBytes: args.partBytes,
    requestEvent,
    options,
  });
}

export type JobRef = { jobId: string; tenantId?: string };

export async function getReportExport(component: ComponentApi, ctx: RunQueryCtx, args: JobRef): Promise<ReportExport | null> {
  return await ctx.runQuery(component.reports.getExport, args);
}

export async function cancelReportExport(component: ComponentApi, ctx: RunMutationCtx, args: JobRef): Promise<boolean> {
  return await ctx.runMutation(component.reports.cancelExport, args);
}

export async function resumeReportExport(component: ComponentApi, ctx: RunMutationCtx, args: JobRef): Promise<boolean> {
  return await ctx.runMutation(component.reports.resumeExport, args);
}

export async function readReportPart(
  component: ComponentApi,
  ctx: RunActionCtx,
  args: JobRef & { part: number },
): Promise<ArrayBuffer | null> {
  return await ctx.runAction(component.reports.readPart, args);
}

/**
 * The whole file of a finished export as one streamed Response, part by part
 * (one part in memory at a time), for an HTTP action. Null when the job is
 * not done, not found, or another tenant's.
 */
export async function reportFileResponse(
  component: ComponentApi,
  ctx: RunQueryCtx & RunActionCtx,
  args: JobRef,
): Promise<Response | null> {
  const job = await getReportExport(component, ctx, args);
  if (job === null || job.status !== "done") return null;
  let part = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (part >= job.files.length) {
        controller.close();
        return;
      }
      const bytes = await readReportPart(component, ctx, { ...args, part });
      part += 1;
      if (bytes === null) controller.error(new Error(`part ${part - 1} of report ${args.jobId} is gone`));
      else controller.enqueue(new Uint8Array(bytes));
    },
  });
  const csv = job.format === "csv";
  return new Response(stream, {
    headers: {
      "Content-Type": csv ? "text/csv; charset=utf-8" : "application/x-ndjson; charset=utf-8",
      "Content-Disposition": `attachment; filename="audit-report-${job.jobId}.${csv ? "csv" : "jsonl"}"`,
      "Content-Length": String(job.bytes),
    },
  });
}
