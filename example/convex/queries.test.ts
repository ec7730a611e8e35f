import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { ConvexError } from "convex/values";
import { isAuditLogError, type AuditEvent } from "convex-audit-log";
import { components } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";

type T = ReturnType<typeof initConvexTest>;
type Seeded = { id: string; seq: number; actorId: string; action: string; tenantId?: string; resourceId: string; timestamp: number; severity: string };

const ACTORS = ["alice", "bob", "carol"];
const ACTIONS = ["user.login", "user.logout", "record.updated", "record.deleted"];
const TENANTS = [undefined, "org1", "org2"];
const SEVERITIES = ["info", "warning", "error", "critical"] as const;

/** Seeds events whose timestamps collide often, and returns the model rows in insertion order. */
async function seed(t: T, rows: Array<{ a: number; x: number; tn: number; r: number; ts: number; s: number }>) {
  const events = rows.map((r) => ({
    action: ACTIONS[r.x],
    actorId: ACTORS[r.a],
    tenantId: TENANTS[r.tn],
    resourceType: "records",
    resourceId: `r${r.r}`,
    severity: SEVERITIES[r.s],
    timestamp: 1_700_000_000_000 + r.ts * 1000,
  }));
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 100) {
    ids.push(...(await t.run((ctx) => auditLog.logBulk(ctx, events.slice(i, i + 100)))));
  }
  return events.map((e, seq): Seeded => ({ ...e, id: ids[seq], seq }));
}

/** The model: newest first by (timestamp, insertion order). */
const newestFirst = (rows: Seeded[]) => [...rows].sort((a, b) => b.timestamp - a.timestamp || b.seq - a.seq);

async function walk(
  t: T,
  fetch: (cursor: string | null) => Promise<{ page: AuditEvent[]; isDone: boolean; continueCursor: string }>,
) {
  const ids: string[] = [];
  let cursor: string | null = null;
  for (let guard = 0; guard < 1000; guard++) {
    const res = await fetch(cursor);
    ids.push(...res.page.map((e) => e._id));
    if (res.isDone) return ids;
    cursor = res.continueCursor;
  }
  throw new Error("pagination did not finish");
}

async function readsOf<R>(t: T, fn: (ctx: Parameters<Parameters<T["run"]>[0]>[0]) => Promise<R>) {
  return await t.run(async (ctx) => {
    const m0 = await ctx.meta.getTransactionMetrics();
    const result = await fn(ctx);
    const m1 = await ctx.meta.getTransactionMetrics();
    return { result, read: m1.documentsRead.used - m0.documentsRead.used };
  });
}

const rowArb = fc.record({
  a: fc.integer({ min: 0, max: ACTORS.length - 1 }),
  x: fc.integer({ min: 0, max: ACTIONS.length - 1 }),
  tn: fc.integer({ min: 0, max: TENANTS.length - 1 }),
  r: fc.integer({ min: 0, max: 3 }),
  ts: fc.integer({ min: 0, max: 12 }),
  s: fc.integer({ min: 0, max: 3 }),
});

describe("queries are complete, ordered and exact against a model", () => {
  test("paging through every query shape returns each matching event once", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 20, maxLength: 120 }),
        fc.integer({ min: 1, max: 17 }),
        fc.record({
          actor: fc.integer({ min: 0, max: ACTORS.length - 1 }),
          actions: fc.subarray(ACTIONS, { minLength: 1 }),
          tenant: fc.integer({ min: 0, max: TENANTS.length - 1 }),
          resource: fc.integer({ min: 0, max: 3 }),
          from: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
          span: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        }),
        async (rows, numItems, q) => {
          const t = initConvexTest();
          const model = await seed(t, rows);
          const base = 1_700_000_000_000;
          const fromTimestamp = q.from === undefined ? undefined : base + q.from * 1000;
          const toTimestamp = q.span === undefined ? undefined : base + ((q.from ?? 0) + q.span) * 1000;
          const inWindow = (e: Seeded) =>
            (fromTimestamp === undefined || e.timestamp >= fromTimestamp) && (toTimestamp === undefined || e.timestamp <= toTimestamp);
          const tenantId = TENANTS[q.tenant];
          const actorId = ACTORS[q.actor];
          const resourceId = `r${q.resource}`;
          const window = { fromTimestamp, toTimestamp };

          const byActor = await walk(t, (cursor) =>
            t.run((ctx) => auditLog.queryByActor(ctx, { actorId, actions: q.actions, ...window, paginationOpts: { numItems, cursor } })),
          );
          expect(byActor).toEqual(
            newestFirst(model.filter((e) => e.actorId === actorId && q.actions.includes(e.action) && inWindow(e))).map((e) => e.id),
          );

          const byResource = await walk(t, (cursor) =>
            t.run((ctx) =>
              auditLog.queryByResource(ctx, {
                resourceType: "records",
                resourceId,
                tenantId,
                ...window,
                paginationOpts: { numItems, cursor },
              }),
            ),
          );
          // With tenantId undefined the query spans every tenant.
          expect(byResource).toEqual(
            newestFirst(
              model.filter((e) => e.resourceId === resourceId && (tenantId === undefined || e.tenantId === tenantId) && inWindow(e)),
            ).map((e) => e.id),
          );

          if (tenantId !== undefined) {
            const byTenant = await walk(t, (cursor) =>
              t.run((ctx) => auditLog.queryByTenant(ctx, { tenantId, ...window, paginationOpts: { numItems, cursor } })),
            );
            expect(byTenant).toEqual(newestFirst(model.filter((e) => e.tenantId === tenantId && inWindow(e))).map((e) => e.id));
            const tenantActor = await walk(t, (cursor) =>
              t.run((ctx) =>
                auditLog.queryByActor(ctx, { actorId, tenantId, actions: q.actions, ...window, paginationOpts: { numItems, cursor } }),
              ),
            );
            expect(tenantActor).toEqual(
              newestFirst(
                model.filter((e) => e.actorId === actorId && e.tenantId === tenantId && q.actions.includes(e.action) && inWindow(e)),
              ).map((e) => e.id),
            );
          }

          const critical = await t.run((ctx) => auditLog.watchCritical(ctx, { severity: ["error", "critical"], limit: numItems }));
          expect(critical.map((e) => e._id)).toEqual(
            newestFirst(model.filter((e) => e.severity === "error" || e.severity === "critical")).slice(0, numItems).map((e) => e.id),
          );
        },
      ),
      { numRuns: 25 },
    );
  });
});

