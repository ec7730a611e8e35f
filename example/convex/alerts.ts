/**
 * Alerts: rules held in code by this AuditLog; a matching event schedules
 * the rule's function in the transaction that logs it.
 */
import { v } from "convex/values";
import { AuditLog, vAnomalyAlert, vEventAlert } from "convex-audit-log";
import { components, internal } from "./_generated/api";
import { action, internalMutation, mutation } from "./_generated/server";

export const alertingAuditLog: AuditLog = new AuditLog(components.auditLog, {
  alerts: [
    { name: "critical", severity: ["critical"], handler: internal.alerts.notify },
    { name: "acme-bans", actions: ["admin.user.banned"], tenantId: "acme", handler: internal.alerts.notify },
  ],
  anomalyAlerts: [
    { name: "failed-logins", rule: { action: "user.login.failed", threshold: 3, windowMinutes: 5 }, handler: internal.alerts.notifyAnomaly },
  ],
});

/** The alert function: here it records what it got; an app would page someone. */
export const notify = internalMutation({
  args: { alert: vEventAlert },
  handler: async (ctx, { alert }) => {
    await ctx.db.insert("alertsReceived", { rule: alert.rule, kind: "event", eventId: alert.event.id, payload: alert });
  },
});

export const notifyAnomaly = internalMutation({
  args: { alert: vAnomalyAlert },
  handler: async (ctx, { alert }) => {
    await ctx.db.insert("alertsReceived", { rule: alert.rule, kind: "anomaly", payload: alert });
  },
});

const vLogged = { action: v.string(), severity: v.optional(v.string()), tenantId: v.optional(v.string()), summary: v.optional(v.string()) };
type Logged = { action: string; severity?: string; tenantId?: string; summary?: string };
const event = (a: Logged) => ({ ...a, severity: a.severity as "info" | undefined, actorId: "u1" });

/** Logs an event and commits. */
export const logEvent = mutation({
  args: vLogged,
  handler: async (ctx, args) => await alertingAuditLog.log(ctx, event(args)),
});

/** Logs an event, then fails: the event and its alert roll back together. */
export const logEventThenFail = mutation({
  args: vLogged,
  handler: async (ctx, args) => {
    await ctx.db.insert("documents", { title: "half-done", body: "" });
    await alertingAuditLog.log(ctx, event(args));
    throw new Error("payment rejected");
  },
});

/** From an action: the alert is scheduled once the event's own mutation committed. */
export const logEventFromAction = action({
  args: vLogged,
  handler: async (ctx, args): Promise<string> => await alertingAuditLog.log(ctx, event(args)),
});

/** What the app's cron calls (every minute, say). */
export const checkAnomalies = internalMutation({
  args: { now: v.number() },
  handler: async (ctx, { now }) => await alertingAuditLog.checkAnomalyAlerts(ctx, { now }),
});

/** The same check, failing after it: nothing is sent and the window is not used up. */
export const checkAnomaliesThenFail = internalMutation({
  args: { now: v.number() },
  handler: async (ctx, { now }) => {
    await alertingAuditLog.checkAnomalyAlerts(ctx, { now });
    throw new Error("the cron's next step failed");
  },
});
