import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { action, httpAction, internalMutation, mutation, query } from "./_generated/server";
import { internal } from "./_generated/api";
import { auditLog, typedAuditLog } from "./auditLog";

export const createDocument = mutation({
  args: { title: v.string(), body: v.string(), orgId: v.optional(v.string()) },
  handler: async (ctx, args) => {
    const id = await ctx.db.insert("documents", args);
    await typedAuditLog.logBulk(ctx, [
      {
        action: "document.created",
        severity: "info",
        resourceType: "documents",
        resourceId: id,
        tenantId: args.orgId,
        after: await ctx.db.get(id),
      },
      { action: "notification.sent", severity: "info", tenantId: args.orgId, metadata: { documentId: id } },
    ]);
    return id;
  },
});

export const updateDocument = mutation({
  args: { documentId: v.id("documents"), title: v.string() },
  handler: async (ctx, args) => {
    const before = await ctx.db.get(args.documentId);
    await ctx.db.patch(args.documentId, { title: args.title });
    await typedAuditLog.logChange(ctx, {
      action: "document.updated",
      resourceType: "documents",
      resourceId: args.documentId,
      tenantId: before?.orgId,
      before,
      after: await ctx.db.get(args.documentId),
    });
  },
});

// Get all changes to a specific document
export const getDocumentHistory = query({
  args: { documentId: v.string() },
  handler: async (ctx, args) => {
    return await auditLog.queryByResource(ctx, {
      resourceType: "documents",
      resourceId: args.documentId,
      limit: 50,
    });
  },
});

/** The same history, one page at a time, for `usePaginatedQuery`. */
export const documentHistoryPage = query({
  args: { documentId: v.string(), paginationOpts: paginationOptsValidator },
  handler: async (ctx, args) => {
    return await auditLog.queryByResource(ctx, {
      resourceType: "documents",
      resourceId: args.documentId,
      paginationOpts: args.paginationOpts,
    });
  },
});

// Watch for critical security events
export const watchSecurityEvents = query({
  handler: async (ctx) => {
    return await auditLog.watchCritical(ctx, {
      severity: ["warning", "error", "critical"],
      limit: 20,
    });
  },
});

/** From an action: logged through its own mutation. */
export const exportDocuments = action({
  args: { orgId: v.string(), count: v.number() },
  handler: async (ctx, args) => {
    return await typedAuditLog.log(ctx, {
      action: "report.generated",
      tenantId: args.orgId,
      summary: `Exported ${args.count} documents`,
      metadata: { count: args.count },
    });
  },
});

/** From a scheduled function: no request, no user; the actor is the system. */
export const nightlyCleanup = internalMutation({
  args: {},
  handler: async (ctx) => {
    await auditLog.log(ctx, { action: "maintenance.nightly", actor: { type: "system", id: "cron:nightly" } });
  },
});

export const scheduleCleanup = mutation({
  args: {},
  handler: async (ctx) => {
    await ctx.scheduler.runAfter(0, internal.documents.nightlyCleanup, {});
  },
});

/** From an HTTP action, e.g. a webhook. */
export const webhook = httpAction(async (ctx, request) => {
  const body = (await request.json()) as { event: string; apiKeyId: string; secret?: string };
  const id = await auditLog.log(ctx, {
    action: body.event,
    actor: { id: `apikey:${body.apiKeyId}`, type: "apiKey" },
    metadata: body,
    context: { userAgent: request.headers.get("user-agent") ?? undefined },
  });
  return new Response(JSON.stringify({ id }), { status: 200 });
});