describe("reads grow with rows returned, not with the log", () => {
  test("one index range reads exactly its rows; a merge of k ranges reads at most rows + k", async () => {
    const t = initConvexTest();
    const rows = Array.from({ length: 600 }, (_, i) => ({ a: i % 3, x: i % 4, tn: i % 3, r: i % 4, ts: i % 50, s: i % 4 }));
    await seed(t, rows);
    const single = await readsOf(t, (ctx) => auditLog.queryByActor(ctx, { actorId: "alice", limit: 25 }));
    expect(single.result).toHaveLength(25);
    expect(single.read).toBe(25);
    const merged = await readsOf(t, (ctx) =>
      auditLog.queryByActor(ctx, { actorId: "alice", actions: ["user.login", "user.logout"], limit: 25 }),
    );
    expect(merged.result).toHaveLength(25);
    expect(merged.read).toBeLessThanOrEqual(25 + 2);
    const watch = await readsOf(t, (ctx) => auditLog.watchCritical(ctx, { severity: ["warning", "error", "critical"], limit: 20 }));
    expect(watch.result).toHaveLength(20);
    expect(watch.read).toBeLessThanOrEqual(20 + 3);
    const got = await readsOf(t, (ctx) => auditLog.get(ctx, { id: watch.result[0]._id }));
    expect(got.read).toBe(1);
  });
});

describe("tenant isolation", () => {
  test("tenant-scoped reads never return another tenant's events", async () => {
    const t = initConvexTest();
    const [mine] = await t.run((ctx) => auditLog.logBulk(ctx, [{ action: "record.viewed", tenantId: "org1", actorId: "u", resourceType: "records", resourceId: "shared" }]));
    const [theirs] = await t.run((ctx) => auditLog.logBulk(ctx, [{ action: "record.viewed", tenantId: "org2", actorId: "u", resourceType: "records", resourceId: "shared" }]));
    expect(await t.run((ctx) => auditLog.get(ctx, { id: theirs, tenantId: "org1" }))).toBeNull();
    expect((await t.run((ctx) => auditLog.get(ctx, { id: mine, tenantId: "org1" })))?._id).toBe(mine);
    const r = await t.run((ctx) => auditLog.queryByResource(ctx, { resourceType: "records", resourceId: "shared", tenantId: "org1" }));
    expect(r.map((e) => e._id)).toEqual([mine]);
    const a = await t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "u", tenantId: "org1" }));
    expect(a.map((e) => e._id)).toEqual([mine]);
  });

  test("ids that are not event ids read as missing", async () => {
    const t = initConvexTest();
    const docId = await t.run((ctx) => ctx.db.insert("documents", { title: "t", body: "b" }));
    for (const id of [docId, "", "not-an-id", "x".repeat(5000)]) {
      expect(await t.run((ctx) => auditLog.get(ctx, { id }))).toBeNull();
    }
  });
});

