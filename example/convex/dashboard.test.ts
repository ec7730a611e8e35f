import { describe, expect, test } from "vitest";
import { ConvexError } from "convex/values";
import { api } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";

const codeOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ConvexError);
  return (e as ConvexError<{ code: string }>).data.code;
};

const ADMIN = { subject: "root", role: "admin" };
const OLGA = { subject: "user_olga", role: "org-admin", orgId: "acme" };
const ADA = { subject: "user_ada", name: "Ada", orgId: "acme" };

describe("event generator", () => {
  test("login and logout are the caller's, in the caller's organisation", async () => {
    const t = initConvexTest();
    const ada = t.withIdentity(ADA as never);
    await ada.mutation(api.dashboard.recordLogin, {});
    await ada.mutation(api.dashboard.recordLogout, {});
    const mine = await ada.query(api.auditLog.queryByActor, { actorId: "user_ada" });
    expect(mine.map((e) => [e.action, e.actorId, e.tenantId, e.actor.name, e.context?.source])).toEqual([
      ["user.logout", "user_ada", "acme", "Ada", "dashboard"],
      ["user.login", "user_ada", "acme", "Ada", "dashboard"],
    ]);
  });

  test("a burst of failed logins fires the failed-login rule", async () => {
    const t = initConvexTest();
    expect(await t.withIdentity(ADA as never).mutation(api.dashboard.failedLoginBurst, { count: 6 })).toBe(6);
    const fired = await t.withIdentity(ADMIN as never).query(api.auditLog.detectAnomalies, {
      rules: [{ action: "user.login.failed", threshold: 5, windowMinutes: 5 }],
    });
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ count: 6, topActors: [{ actorId: "user_ada", count: 6 }] });
    expect(await codeOf(t.mutation(api.dashboard.failedLoginBurst, { count: 0 }))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(t.mutation(api.dashboard.failedLoginBurst, { count: 101 }))).toBe("INVALID_ARGUMENT");
  });

  test("create, update and delete a document: each with its diff", async () => {
    const t = initConvexTest();
    const ada = t.withIdentity(ADA as never);
    const id = await ada.mutation(api.documents.createDocument, { title: "Q3 plan", body: "...", orgId: "acme" });
    await ada.mutation(api.documents.updateDocument, { documentId: id, title: "Q3 plan (final)" });
    await ada.mutation(api.dashboard.deleteDocument, { documentId: id });
    const history = await t.run((ctx) => auditLog.queryByResource(ctx, { resourceType: "documents", resourceId: id }));
    expect(history.map((e) => e.action)).toEqual(["document.deleted", "document.updated", "document.created"]);
    const deleted = history[0];
    expect(deleted).toMatchObject({ actorId: "user_ada", tenantId: "acme", severity: "warning" });
    expect(deleted.changes?.map((c) => `${c.op} ${c.path.join(".")}`).sort()).toEqual(["remove body", "remove orgId", "remove title"]);
    expect(await codeOf(ada.mutation(api.dashboard.deleteDocument, { documentId: id }))).toBe("NOT_FOUND");
  });

  test("a secret rotation is logged with the secret redacted and the other fields shown", async () => {
    const t = initConvexTest();
    const id = await t.withIdentity(ADA as never).mutation(api.dashboard.rotateWebhookSecret, {});
    const event = await t.run((ctx) => auditLog.get(ctx, { id }));
    expect(event).toMatchObject({ action: "settings.changed", tenantId: "acme", resourceId: "webhooks" });
    expect(JSON.stringify(event)).not.toContain("whsec_");
    const secret = event!.changes!.find((c) => c.path[0] === "signingSecret");
    expect(secret).toMatchObject({ op: "replace", redacted: true });
  });

  test("a burst spreads its events over the window asked for, across both organisations", async () => {
    const t = initConvexTest();
    const before = Date.now();
    expect(await t.mutation(api.dashboard.burst, { count: 120, spreadMinutes: 60 })).toBe(120);
    const root = t.withIdentity(ADMIN as never);
    const stats = await root.query(api.auditLog.getStats, { fromTimestamp: before - 3_600_000, toTimestamp: Date.now() });
    expect(stats.totalCount).toBe(120);
    const olga = await t.withIdentity(OLGA as never).query(api.auditLog.getStats, { fromTimestamp: 0 });
    expect(olga.totalCount).toBeGreaterThan(0);
    expect(olga.totalCount).toBeLessThan(120);
    expect(await codeOf(t.mutation(api.dashboard.burst, { count: 501 }))).toBe("INVALID_ARGUMENT");
    expect(await codeOf(t.mutation(api.dashboard.burst, { count: 5, spreadMinutes: -1 }))).toBe("INVALID_ARGUMENT");
  });
});

