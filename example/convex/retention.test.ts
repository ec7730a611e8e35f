import { afterEach, describe, expect, test, vi } from "vitest";
import { type CleanupBatchResult } from "convex-audit-log";
import { components } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";
import { expectCode } from "../../test/support/errors";

type T = ReturnType<typeof initConvexTest>;
const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

afterEach(() => {
  vi.useRealTimers();
});

/** 30 old info events, 5 old critical ones and 5 recent ones, then the statistics rollup. */
async function seed(t: T) {
  const old = (i: number, severity: "info" | "critical") => ({
    action: "document.updated",
    severity,
    tenantId: i % 2 === 0 ? "org1" : "org2",
    resourceType: "documents",
    resourceId: `d${i}`,
    timestamp: NOW - (100 + i) * DAY,
  });
  await t.run((ctx) =>
    auditLog.logBulk(ctx, [
      ...Array.from({ length: 30 }, (_, i) => old(i, "info")),
      ...Array.from({ length: 5 }, (_, i) => old(i, "critical")),
      ...Array.from({ length: 5 }, (_, i) => ({
        action: "user.login",
        actorId: `u${i}`,
        timestamp: NOW - i * DAY,
      })),
    ]),
  );
  // Cleanup never deletes what the statistics rollup has not counted yet (its cron does this every minute).
  vi.setSystemTime(NOW + 1000);
  await t.mutation(components.auditLog.stats.rollup, { settleMs: 0 });
  // Nor what is not sealed yet: its leaf stays in the transparency log after the event goes.
  await t.mutation(components.auditLog.integrity.seal, { settleMs: 0 });
  vi.setSystemTime(NOW);
}

async function remaining(t: T) {
  return await t.run(async (ctx) =>
    (
      await ctx.runQuery(components.auditLog.queries.watchCritical, {
        severity: ["info", "warning", "error", "critical"],
        limit: 1000,
      })
    ).filter((e) => !e.action.startsWith("audit.")),
  );
}