describe("bad query input gets a typed error", () => {
  async function code(p: Promise<unknown>) {
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ConvexError);
    expect(isAuditLogError(e)).toBe(true);
    return (e as ConvexError<{ code: string }>).data.code;
  }

  test("windows, limits and cursors", async () => {
    const t = initConvexTest();
    await t.run((ctx) => auditLog.logBulk(ctx, Array.from({ length: 5 }, () => ({ action: "user.login", actorId: "a" }))));
    const q = components.auditLog.queries;
    const po = (numItems: number, cursor: string | null = null) => ({ numItems, cursor });
    expect(await code(t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "a", fromTimestamp: 10, toTimestamp: 5 })))).toBe("INVALID_ARGUMENT");
    expect(await code(t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "a", limit: 0 })))).toBe("INVALID_ARGUMENT");
    expect(await code(t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "a", limit: -5 })))).toBe("INVALID_ARGUMENT");
    expect(await code(t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "a", limit: 1e9 })))).toBe("INVALID_ARGUMENT");
    expect(await code(t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "a", limit: 2.5 })))).toBe("INVALID_ARGUMENT");
    expect(await code(t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "a", actions: [] })))).toBe("INVALID_ARGUMENT");
    expect(await code(t.run((ctx) => auditLog.watchCritical(ctx, { severity: ["panic" as never] })))).toBe("INVALID_SEVERITY");
    expect(await code(t.run((ctx) => auditLog.watchCritical(ctx, { limit: 100_000 })))).toBe("INVALID_ARGUMENT");

    const merged = await t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", actions: ["user.login", "user.logout"], paginationOpts: po(2) }));
    const other = await t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "b", actions: ["user.login", "user.logout"], paginationOpts: po(2) }));
    // A cursor from another query, or from another shape, is refused rather than misread.
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", actions: ["user.login", "record.viewed"], paginationOpts: po(2, merged.continueCursor) })))).toBe("INVALID_CURSOR");
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", paginationOpts: po(2, merged.continueCursor) })))).toBe("INVALID_CURSOR");
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", actions: ["user.login", "user.logout"], paginationOpts: po(2, other.continueCursor) })))).toBe("INVALID_CURSOR");
    // Single-range queries wrap Convex's cursor: another query's, or an altered one, is refused too.
    const single = await t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", paginationOpts: po(2) }));
    const singleOther = await t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "b", paginationOpts: po(2) }));
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", paginationOpts: po(2, singleOther.continueCursor) })))).toBe("INVALID_CURSOR");
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByTenant, { tenantId: "t", paginationOpts: po(2, single.continueCursor) })))).toBe("INVALID_CURSOR");
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", fromTimestamp: 0, paginationOpts: po(2, single.continueCursor) })))).toBe("INVALID_CURSOR");
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", paginationOpts: po(2, single.continueCursor.slice(0, -5) + "zz\\\"") })))).toBe("INVALID_CURSOR");
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", paginationOpts: po(2, "garbage") })))).toBe("INVALID_CURSOR");
    const next = await t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", paginationOpts: po(2, single.continueCursor) }));
    expect(next.page).toHaveLength(2);
    const tampered = merged.continueCursor.slice(0, -4) + "AAAA";
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", actions: ["user.login", "user.logout"], paginationOpts: po(2, tampered) })))).toBe("INVALID_CURSOR");
    expect(await code(t.run((ctx) => ctx.runQuery(q.queryByActor, { actorId: "a", actions: ["user.login", "user.logout"], paginationOpts: po(2, "garbage") })))).toBe("INVALID_CURSOR");
  });

  test("endCursor pins a merged page's end, as usePaginatedQuery's page splits need", async () => {
    const t = initConvexTest();
    await t.run((ctx) =>
      auditLog.logBulk(ctx, Array.from({ length: 9 }, (_, i) => ({ action: i % 2 ? "user.login" : "user.logout", actorId: "a" }))),
    );
    const q = components.auditLog.queries.queryByActor;
    const args = { actorId: "a", actions: ["user.login", "user.logout"] };
    const first = await t.run((ctx) => ctx.runQuery(q, { ...args, paginationOpts: { numItems: 4, cursor: null } }));
    await t.run((ctx) => auditLog.log(ctx, { action: "user.login", actorId: "a" }));
    const rerun = await t.run((ctx) =>
      ctx.runQuery(q, { ...args, paginationOpts: { numItems: 4, cursor: null, endCursor: first.continueCursor } }),
    );
    // The new event joins the page; the page still ends where it ended.
    expect(rerun.page).toHaveLength(5);
    expect(rerun.page.slice(1).map((e) => e._id)).toEqual(first.page.map((e) => e._id));
    expect(rerun.continueCursor).toBe(first.continueCursor);
  });
});

describe("search text", () => {
  test("is built from routing fields and tags, never from redacted payloads", async () => {
    const t = initConvexTest();
    const id = await t.run((ctx) =>
      auditLog.log(ctx, {
        action: "user.password.changed",
        actorId: "u7",
        resourceType: "users",
        resourceId: "u7",
        summary: "Password rotated",
        tags: ["security", "self-service"],
        metadata: { password: "hunter2", email: "u7@example.com" },
      }),
    );
    const event = await t.run((ctx) => auditLog.get(ctx, { id }));
    expect(event?.searchText).toBe("user.password.changed Password rotated users u7 u7 tag:security tag:self-service");
  });
});
