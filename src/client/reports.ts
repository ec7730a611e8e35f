/**
 * The client's part of reports, where there is more to do than one call:
 * a one-transaction report is built by the component and logged here (with
 * the app's redaction and request context), an export's request is logged
 * with it, and a finished export is streamed back part by part.
 */
import type { ComponentApi } from "../component/_generated/component.js";
import { AuditActions } from "../shared/catalog.js";
import { checkTimestamp } from "../shared/checks.js";
import { recordedFilters, scopedFilters } from "../shared/filters.js";
import { FORMATS, type Report } from "../shared/report.js";
import type { EventInput, LogOptions } from "../shared/validators.js";
import type { DateLike, ExportReportArgs, GenerateReportArgs, JobRef, LogChangeArgs, RunActionCtx, RunMutationCtx, RunQueryCtx } from "./types.js";

/** Turns the package's own event into what the component stores, as the AuditLog would for the app's. */
type ToInput = (event: LogChangeArgs) => Promise<EventInput>;

/** Milliseconds of a date; a number or Date no Date can hold (NaN, 1e300) is INVALID_ARGUMENT. */
const toMillis = (value: DateLike, field: string): number => checkTimestamp(value instanceof Date ? value.getTime() : value, field);

export async function generateReport(
  component: ComponentApi,
  ctx: RunQueryCtx & RunMutationCtx,
  args: GenerateReportArgs,
  toInput: ToInput,
  options: LogOptions,
): Promise<Report> {
  const startDate = toMillis(args.startDate, "startDate");
  const endDate = toMillis(args.endDate, "endDate");
  // What the report covers, as its event records it: the scope forced in (the component checks the same).
  const filters = scopedFilters(args.filters ?? {}, args.scope, { writes: true, what: "report on" });
  const report = await ctx.runQuery(component.reports.build, {
    startDate,
    endDate,
    format: args.format,
    includeFields: args.includeFields,
    groupBy: args.groupBy,
    filters: args.filters,
    bom: args.bom,
    scope: args.scope,
  });
  // Logged after the report is built and before it is returned: a report
  // nobody could log is not handed out. From a mutation both are one transaction.
  const event = await toInput({
    action: AuditActions.AUDIT_REPORT_GENERATED,
    actorId: args.requestedBy,
    // In the scope's log: a tenant's report in the tenant's, an actor's in no tenant's.
    tenantId: args.scope === undefined ? args.filters?.tenantId : args.scope.tenantId,
    resourceType: "auditReport",
    summary: `${report.format} report of ${report.recordCount} audit events, ${new Date(startDate).toISOString()} to ${new Date(endDate).toISOString()}`,
    metadata: {
      path: "sync",
      format: report.format,
      startDate,
      endDate,
      filters: await recordedFilters(filters),
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
    action: AuditActions.AUDIT_EXPORT_STARTED,
    actorId: args.requestedBy,
    tenantId: args.scope === undefined ? args.filters?.tenantId : args.scope.tenantId,
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
    scope: args.scope,
  });
}

/**
 * The whole file of a finished export as one streamed Response, part by part
 * (one part in memory at a time), for an HTTP action. Null when the job is
 * not done, not found, or another tenant's.
 */
export async function reportFileResponse(component: ComponentApi, ctx: RunQueryCtx & RunActionCtx, args: JobRef): Promise<Response | null> {
  const job = await ctx.runQuery(component.reports.getExport, args);
  if (job === null || job.status !== "done") return null;
  let part = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (part >= job.files.length) {
        controller.close();
        return;
      }
      const bytes = await ctx.runAction(component.reports.readPart, { ...args, part });
      part += 1;
      if (bytes === null) controller.error(new Error(`part ${part - 1} of report ${args.jobId} is gone`));
      else controller.enqueue(new Uint8Array(bytes));
    },
  });
  const format = FORMATS[job.format];
  return new Response(stream, {
    headers: {
      "Content-Type": format.contentType,
      "Content-Disposition": `attachment; filename="audit-report-${job.jobId}.${format.extension}"`,
      "Content-Length": String(job.bytes),
    },
  });
}
