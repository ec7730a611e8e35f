import { ConvexError, v } from "convex/values";
import { paginationOptsValidator } from "convex/server";
import { vSinkCredentialsArgs, vSinkTarget } from "convex-audit-log";
import { internal } from "./_generated/api";
import { internalMutation, internalQuery, mutation, query, type QueryCtx } from "./_generated/server";
import { auditLog } from "./auditLog";

// Convex functions see the deployment's environment variables as process.env (this folder has no Node types).
declare const process: { env: Record<string, string | undefined> };

/**
 * The audit log's delivery sinks' credentials: the component calls this
 * query (by the function handle `configureSink` stored) each time it sends
 * a batch. They live in one environment variable, a JSON object by sink
 * name, e.g. `{"archive": {"accessKeyId": "…", "secretAccessKey": "…"},
 * "siem": {"secret": "whsec_…"}}`, so nothing secret is ever in a table.
 */
export const credentials = internalQuery({
  args: vSinkCredentialsArgs,
  handler: async (_ctx, { sink }) => {
    const all = JSON.parse(process.env.AUDIT_SINK_CREDENTIALS ?? "{}") as Record<string, unknown>;
    return all[sink] ?? null;
  },
});

/** Adds or changes a sink, its credentials read by `credentials` above (the demo and the tests configure theirs so). */
export const configure = internalMutation({
  args: {
    name: v.string(),
    target: vSinkTarget,
    format: v.optional(v.union(v.literal("event"), v.literal("ocsf"), v.literal("otlp"))),
    batchEvents: v.optional(v.number()),
    retry: v.optional(v.object({ baseMs: v.optional(v.number()), maxMs: v.optional(v.number()), maxAttempts: v.optional(v.number()) })),
    timeoutMs: v.optional(v.number()),
    fromSeq: v.optional(v.number()),
    withCredentials: v.optional(v.boolean()),
  },
  // The return type is written out: inferred, it would depend on `internal`, whose type depends on this module.
  handler: async (ctx, { withCredentials, ...args }): Promise<{ created: boolean }> =>
    await auditLog.configureSink(ctx, { ...args, ...(withCredentials === false ? {} : { credentials: internal.sinks.credentials }), by: "ops" }),
});

/** Only the app's admins see and steer where the audit log goes. */
async function requireAdmin(ctx: QueryCtx): Promise<string> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) throw new ConvexError({ code: "UNAUTHORIZED", message: "sign in first" });
  if (identity.role !== "admin") throw new ConvexError({ code: "FORBIDDEN", message: "only admins see the audit log's sinks" });
  return identity.subject;
}

/** Every sink's status and lag, for the dashboard (`now` rounded to the minute by the caller, so the query is reactive). */
export const list = query({
  args: { paginationOpts: paginationOptsValidator, now: v.optional(v.number()) },
  handler: async (ctx, args) => {
    await requireAdmin(ctx);
    return await auditLog.sinks(ctx, args);
  },
});

export const pause = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await auditLog.pauseSink(ctx, { name, by: await requireAdmin(ctx) }),
});

export const resume = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => await auditLog.resumeSink(ctx, { name, by: await requireAdmin(ctx) }),
});

export const backfill = mutation({
  args: { name: v.string(), fromSeq: v.number() },
  handler: async (ctx, { name, fromSeq }) => await auditLog.backfillSink(ctx, { name, fromSeq, by: await requireAdmin(ctx) }),
});

/** A step now for every running sink (the component's cron does it every minute; the demo does not wait). */
export const deliverNow = internalMutation({ args: {}, handler: async (ctx) => await auditLog.deliverNow(ctx) });
