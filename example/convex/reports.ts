import { v } from "convex/values";
import { action, httpAction, mutation, query, type ActionCtx, type MutationCtx, type QueryCtx } from "./_generated/server";
import { auditLog } from "./auditLog";

/** Reports show everyone's activity: only admins (a claim your auth provider sets) may run them. */
async function requireAdmin(ctx: QueryCtx | MutationCtx | ActionCtx) {
  const identity = await ctx.auth.getUserIdentity();
  if (identity?.role !== "admin") throw new Error("Only admins can read audit reports");
  return identity;
}

/** The first and last millisecond of a month ("2026-11"), UTC; this month by default. */
function monthBounds(month: string | undefined) {
  const match = month === undefined ? null : /^(\d{4})-(0[1-9]|1[0-2])$/.exec(month);
  if (month !== undefined && match === null) throw new Error(`month must look like 2026-11, got ${month}`);
  const now = new Date();
  const y = match ? Number(match[1]) : now.getUTCFullYear();
  const m = match ? Number(match[2]) - 1 : now.getUTCMonth();
  return { startOfMonth: Date.UTC(y, m, 1), endOfMonth: Date.UTC(y, m + 1, 1) - 1 };
}

/**
 * The README's compliance report: a month of events as CSV, grouped by action.
 * A mutation, because the report run is itself logged (audit.report.generated).
 */
export const monthlyComplianceReport = mutation({
  args: { month: v.optional(v.string()), tenantId: v.optional(v.string()) },
  handler: async (ctx, { month, tenantId }) => {
    await requireAdmin(ctx);
    const { startOfMonth, endOfMonth } = monthBounds(month);
    const report = await auditLog.generateReport(ctx, {
      startDate: startOfMonth,
      endDate: endOfMonth,
      format: "csv", // or "json"
      includeFields: ["timestamp", "action", "actorId", "resourceType"],
      groupBy: "action",
      ...(tenantId !== undefined ? { filters: { tenantId } } : {}),
    });
    return report;
  },
});

/** The same month as an export of any size, in the background; returns the job id. */
export const exportMonth = mutation({
  args: { month: v.optional(v.string()), format: v.union(v.literal("csv"), v.literal("jsonl")) },
  handler: async (ctx, { month, format }) => {
    await requireAdmin(ctx);
    const { startOfMonth, endOfMonth } = monthBounds(month);
    return await auditLog.exportReport(ctx, { startDate: startOfMonth, endDate: endOfMonth, format });
  },
});

/** Progress of an export, then the URLs of its file parts: reactive, for a progress bar. */
export const exportStatus = query({
  args: { jobId: v.string() },
  handler: async (ctx, { jobId }) => {
    await requireAdmin(ctx);
    return await auditLog.getReportExport(ctx, { jobId });
  },
});

/** A finished export's whole file as text, from an action (small exports; large ones stream, below). */
export const exportText = action({
  args: { jobId: v.string() },
  handler: async (ctx, { jobId }): Promise<string | null> => {
    await requireAdmin(ctx);
    const response = await auditLog.reportFileResponse(ctx, { jobId });
    return response === null ? null : await response.text();
  },
});

/** Streams a finished export to the browser, part by part. Route it in http.ts: `GET /audit-report?jobId=...`. */
export const downloadReport = httpAction(async (ctx, request) => {
  await requireAdmin(ctx);
  const jobId = new URL(request.url).searchParams.get("jobId");
  const response = jobId === null ? null : await auditLog.reportFileResponse(ctx, { jobId });
  return response ?? new Response("not found", { status: 404 });
});
