import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { ConvexError } from "convex/values";
import type { SearchFilters } from "convex-audit-log";
import { components } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";
import { modelMatch, newestFirst, type ModelRow } from "../../test/support/filterModel";

type T = ReturnType<typeof initConvexTest>;
const ACTORS = ["alice", "bob", "carol", "dave"];
const ACTIONS = ["user.login", "user.login.failed", "record.updated", "record.deleted", "invoice.paid"];
const TENANTS = [undefined, "org1", "org2"];
const SEVERITIES = ["info", "warning", "error", "critical"] as const;
const TAGS = ["security", "billing", "rare"];
const BASE = 1_700_000_000_000;

type Row = ModelRow & { id: string };

const rowArb = fc.record({
  a: fc.integer({ min: -1, max: ACTORS.length - 1 }),
  x: fc.integer({ min: 0, max: ACTIONS.length - 1 }),
  tn: fc.integer({ min: 0, max: TENANTS.length - 1 }),
  r: fc.integer({ min: 0, max: 2 }),
  s: fc.integer({ min: 0, max: 3 }),
  fail: fc.boolean(),
  tags: fc.subarray(TAGS),
  ts: fc.integer({ min: 0, max: 20 }),
});

async function seed(t: T, rows: fc.Arbitrary<unknown> extends never ? never : Array<{ a: number; x: number; tn: number; r: number; s: number; fail: boolean; tags: string[]; ts: number }>) {
  const events = rows.map((r) => ({
    action: ACTIONS[r.x],
    actorId: r.a >= 0 ? ACTORS[r.a] : undefined,
    tenantId: TENANTS[r.tn],
    resourceType: "records",
    resourceId: `r${r.r}`,
    severity: SEVERITIES[r.s],
    status: r.fail ? ("failure" as const) : ("success" as const),
    category: r.x >= 3 ? ("data" as const) : ("auth" as const),
    tags: r.tags,
    timestamp: BASE + r.ts * 1000,
  }));
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 100) ids.push(...(await t.run((ctx) => auditLog.logBulk(ctx, events.slice(i, i + 100)))));
  return events.map((e, seq): Row => ({ ...e, id: ids[seq], seq }));
}


const filterParts = {
  severity: fc.subarray([...SEVERITIES], { minLength: 1 }),
  actions: fc.subarray(ACTIONS, { minLength: 1 }),
  tags: fc.subarray(TAGS, { minLength: 1, maxLength: 2 }),
  actorIds: fc.subarray(ACTORS, { minLength: 1 }),
  resourceType: fc.constant("records"),
  tenantId: fc.constantFrom("org1", "org2"),
  status: fc.constantFrom("success", "failure"),
  category: fc.constantFrom("auth", "data"),
  fromTimestamp: fc.integer({ min: 0, max: 15 }).map((s) => BASE + s * 1000),
  toTimestamp: fc.integer({ min: 8, max: 20 }).map((s) => BASE + s * 1000),
  resourceId: fc.integer({ min: 0, max: 2 }).map((r) => `r${r}`),
};
type PartKey = keyof typeof filterParts;
/** Up to three filters at once, so that most combinations still match something. */
const filtersArb: fc.Arbitrary<SearchFilters> = fc
  .subarray(Object.keys(filterParts) as PartKey[], { maxLength: 3 })
  .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, filterParts[k]])) as { [K in PartKey]: typeof filterParts[K] }))
  .map((f) => {
    const out = { ...f } as SearchFilters;
    if (out.resourceId !== undefined) out.resourceType = "records";
    if (out.fromTimestamp !== undefined && out.toTimestamp !== undefined && out.fromTimestamp > out.toTimestamp) delete out.toTimestamp;
    return out;
  });

