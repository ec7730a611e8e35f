/**
 * Alerts are sent if and only if the event committed: each test would fail
 * if the alert were sent outside the logging transaction (a rolled-back
 * mutation would still alert) or not sent with it.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { ConvexError } from "convex/values";
import { AuditLog } from "convex-audit-log";
import { api, components, internal } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";

type T = ReturnType<typeof initConvexTest>;
const NOW = Date.UTC(2026, 5, 1, 12);

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(NOW);
});
afterEach(() => vi.useRealTimers());

async function received(t: T) {
  await t.finishAllScheduledFunctions(vi.runAllTimers);
  return await t.run(async (ctx) => await ctx.db.query("alertsReceived").collect());
}
const events = async (t: T) => await t.run(async (ctx) => (await ctx.runQuery(components.auditLog.queries.queryByActor, { actorId: "u1", paginationOpts: { numItems: 50, cursor: null } })).page);

describe("event alerts", () => {
  test("a committed event that matches a rule schedules its function once, with the event", async () => {
    const t = initConvexTest();
    const id = await t.mutation(api.alerts.logEvent, { action: "security.unauthorized_access", summary: "token Bearer abcdefghijklmnop1234 refused" });
    // Committed with the event as a scheduled call, not run inside the logging transaction: nothing has run yet.
    expect(await t.run(async (ctx) => await ctx.db.query("alertsReceived").collect())).toEqual([]);
    const pending = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(pending.map((f) => [f.name, f.state.kind])).toEqual([["alerts:notify", "pending"]]);
    const got = await received(t);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ rule: "critical", kind: "event", eventId: id });
    expect(got[0].payload.event).toMatchObject({ action: "security.unauthorized_access", severity: "critical", category: "security", actorId: "u1" });
    // The payload holds the summary as stored: redacted.
    expect(got[0].payload.event.summary).toBe("token Bearer [REDACTED:bearer-token] refused");
  });

  test("a rolled-back mutation sends nothing: the event, its alert and the handler's writes go together", async () => {
    const t = initConvexTest();
    await expect(t.mutation(api.alerts.logEventThenFail, { action: "security.unauthorized_access" })).rejects.toThrow("payment rejected");
    expect(await received(t)).toEqual([]);
    expect(await events(t)).toEqual([]);
    expect(await t.run(async (ctx) => await ctx.db.query("documents").collect())).toEqual([]);
    const scheduled = await t.run(async (ctx) => await ctx.db.system.query("_scheduled_functions").collect());
    expect(scheduled).toEqual([]);
  });

  test("rules match on severity, action and tenant; events that match none alert no one", async () => {
    const t = initConvexTest();
    await t.mutation(api.alerts.logEvent, { action: "user.login" });
    await t.mutation(api.alerts.logEvent, { action: "admin.user.banned", tenantId: "other" });
    const ban = await t.mutation(api.alerts.logEvent, { action: "admin.user.banned", tenantId: "acme" });
    const critical = await t.mutation(api.alerts.logEvent, { action: "record.viewed", severity: "critical" });
    const got = await received(t);
    expect(got.map((g) => [g.rule, g.eventId]).sort()).toEqual([["acme-bans", ban], ["critical", critical]].sort());
  });

  test("from an action: sent once the event is stored, and not when storing it fails", async () => {
    const t = initConvexTest();
    const id = await t.action(api.alerts.logEventFromAction, { action: "security.suspicious_activity" });
    expect((await received(t)).map((g) => g.eventId)).toEqual([id]);
    const e = await t.action(api.alerts.logEventFromAction, { action: "", severity: "critical" }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConvexError);
    expect(await received(t)).toHaveLength(1);
  });

  test("a rule without a handler, or an anomaly rule without a unique name, is INVALID_CONFIG when the AuditLog is made", () => {
    expect(() => new AuditLog(components.auditLog, { alerts: [{ name: "x" } as never] })).toThrow(/no handler/);
    const rule = { action: "a", threshold: 1, windowMinutes: 1 };
    expect(
      () =>
        new AuditLog(components.auditLog, {
          anomalyAlerts: [
            { name: "same", rule, handler: internal.alerts.notifyAnomaly },
            { name: "same", rule, handler: internal.alerts.notifyAnomaly },
          ],
        }),
    ).toThrow(/unique name/);
  });
});

describe("anomaly alerts", () => {
  const failures = async (t: T, n: number, at: number) => {
    await t.mutation(components.auditLog.log.logBulk, {
      events: Array.from({ length: n }, (_, i) => ({ action: "user.login.failed", actorId: "mallory", timestamp: at + i })),
    });
  };

  test("a firing rule calls its function once per window, not on every check", async () => {
    const t = initConvexTest();
    await failures(t, 3, NOW - 60_000);
    expect(await t.mutation(internal.alerts.checkAnomalies, { now: NOW })).toEqual(["failed-logins"]);
    // Still firing a minute and two later (the same failures are in the window): no second call.
    expect(await t.mutation(internal.alerts.checkAnomalies, { now: NOW + 60_000 })).toEqual([]);
    expect(await t.mutation(internal.alerts.checkAnomalies, { now: NOW + 120_000 })).toEqual([]);
    // A window later, with new failures, it calls again.
    await failures(t, 3, NOW + 4 * 60_000);
    expect(await t.mutation(internal.alerts.checkAnomalies, { now: NOW + 5 * 60_000 })).toEqual(["failed-logins"]);
    const got = (await received(t)).filter((g) => g.kind === "anomaly");
    expect(got).toHaveLength(2);
    expect(got[0].payload.anomaly).toMatchObject({ action: "user.login.failed", count: 3, limit: 3 });
    expect(got[0].payload.checkedAt).toBe(NOW);
  });

  test("a quiet rule calls nothing; a check that rolls back neither alerts nor uses up the window", async () => {
    const t = initConvexTest();
    await failures(t, 2, NOW - 60_000);
    expect(await t.mutation(internal.alerts.checkAnomalies, { now: NOW })).toEqual([]);
    await failures(t, 1, NOW - 30_000);
    await expect(t.mutation(internal.alerts.checkAnomaliesThenFail, { now: NOW })).rejects.toThrow("next step failed");
    expect(await received(t)).toEqual([]);
    // The rolled-back check claimed nothing: the next one fires.
    expect(await t.mutation(internal.alerts.checkAnomalies, { now: NOW + 1 })).toEqual(["failed-logins"]);
    expect(await received(t)).toHaveLength(1);
  });

  test("the claim is checked: bad windows and keys are typed errors that write nothing", async () => {
    const t = initConvexTest();
    for (const firings of [[{ key: "", windowMs: 1, at: 0 }], [{ key: "k", windowMs: 0, at: 0 }], [{ key: "k", windowMs: 1, at: -1 }]]) {
      const e = await t.mutation(components.auditLog.alerts.claim, { firings }).catch((x: unknown) => x);
      expect((e as ConvexError<{ code: string }>).data.code).toBe("INVALID_ARGUMENT");
    }
  });
});
