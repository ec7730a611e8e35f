/**
 * What a plain user's reads cost (item 5): each is an index range of the
 * user's own events, so the documents read follow the rows returned, never
 * the size of the log or of the resource's shared history. 2,000 events by
 * 40 users on 5 documents; "ada" has 50 of them.
 */
import { describe, expect, test } from "vitest";
import { components } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";

const T0 = Date.UTC(2026, 2, 1);
const SEVERITIES = ["info", "warning", "error", "critical"] as const;

async function seed() {
  const t = initConvexTest();
  for (let batch = 0; batch < 4; batch++) {
    const events = Array.from({ length: 500 }, (_, j) => {
      const i = batch * 500 + j;
      return {
        action: "document.updated",
        actorId: i % 40 === 0 ? "ada" : `user_${i % 40}`,
        resourceType: "documents",
        resourceId: `doc_${i % 5}`,
        severity: SEVERITIES[i % 4],
        timestamp: T0 + i * 1000,
      };
    });
    await t.mutation(components.auditLog.log.logBulk, { events });
  }
  // The cursor key exists, as it does a minute after deployment (the cron's first tick makes it).
  await t.mutation(components.auditLog.stats.rollup, {});
  return t;
}

async function reads<R>(t: Awaited<ReturnType<typeof seed>>, f: (ctx: never) => Promise<R>) {
  return await t.run(async (ctx) => {
    const m0 = await ctx.meta.getTransactionMetrics();
    const result = await f(ctx as never);
    const m1 = await ctx.meta.getTransactionMetrics();
    return { result, read: m1.documentsRead.used - m0.documentsRead.used };
  });
}

describe("a plain user's reads read her own events only", () => {
  test("her events on a shared document: rows + 1 (the cursor key); her critical events: rows + 1 per severity; her statistics: her events in the window", async () => {
    const t = await seed();
    type Ctx = { runQuery: (f: unknown, a: unknown) => Promise<unknown> };
    const history = await reads(t, (ctx: Ctx) =>
      ctx.runQuery(components.auditLog.queries.queryByResource, { resourceType: "documents", resourceId: "doc_0", actorId: "ada", paginationOpts: { numItems: 20, cursor: null } }),
    );
    const page = (history.result as { page: Array<{ actorId: string }> }).page;
    expect(page).toHaveLength(20);
    expect(page.every((e) => e.actorId === "ada")).toBe(true);
    // doc_0 has 400 events by 8 users; she reads her 20 and the cursor key.
    expect(history.read).toBe(21);

    const critical = await reads(t, (ctx: Ctx) => ctx.runQuery(components.auditLog.queries.watchCritical, { actorId: "ada", severity: ["info", "error"], limit: 10 }));
    expect((critical.result as Array<{ actorId: string }>).every((e) => e.actorId === "ada")).toBe(true);
    // Her events are all "info" here: the "error" range is empty, and no look-ahead is needed past the limit.
    expect(critical.read).toBeGreaterThanOrEqual(10);
    expect(critical.read).toBeLessThanOrEqual(12);

    const stats = await reads(t, (ctx: Ctx) => ctx.runQuery(components.auditLog.stats.getStats, { actorId: "ada", fromTimestamp: T0, toTimestamp: T0 + 1_000_000 }));
    // Her events at T0, T0 + 40 s … T0 + 1,000 s: 26, each read once.
    expect((stats.result as { totalCount: number }).totalCount).toBe(26);
    expect(stats.read).toBe(26);
  });

  test("a user with more than 10,000 events in the window gets WINDOW_TOO_LARGE, not a read-limit failure", async () => {
    const t = initConvexTest();
    for (let batch = 0; batch < 21; batch++) {
      await t.mutation(components.auditLog.log.logBulk, {
        events: Array.from({ length: 500 }, (_, j) => ({ action: "x", actorId: "busy", timestamp: T0 + batch * 500 + j })),
      });
    }
    const e = await t.run((ctx) => ctx.runQuery(components.auditLog.stats.getStats, { actorId: "busy", fromTimestamp: T0 })).catch((x: { data?: { code: string } }) => x.data?.code);
    expect(e).toBe("WINDOW_TOO_LARGE");
  });
});