describe("eventsOverTime", () => {
  const HOUR = 3_600_000;
  // The end of a minute, as the dashboard passes it.
  const to = Date.UTC(2026, 10, 23, 12, 0) - 1;

  async function seed() {
    const t = initConvexTest();
    await t.run((ctx) =>
      auditLog.logBulk(ctx, [
        { action: "user.login", actorId: "user_ada", tenantId: "acme", timestamp: to },
        { action: "user.login", actorId: "user_ada", tenantId: "acme", timestamp: to - HOUR + 1 },
        { action: "record.deleted", actorId: "user_bob", tenantId: "globex", timestamp: to - HOUR },
        { action: "security.unauthorized_access", actorId: "user_bob", tenantId: "globex", timestamp: to - 3 * HOUR },
        { action: "user.login", actorId: "user_ada", tenantId: "acme", timestamp: to - 30 * HOUR },
      ]),
    );
    return t;
  }

  test("contiguous buckets ending at toTimestamp, each counted as the exposed getStats counts it", async () => {
    const t = await seed();
    const root = t.withIdentity(ADMIN as never);
    const { buckets } = await root.query(api.dashboard.eventsOverTime, { toTimestamp: to, bucketMinutes: 60, buckets: 24 });
    expect(buckets).toHaveLength(24);
    expect(buckets[23].toTimestamp).toBe(to);
    expect(buckets[0].fromTimestamp).toBe(to - 24 * HOUR + 1);
    for (let i = 1; i < 24; i++) expect(buckets[i].fromTimestamp).toBe(buckets[i - 1].toTimestamp + 1);
    expect(buckets.map((b) => b.total)).toEqual([...Array(20).fill(0), 1, 0, 1, 2]);
    expect(buckets[20].bySeverity).toEqual({ info: 0, warning: 0, error: 0, critical: 1 });
    for (const b of buckets.slice(20)) {
      const stats = await root.query(api.auditLog.getStats, { fromTimestamp: b.fromTimestamp, toTimestamp: b.toTimestamp });
      expect(b.total).toBe(stats.totalCount);
    }
    const globex = await root.query(api.dashboard.eventsOverTime, { toTimestamp: to, bucketMinutes: 240, buckets: 2, tenantId: "globex" });
    expect(globex.buckets.map((b) => b.total)).toEqual([0, 2]);
  });

  test("scoped as the exposed getStats is: org-admin its organisation, a user her own events, an anonymous caller refused", async () => {
    const t = await seed();
    const args = { toTimestamp: to, bucketMinutes: 60, buckets: 4 };
    const olga = t.withIdentity(OLGA as never);
    expect((await olga.query(api.dashboard.eventsOverTime, args)).buckets.map((b) => b.total)).toEqual([0, 0, 0, 2]);
    const window = { fromTimestamp: to - 4 * HOUR + 1, toTimestamp: to };
    expect((await olga.query(api.auditLog.getStats, window)).totalCount).toBe(2);

    const same = async (who: ReturnType<typeof t.withIdentity> | typeof t, tenantId?: string) => {
      const mine = await codeOf(who.query(api.dashboard.eventsOverTime, { ...args, tenantId }));
      expect(await codeOf(who.query(api.auditLog.getStats, { ...window, tenantId }))).toBe(mine);
      return mine;
    };
    expect(await same(olga, "globex")).toBe("FORBIDDEN");
    expect(await same(t)).toBe("UNAUTHORIZED");
    // A plain user's buckets are her own events only.
    const ada = t.withIdentity(ADA as never);
    const own = await ada.query(api.auditLog.getStats, window);
    expect(own.topActors.every((a) => a.actorId === ADA.subject)).toBe(true);
    expect((await ada.query(api.dashboard.eventsOverTime, args)).buckets.reduce((n, b) => n + b.total, 0)).toBe(own.totalCount);
  });

  test("bad arguments are INVALID_ARGUMENT", async () => {
    const root = initConvexTest().withIdentity(ADMIN as never);
    for (const bad of [
      { toTimestamp: to, bucketMinutes: 60, buckets: 0 },
      { toTimestamp: to, bucketMinutes: 60, buckets: 49 },
      { toTimestamp: to, bucketMinutes: 0.5, buckets: 24 },
      { toTimestamp: to, bucketMinutes: 1440, buckets: 32 },
      { toTimestamp: Number.NaN, bucketMinutes: 60, buckets: 24 },
    ]) {
      expect(await codeOf(root.query(api.dashboard.eventsOverTime, bad))).toBe("INVALID_ARGUMENT");
    }
  });
});