const stats = { runs: 0, rows: 0, matched: 0 };
describe("search is complete and exact against a model", () => {
  test("random filter combinations, paged with small pages and small scan budgets", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 30, maxLength: 150 }),
        filtersArb,
        fc.integer({ min: 1, max: 9 }),
        fc.option(fc.integer({ min: 9, max: 40 }), { nil: undefined }),
        async (rows, filters, limit, budget) => {
          const t = initConvexTest();
          const model = await seed(t, rows);
          const expected = newestFirst(model.filter((r) => modelMatch(r, filters))).map((r) => r.id);
          const got: string[] = [];
          let cursor: string | null = null;
          for (let i = 0; i < 500; i++) {
            const res = await t.run((ctx) =>
              auditLog.search(ctx, { filters, pagination: { limit, cursor }, scanBudget: budget === undefined ? undefined : Math.max(budget, limit) }),
            );
            expect(res.page.length).toBeLessThanOrEqual(limit);
            got.push(...res.page.map((e) => e._id));
            if (res.isDone) break;
            cursor = res.continueCursor;
          }
          expect(got).toEqual(expected);
          stats.runs++;
          stats.rows += model.length;
          stats.matched += expected.length;
        },
      ),
      { numRuns: 40 },
    );
    // Guards the generators: a property over empty results would prove nothing.
    expect(stats.matched).toBeGreaterThan(200);
  });
});

describe("plans and costs", () => {
  async function seedMany(t: T) {
    const events = Array.from({ length: 900 }, (_, i) => ({
      action: ACTIONS[i % 5],
      actorId: ACTORS[i % 4],
      tenantId: TENANTS[i % 3],
      severity: SEVERITIES[i % 7 === 0 ? 3 : i % 5 === 0 ? 2 : i % 3 === 0 ? 1 : 0],
      status: i % 11 === 0 ? ("failure" as const) : ("success" as const),
      tags: i % 97 === 0 ? ["rare"] : ["common"],
      timestamp: BASE + i * 1000,
    }));
    for (let i = 0; i < events.length; i += 300) await t.run((ctx) => auditLog.logBulk(ctx, events.slice(i, i + 300)));
  }

  test("index-covered searches read at most 1.5 × rows + 10 per page", async () => {
    const t = initConvexTest();
    await seedMany(t);
    const covered: SearchFilters[] = [
      { severity: ["warning", "error", "critical"], actions: ["user.login.failed"] },
      { actorIds: ["alice", "bob"], actions: ["user.login", "record.updated"] },
      { tenantId: "org1", severity: ["error", "critical"] },
      { status: "failure" },
      { tenantId: "org2", actions: ["invoice.paid"], fromTimestamp: BASE + 100_000, toTimestamp: BASE + 700_000 },
    ];
    for (const filters of covered) {
      const res = await t.run(async (ctx) => {
        const m0 = await ctx.meta.getTransactionMetrics();
        const r = await auditLog.search(ctx, { filters, pagination: { limit: 20 } });
        const m1 = await ctx.meta.getTransactionMetrics();
        return { r, read: m1.documentsRead.used - m0.documentsRead.used };
      });
      if (!(filters.severity && filters.actions)) expect(res.r.plan.covered, JSON.stringify(filters)).toBe(true);
      expect(res.r.page.length).toBeGreaterThan(0);
      if (res.r.plan.covered) expect(res.read, JSON.stringify(filters)).toBeLessThanOrEqual(1.5 * res.r.page.length + 10);
    }
  });

  test("a rare tag no index covers: each page stops at its scan budget, and paging finds every match", async () => {
    const t = initConvexTest();
    await seedMany(t);
    let cursor: string | null = null;
    const found: string[] = [];
    let pages = 0;
    for (;;) {
      const res = await t.run(async (ctx) => {
        const m0 = await ctx.meta.getTransactionMetrics();
        const r = await auditLog.search(ctx, { filters: { tags: ["rare"] }, pagination: { limit: 5, cursor }, scanBudget: 100 });
        const m1 = await ctx.meta.getTransactionMetrics();
        return { r, read: m1.documentsRead.used - m0.documentsRead.used };
      });
      pages++;
      expect(res.read).toBeLessThanOrEqual(100);
      expect(res.r.plan).toEqual({ index: "by_timestamp", ranges: 1, covered: false });
      found.push(...res.r.page.map((e) => e.tags?.[0] ?? ""));
      if (res.r.isDone) break;
      cursor = res.r.continueCursor;
    }
    expect(found).toEqual(Array(10).fill("rare")); // i = 0, 97, ..., 873
    expect(pages).toBeGreaterThanOrEqual(9);
  });

  test("the README's call, as written", async () => {
    const t = initConvexTest();
    await t.run((ctx) =>
      auditLog.logBulk(ctx, [
        { action: "user.login.failed", severity: "warning", tags: ["security"], actorId: "x" },
        { action: "user.login.failed", severity: "info", tags: ["security"], actorId: "x" },
        { action: "user.login.failed", severity: "critical", tags: ["other"], actorId: "x" },
        { action: "user.login", severity: "error", tags: ["security"], actorId: "x" },
      ]),
    );
    const results = await t.run((ctx) =>
      auditLog.search(ctx, {
        filters: {
          severity: ["warning", "error", "critical"],
          actions: ["user.login.failed"],
          fromTimestamp: Date.now() - 24 * 60 * 60 * 1000,
          tags: ["security"],
        },
        pagination: { limit: 100 },
      }),
    );
    expect(results.page.map((e) => [e.severity, e.tags])).toEqual([["warning", ["security"]]]);
    expect(results.isDone).toBe(true);
  });

  test("free-text query finds words in summary, action and tags, within a tenant", async () => {
    const t = initConvexTest();
    await t.run((ctx) =>
      auditLog.logBulk(ctx, [
        { action: "invoice.paid", tenantId: "org1", summary: "Invoice 42 paid by card" },
        { action: "invoice.paid", tenantId: "org2", summary: "Invoice 43 paid by card" },
        { action: "user.login", tenantId: "org1", summary: "Signed in", metadata: { note: "invoice" } },
      ]),
    );
    const res = await t.run((ctx) => auditLog.search(ctx, { filters: { query: "invoice", tenantId: "org1" } }));
    expect(res.page.map((e) => e.summary)).toEqual(["Invoice 42 paid by card"]);
    expect(res.plan.index).toBe("search_text");
  });
});

