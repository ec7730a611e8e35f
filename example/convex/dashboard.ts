/**
 * What the example dashboard (example/app) needs besides the exposed API:
 * the event generator's mutations, and the events-over-time series.
 */
import { ConvexError, v, type Infer } from "convex/values";
import { api } from "./_generated/api";
import { mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server";
import type { AuditStats } from "convex-audit-log";
import { typedAuditLog } from "./auditLog";

async function callerTenant(ctx: MutationCtx | QueryCtx): Promise<string | undefined> {
  const identity = await ctx.auth.getUserIdentity();
  return typeof identity?.orgId === "string" ? identity.orgId : undefined;
}

function invalid(message: string, path: string): ConvexError<{ code: "INVALID_ARGUMENT"; message: string; path: string }> {
  return new ConvexError({ code: "INVALID_ARGUMENT", message, path });
}

function checkCount(count: number, max: number): void {
  if (!Number.isInteger(count) || count < 1 || count > max) throw invalid(`count must be an integer from 1 to ${max}`, "count");
}

const DASHBOARD = { source: "dashboard" };

// ---- Event generator ------------------------------------------------------------

/** The caller signs in: the actor comes from the auth token. */
export const recordLogin = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) =>
    await typedAuditLog.log(ctx, { action: "user.login", tenantId: await callerTenant(ctx), context: DASHBOARD }),
});

export const recordLogout = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) =>
    await typedAuditLog.log(ctx, { action: "user.logout", tenantId: await callerTenant(ctx), context: DASHBOARD }),
});

/** Failed sign-ins on the caller's account, now: enough of them trips the failed-login anomaly rule. */
export const failedLoginBurst = mutation({
  args: { count: v.number() },
  returns: v.number(),
  handler: async (ctx, { count }) => {
    checkCount(count, 100);
    const tenantId = await callerTenant(ctx);
    const ids = await typedAuditLog.logBulk(
      ctx,
      Array.from({ length: count }, (_, i) => ({
        action: "user.login.failed" as const,
        status: "failure" as const,
        tenantId,
        errorMessage: "wrong password",
        tags: ["security"],
        context: { ...DASHBOARD, ip: `198.51.100.${(i % 250) + 1}` },
      })),
    );
    return ids.length;
  },
});

/** Completes the generator's document lifecycle (documents.ts has create and update): the diff holds every field removed. */
export const deleteDocument = mutation({
  args: { documentId: v.id("documents") },
  returns: v.null(),
  handler: async (ctx, { documentId }) => {
    const before = await ctx.db.get(documentId);
    if (before === null) throw new ConvexError({ code: "NOT_FOUND", message: "that document is already deleted" });
    await ctx.db.delete(documentId);
    await typedAuditLog.logChange(ctx, {
      action: "document.deleted",
      resourceType: "documents",
      resourceId: documentId,
      tenantId: before.orgId,
      before,
      context: DASHBOARD,
    });
    return null;
  },
});

/**
 * Rotates a webhook signing secret. The secret is in before and after, and
 * the log keeps neither: the diff says it changed, redacted, next to the
 * fields that are shown as they are.
 */
export const rotateWebhookSecret = mutation({
  args: {},
  returns: v.string(),
  handler: async (ctx) => {
    const secret = () => `whsec_${Math.random().toString(36).slice(2, 14)}`;
    const retries = 3 + Math.floor(Math.random() * 3);
    return await typedAuditLog.logChange(ctx, {
      action: "settings.changed",
      tenantId: await callerTenant(ctx),
      resourceType: "settings",
      resourceId: "webhooks",
      summary: "Webhook signing secret rotated",
      tags: ["security"],
      before: { endpoint: "https://hooks.example.test/audit", signingSecret: secret(), retries: 3 },
      after: { endpoint: "https://hooks.example.test/audit", signingSecret: secret(), retries },
      context: DASHBOARD,
    });
  },
});

const PEOPLE = [
  // The local runtime's demo people (example/local/seed.ts), and one more per organisation.
  { id: "user_ada", name: "Ada Lovelace", tenantId: "acme" },
  { id: "user_olga", name: "Olga", tenantId: "acme" },
  { id: "user_kim", name: "Kim", tenantId: "acme" },
  { id: "user_grace", name: "Grace Hopper", tenantId: "globex" },
  { id: "user_bob", name: "Bob", tenantId: "globex" },
] as const;

const MIX = [
  { action: "user.login", weight: 6 },
  { action: "user.logout", weight: 4 },
  { action: "document.created", weight: 3 },
  { action: "document.updated", weight: 4 },
  { action: "record.viewed", weight: 6 },
  { action: "record.exported", weight: 1 },
  { action: "user.login.failed", weight: 2 },
  { action: "notification.sent", weight: 2 },
  { action: "security.unauthorized_access", weight: 0.3 },
] as const;
const MIX_WEIGHT = MIX.reduce((n, m) => n + m.weight, 0);

