/**
 * Reports: the one-transaction report (`build`, reportBuild.ts) and exports
 * of any size to file storage (`startExport` → `exportStep` actions → parts,
 * reportExport.ts). The functions here are the registered entry points;
 * scheduled steps refer to them by these paths.
 */
import { v } from "convex/values";
import { internal } from "./_generated/api.js";
import { action, internalAction, internalMutation, internalQuery, mutation, query } from "./_generated/server.js";
import { vExportArgs, vReport, vReportArgs, vReportExport } from "../shared/report.js";
import { vEventInput, vLogOptions } from "../shared/validators.js";
import { buildReport } from "./reportBuild.js";
import {
  cancelExport as cancelJob,
  exportPage as exportPageHandler,
  exportStep as exportStepHandler,
  failExport as failExportHandler,
  jobView,
  loadJob,
  recordPart as recordPartHandler,
  resumeExport as resumeJob,
  startExport as startExportHandler,
} from "./reportExport.js";

export const build = query({
  args: vReportArgs,
  returns: vReport,
  handler: async (ctx, args) => await buildReport(ctx, args),
});

export const startExport = mutation({
  args: { ...vExportArgs, requestEvent: vEventInput, options: v.optional(vLogOptions) },
  returns: v.string(),
  handler: async (ctx, args) => await startExportHandler(ctx, args),
});

const vStep = { jobId: v.id("reports"), seq: v.number(), cursor: v.union(v.string(), v.null()) };

export const exportPage = internalQuery({
  args: { ...vStep, maxOutputBytes: v.number() },
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
  handler: exportPageHandler,
});

export const exportStep = internalAction({
  args: { ...vStep, partBytes: v.number() },
  returns: v.null(),
  handler: exportStepHandler,
});

export const recordPart = internalMutation({
  args: {
    ...vStep,
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
  handler: recordPartHandler,
});

export const failExport = internalMutation({
  args: { jobId: v.id("reports"), seq: v.number(), code: v.string(), message: v.string() },
  returns: v.null(),
  handler: failExportHandler,
});

const vJobRef = { jobId: v.string(), tenantId: v.optional(v.string()) };

export const getExport = query({
  args: vJobRef,
  returns: v.union(vReportExport, v.null()),
  handler: async (ctx, { jobId, tenantId }) => {
    const job = await loadJob(ctx, jobId, tenantId);
    if (job === null) return null;
    const urls = job.status === "done" ? await Promise.all(job.parts.map((p) => ctx.storage.getUrl(p.storageId))) : [];
    return jobView(job, urls);
  },
});

/** Stops a running export, deletes what it wrote, and logs it (with `requestEvent`'s actor). True if it was running. */
export const cancelExport = mutation({
  args: { ...vJobRef, requestEvent: v.optional(vEventInput), options: v.optional(vLogOptions) },
  returns: v.boolean(),
  handler: async (ctx, { jobId, tenantId, requestEvent, options }) =>
    await cancelJob(ctx, await loadJob(ctx, jobId, tenantId), requestEvent, options),
});

/**
 * Schedules the next step of a running export again, from its last recorded
 * position: for an export whose step died without a word (the cron does the
 * same on its own after a while). True if the job was running.
 */
export const resumeExport = mutation({
  args: vJobRef,
  returns: v.boolean(),
  handler: async (ctx, { jobId, tenantId }) => {
    const job = await loadJob(ctx, jobId, tenantId);
    if (job === null || job.status !== "running") return false;
    await resumeJob(ctx, job, job.scale);
    return true;
  },
});

export const jobForPart = internalQuery({
  args: { ...vJobRef, part: v.number() },
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
  args: { ...vJobRef, part: v.number() },
  returns: v.union(v.bytes(), v.null()),
  handler: async (ctx, args): Promise<ArrayBuffer | null> => {
    const storageId = await ctx.runQuery(internal.reports.jobForPart, args);
    if (storageId === null) return null;
    const blob = await ctx.storage.get(storageId);
    return blob === null ? null : await blob.arrayBuffer();
  },
});