describe("bad search input", () => {
  const code = async (p: Promise<unknown>) => {
    const e = await p.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ConvexError);
    return (e as ConvexError<{ code: string }>).data.code;
  };
  test("typed errors", async () => {
    const t = initConvexTest();
    const s = (filters: SearchFilters, extra: { limit?: number; cursor?: string | null; scanBudget?: number } = {}) =>
      t.run((ctx) => auditLog.search(ctx, { filters, pagination: { limit: extra.limit, cursor: extra.cursor }, scanBudget: extra.scanBudget }));
    expect(await code(s({ fromTimestamp: 10, toTimestamp: 1 }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({ severity: ["loud"] }))).toBe("INVALID_SEVERITY");
    expect(await code(s({ severity: [] }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({ status: "meh" }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({ category: "finance" }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({ actions: Array.from({ length: 51 }, (_, i) => `a${i}`) }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({ resourceId: "r1" }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({ query: " " }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({}, { limit: 0 }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({}, { limit: 5000 }))).toBe("INVALID_ARGUMENT");
    expect(await code(s({}, { scanBudget: 10 ** 9 }))).toBe("INVALID_ARGUMENT");
    const page = await t.run((ctx) => ctx.runQuery(components.auditLog.search.search, { filters: { actorIds: ["a"] }, paginationOpts: { numItems: 1, cursor: null } }));
    expect(await code(s({ actorIds: ["b"] }, { cursor: page.continueCursor }))).toBe("INVALID_CURSOR");
    expect(await code(s({ actorIds: ["a"] }, { cursor: "m1.garbage" }))).toBe("INVALID_CURSOR");
    expect(await code(s({ query: "x" }, { cursor: page.continueCursor }))).toBe("INVALID_CURSOR");
  });
});