function pick<T>(xs: readonly T[]): T {
  return xs[Math.floor(Math.random() * xs.length)];
}

function pickAction(): (typeof MIX)[number]["action"] {
  let r = Math.random() * MIX_WEIGHT;
  for (const m of MIX) if ((r -= m.weight) < 0) return m.action;
  return MIX[0].action;
}

/**
 * `count` events by a few people in two organisations, in one transaction.
 * With `spreadMinutes` their timestamps are spread over that many minutes
 * before now, so the events-over-time chart has a shape.
 */
export const burst = mutation({
  args: { count: v.number(), spreadMinutes: v.optional(v.number()) },
  returns: v.number(),
  handler: async (ctx, { count, spreadMinutes = 0 }) => {
    checkCount(count, 500);
    if (!Number.isFinite(spreadMinutes) || spreadMinutes < 0 || spreadMinutes > 7 * 24 * 60) {
      throw invalid("spreadMinutes must be from 0 to 10,080 (a week)", "spreadMinutes");
    }
    const now = Date.now();
    const events = Array.from({ length: count }, () => {
      const who = pick(PEOPLE);
      const action = pickAction();
      const failed = action !== "user.login.failed" && Math.random() < 0.05;
      const isDoc = action.startsWith("document.") || action.startsWith("record.");
      return {
        action,
        actorId: who.id,
        actor: { type: "user" as const, name: who.name },
        tenantId: who.tenantId,
        ...(isDoc ? { resourceType: "documents", resourceId: `doc_${1 + Math.floor(Math.random() * 20)}` } : {}),
        ...(failed ? { status: "failure" as const, severity: "error" as const, errorMessage: "upstream timeout" } : {}),
        ...(action === "user.login.failed" ? { status: "failure" as const } : {}),
        summary: `${who.name}: ${action}`,
        timestamp: now - Math.floor(Math.random() * spreadMinutes * 60_000),
        context: DASHBOARD,
      };
    });
    return (await typedAuditLog.logBulk(ctx, events)).length;
  },
});

// ---- Events over time -------------------------------------------------------------

const vSeverityCounts = v.object({ info: v.number(), warning: v.number(), error: v.number(), critical: v.number() });
const vBucket = v.object({ fromTimestamp: v.number(), toTimestamp: v.number(), total: v.number(), bySeverity: vSeverityCounts });

const vOverTime = v.object({ bucketMinutes: v.number(), buckets: v.array(vBucket) });

const MAX_BUCKETS = 48;
const MAX_SPAN_MINUTES = 31 * 24 * 60;

/**
 * Counts per bucket for the `buckets` buckets of `bucketMinutes` that end at
 * `toTimestamp` (inclusive): one subscription for the whole chart. Pass a
 * `toTimestamp` rounded to the minute from the browser (a query re-runs when
 * its data changes, not when time passes), e.g. the end of the current minute.
 */
export const eventsOverTime = query({
  args: { toTimestamp: v.number(), bucketMinutes: v.number(), buckets: v.number(), tenantId: v.optional(v.string()) },
  returns: vOverTime,
  // Annotated: a query calling another of this app's queries through `api` would otherwise type itself in a circle.
  handler: async (ctx, { toTimestamp, bucketMinutes, buckets, tenantId }): Promise<Infer<typeof vOverTime>> => {
    if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) throw invalid(`buckets must be an integer from 1 to ${MAX_BUCKETS}`, "buckets");
    if (!Number.isInteger(bucketMinutes) || bucketMinutes < 1 || buckets * bucketMinutes > MAX_SPAN_MINUTES) {
      throw invalid(`bucketMinutes must be a whole number of minutes, at most ${MAX_SPAN_MINUTES} over all buckets`, "bucketMinutes");
    }
    if (!Number.isSafeInteger(toTimestamp) || toTimestamp < 0) throw invalid("toTimestamp must be a time in ms", "toTimestamp");
    const size = bucketMinutes * 60_000;
    const start = toTimestamp - buckets * size + 1;
    const out = [];
    // Each bucket through the exposed getStats, so the caller's scope is decided
    // by its auth callback alone (an admin any tenant, an org-admin their own,
    // others refused). One after another: nested calls of one query run in its transaction anyway.
    for (let i = 0; i < buckets; i++) {
      const from = start + i * size;
      const stats: AuditStats = await ctx.runQuery(api.auditLog.getStats, { fromTimestamp: from, toTimestamp: from + size - 1, tenantId, topK: 1 });
      out.push({ fromTimestamp: from, toTimestamp: from + size - 1, total: stats.totalCount, bySeverity: stats.bySeverity });
    }
    return { bucketMinutes, buckets: out };
  },
});