describe("retention through the client", () => {
  test("the README's cleanup call works as written from a mutation and returns the number deleted", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const t = initConvexTest();
    await seed(t);
    const deletedCount = await t.run(async (ctx) => {
      const deletedCount = await auditLog.cleanup(ctx, {
        olderThanDays: 90,
        preserveSeverity: ["critical"], // Keep critical events forever
        batchSize: 100,
      });
      return deletedCount;
    });
    expect(deletedCount).toBe(30);
    const left = await remaining(t);
    expect(left.filter((e) => e.severity === "critical").length).toBe(5);
    expect(left.filter((e) => e.action === "user.login").length).toBe(5);
    expect(left.length).toBe(10);
    // The deletion is itself on the record.
    const trail = await t.run((ctx) =>
      ctx.runQuery(components.auditLog.queries.watchCritical, {
        severity: ["info"],
        limit: 50,
      }),
    );
    expect(
      trail
        .filter((e) => e.action === "audit.retention.run")
        .map((e) => e.metadata),
    ).toMatchObject([
      {
        mode: "direct",
        deleted: 30,
        olderThanDays: 90,
        preserveSeverity: ["critical"],
      },
    ]);
  });

  test("with no rollup run yet (convex-test runs no cron), repeated cleanup calls still delete what expired, and the statistics stay exact", async () => {
    // As a new user would: log, move the clock 100 days on, call cleanup a dozen times.
    vi.useFakeTimers({ toFake: ["Date"] });
    const start = Date.UTC(2026, 0, 1);
    vi.setSystemTime(start);
    const t = initConvexTest();
    await t.run((ctx) =>
      auditLog.logBulk(ctx, [
        ...Array.from({ length: 290 }, (_, i) => ({ action: "document.updated", actorId: `u${i % 7}`, resourceType: "documents", resourceId: `d${i}` })),
        ...Array.from({ length: 10 }, () => ({ action: "security.breach", severity: "critical" as const })),
      ]),
    );
    vi.setSystemTime(start + 100 * DAY);
    const deleted: number[] = [];
    for (let call = 0; call < 12; call++) {
      deleted.push(await t.run((ctx) => auditLog.cleanup(ctx, { olderThanDays: 90, preserveSeverity: ["critical"], batchSize: 100 })));
    }
    // 100 rows read per call: the first three calls delete the 290, then the sweep finds nothing more.
    expect(deleted.reduce((a, b) => a + b, 0)).toBe(290);
    expect(deleted[0]).toBeGreaterThan(0);
    expect((await remaining(t)).map((e) => e.action)).toEqual(Array(10).fill("security.breach"));
    // Every deleted event was counted before it went.
    const stats = await t.run((ctx) => auditLog.getStats(ctx, { fromTimestamp: start, toTimestamp: start + 1000 }));
    expect(stats.totalCount).toBe(300);
    expect(stats.bySeverity.critical).toBe(10);
  });

  test("small batches: cleanupBatch until isDone, and the README's call repeated, both delete everything expired", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const t = initConvexTest();
    await seed(t);
    let cursor: string | null = null;
    let deleted = 0;
    for (let i = 0; i < 100; i++) {
      const c: string | null = cursor;
      const r: CleanupBatchResult = await t.run((ctx) =>
        auditLog.cleanupBatch(ctx, {
          olderThanDays: 90,
          preserveSeverity: ["critical"],
          batchSize: 7,
          cursor: c,
        }),
      );
      deleted += r.deleted;
      if (r.isDone) break;
      cursor = r.continueCursor;
    }
    expect(deleted).toBe(30);

    const t2 = initConvexTest();
    await seed(t2);
    const counts: number[] = [];
    for (let i = 0; i < 6; i++)
      counts.push(
        await t2.run((ctx) =>
          auditLog.cleanup(ctx, { olderThanDays: 90, batchSize: 7 }),
        ),
      );
    // Critical events are not preserved this time: 35 expired, 7 per call, then a new sweep finds nothing.
    expect(counts).toEqual([7, 7, 7, 7, 7, 0]);
  });

  test("policies, legal holds and a background run, with who did it on the record", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = initConvexTest();
    await seed(t);
    const admin = t.withIdentity({ subject: "admin_1" });
    await admin.run((ctx) =>
      auditLog.setRetentionPolicy(ctx, { category: "data", days: 120 }),
    );
    await admin.run((ctx) => auditLog.setRetentionPolicy(ctx, { days: 30 }));
    expect(await t.run((ctx) => auditLog.getRetentionPolicies(ctx))).toEqual({
      defaultDays: 30,
      categories: [{ category: "data", days: 120 }],
      actions: [],
    });
    const holdId = await admin.run((ctx) =>
      auditLog.placeHold(ctx, { tenantId: "org1", reason: "Case 2026-17" }),
    );
    const holds = await t.run((ctx) =>
      auditLog.listHolds(ctx, {
        paginationOpts: { numItems: 10, cursor: null },
      }),
    );
    expect(holds.page).toMatchObject([
      {
        _id: holdId,
        tenantId: "org1",
        reason: "Case 2026-17",
        placedBy: "admin_1",
        active: true,
      },
    ]);

    // Policies only (no olderThanDays): data events are kept 120 days, so of the
    // info events 100–129 days old, i = 21..29 expire; org1's (even i) are held.
    const { runId } = await t.run((ctx) =>
      auditLog.startCleanup(ctx, { batchSize: 4 }),
    );
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(
      await t.run((ctx) => auditLog.getCleanupRun(ctx, { runId })),
    ).toMatchObject({ status: "done", deleted: 5 });

    // 110 days for data, and the hold released: i = 11..29 expire, 14 of them still there.
    await admin.run((ctx) =>
      auditLog.setRetentionPolicy(ctx, { category: "data", days: 110 }),
    );
    expect(
      await admin.run((ctx) => auditLog.releaseHold(ctx, { holdId })),
    ).toBe(true);
    const second = await t.run((ctx) =>
      auditLog.startCleanup(ctx, { batchSize: 4 }),
    );
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(
      await t.run((ctx) => auditLog.getCleanupRun(ctx, second)),
    ).toMatchObject({ status: "done", deleted: 14 });
    // Left: info i = 0..10, the 5 critical (100–104 days old) and the 5 recent sign-ins.
    expect((await remaining(t)).length).toBe(11 + 5 + 5);

    const trail = await t.run((ctx) =>
      ctx.runQuery(components.auditLog.queries.watchCritical, {
        severity: ["info", "warning"],
        limit: 50,
      }),
    );
    const actions = trail.map((e) => [e.action, e.actorId ?? null]);
    expect(actions).toEqual(
      expect.arrayContaining([
        ["audit.retention.policy_set", "admin_1"],
        ["audit.hold.placed", "admin_1"],
        ["audit.hold.released", "admin_1"],
        ["audit.retention.run", null],
      ]),
    );
    const runs = await t.run((ctx) =>
      auditLog.listCleanupRuns(ctx, {
        paginationOpts: { numItems: 10, cursor: null },
      }),
    );
    expect(runs.page.map((r) => [r.status, r.deleted])).toEqual([
      ["done", 14],
      ["done", 5],
    ]);
  });

  test("bad input through the client is a typed error", async () => {
    const t = initConvexTest();
    await expectCode(
      t.run((ctx) => auditLog.cleanup(ctx, { olderThanDays: 0 })),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.run((ctx) =>
        auditLog.cleanup(ctx, { olderThanDays: 90, batchSize: 100_000 }),
      ),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.run((ctx) =>
        auditLog.cleanup(ctx, {
          olderThanDays: 90,
          preserveSeverity: ["fatal" as never],
        }),
      ),
      "INVALID_SEVERITY",
    );
    await expectCode(
      t.run((ctx) => auditLog.placeHold(ctx, {} as never)),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.run((ctx) =>
        auditLog.setRetentionPolicy(ctx, {
          category: "everything" as never,
          days: 30,
        }),
      ),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.run((ctx) =>
        auditLog.cleanupBatch(ctx, { olderThanDays: 90, cursor: "m1.e30=" }),
      ),
      "INVALID_CURSOR",
    );
  });
});
