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

async function seed() {
  const t = initConvexTest();
  const now = Date.now();
  await t.run((ctx) =>
    auditLog.logBulk(ctx, [
      ...Array.from({ length: 6 }, (_, i) => ({
        action: "user.login.failed",
        actorId: "mallory",
        tenantId: "org2",
        timestamp: now - i * 20_000,
      })),
      { action: "user.login", actorId: "alice", tenantId: "org1", timestamp: now - 3600_000 },
      { action: "user.login", actorId: "bob", tenantId: "org1", timestamp: now - 2 * 3600_000 },
      { action: "record.deleted", actorId: "bob", tenantId: "org1", severity: "warning", timestamp: now - 30 * 3600_000 },
    ]),
  );
  return { t, now };
}

describe("statistics through the client", () => {
  test("the README's getStats and detectAnomalies calls work as written, before and after the rollup", async () => {
    const { t } = await seed();
    const check = async () => {
      await t.run(async (ctx) => {
        const stats = await auditLog.getStats(ctx, {
          fromTimestamp: Date.now() - 24 * 60 * 60 * 1000,
        });
        // Returns: { totalCount, bySeverity, topActions, topActors }
        expect(stats.totalCount).toBe(8);
        expect(stats.bySeverity).toEqual({ info: 2, warning: 6, error: 0, critical: 0 });
        expect(stats.topActions[0]).toEqual({ action: "user.login.failed", count: 6 });
        expect(stats.topActors.map((a) => a.actorId)).toEqual(["mallory", "alice", "bob"]);

        const anomalies = await auditLog.detectAnomalies(ctx, [
          { action: "user.login.failed", threshold: 5, windowMinutes: 5 },
          { action: "record.deleted", threshold: 50, windowMinutes: 60 },
        ]);
        expect(anomalies).toHaveLength(1);
        expect(anomalies[0]).toMatchObject({ action: "user.login.failed", count: 6, topActors: [{ actorId: "mallory", count: 6 }] });
      });
    };
    await check();
    // A rollup from an app mutation (settleMs 0: nothing else is logging in this test;
    // the wait lets the clock pass the newest _creationTime).
    await new Promise((r) => setTimeout(r, 5));
    const r = await t.run((ctx) => auditLog.rollupStats(ctx, { settleMs: 0 }));
    expect(r).toMatchObject({ folded: 9, caughtUp: true });
    expect((await t.run((ctx) => auditLog.statsStatus(ctx))).folded).toBe(9);
    await check();
  });

  test("detectAnomalies' tenantId option scopes every rule that names none", async () => {
    const { t } = await seed();
    const rules = [{ action: "user.login.failed", threshold: 5, windowMinutes: 5 }];
    expect(await t.run((ctx) => auditLog.detectAnomalies(ctx, rules, { tenantId: "org1" }))).toEqual([]);
    const org2 = await t.run((ctx) => auditLog.detectAnomalies(ctx, rules, { tenantId: "org2" }));
    expect(org2[0]).toMatchObject({ tenantId: "org2", count: 6 });
  });
});

describe("exposed getStats and detectAnomalies are scoped", () => {
  test("a viewer gets her own statistics and no anomalies; an anonymous caller UNAUTHORIZED", async () => {
    const { t } = await seed();
    expect(await codeOf(t.query(api.auditLog.getStats, {}))).toBe("UNAUTHORIZED");
    const alice = t.withIdentity({ subject: "alice" });
    const own = await alice.query(api.auditLog.getStats, { fromTimestamp: 0 });
    expect(own.topActors.map((a) => a.actorId)).toEqual(["alice"]);
    expect(own.totalCount).toBe(own.topActors[0].count);
    expect(own.rolledUpThrough).toBeNull();
    expect(
      await codeOf(alice.query(api.auditLog.detectAnomalies, { rules: [{ action: "user.login.failed", threshold: 1, windowMinutes: 5 }] })),
    ).toBe("FORBIDDEN");
  });

  test("an organisation admin gets that organisation's numbers only", async () => {
    const { t } = await seed();
    const olga = t.withIdentity({ subject: "olga", role: "org-admin", orgId: "org1" } as never);
    const stats = await olga.query(api.auditLog.getStats, { fromTimestamp: 0 });
    expect(stats.totalCount).toBe(3);
    expect(stats.topActors).toEqual([
      { actorId: "bob", count: 2 },
      { actorId: "alice", count: 1 },
    ]);
    expect(await codeOf(olga.query(api.auditLog.getStats, { fromTimestamp: 0, tenantId: "org2" }))).toBe("FORBIDDEN");
    const rules = [{ action: "user.login.failed", threshold: 1, windowMinutes: 5 }];
    expect(await olga.query(api.auditLog.detectAnomalies, { rules })).toEqual([]);
    expect(await codeOf(olga.query(api.auditLog.detectAnomalies, { rules: [{ ...rules[0], tenantId: "org2" }] }))).toBe("FORBIDDEN");
  });

  test("an admin sees everything", async () => {
    const { t } = await seed();
    const root = t.withIdentity({ subject: "root", role: "admin" } as never);
    expect((await root.query(api.auditLog.getStats, { fromTimestamp: 0 })).totalCount).toBe(9);
    const fired = await root.query(api.auditLog.detectAnomalies, {
      rules: [{ action: "user.login.failed", threshold: 5, windowMinutes: 5, groupBy: "tenant" }],
    });
    expect(fired[0].groups).toEqual([{ key: "org2", count: 6 }]);
  });
});
