/// <reference types="vite/client" />
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest, type T } from "./setup.test.js";
import { rollupBatch, STATS_LIMITS } from "./rollup.js";
import { getStatsHandler, rolledUpThrough } from "./statsRead.js";
import { MINUTE, TS_LIMIT, planSize, planWindow, type AuditStats } from "../shared/stats.js";
import { CATEGORIES, SEVERITIES, STATUSES } from "../shared/validators.js";
import { expectCode } from "../../test/support/errors.js";

const init = (): T => initConvexTest();

const T0 = Date.UTC(2025, 0, 1);
const TENANTS = [undefined, "t1", "t2"] as const;
// Ids with a separator-looking character and non-BMP text; control characters are refused in ids (checks.ts).
const ACTORS = [undefined, "alice", "bob", "carol", "dave", "erin", "a\u00a0b|😀", "ünï"] as const;
const ACTIONS = ["user.login", "user.login.failed", "record.viewed", "record.deleted", "zeta"] as const;

type Ev = {
  timestamp: number;
  severity: (typeof SEVERITIES)[number];
  category: (typeof CATEGORIES)[number];
  status: (typeof STATUSES)[number];
  action: string;
  actorId?: string;
  tenantId?: string;
};

/** The model: filter and count, nothing shared with the component but the tie-break rule. */
function model(evs: Ev[], from: number, to: number, tenant: string | undefined, k: number) {
  const rows = evs.filter((e) => e.timestamp >= from && e.timestamp <= to && (tenant === undefined || e.tenantId === tenant));
  const count = <K extends string>(names: readonly K[], f: (e: Ev) => string) =>
    Object.fromEntries(names.map((n) => [n, rows.filter((e) => f(e) === n).length]));
  const top = (f: (e: Ev) => string | undefined) => {
    const m = new Map<string, number>();
    for (const e of rows) {
      const key = f(e);
      if (key !== undefined) m.set(key, (m.get(key) ?? 0) + 1);
    }
    const sorted = [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return { top: sorted.slice(0, k), distinct: m.size };
  };
  const actions = top((e) => e.action);
  const actors = top((e) => e.actorId);
  return {
    totalCount: rows.length,
    bySeverity: count(SEVERITIES, (e) => e.severity),
    byCategory: count(CATEGORIES, (e) => e.category),
    byStatus: count(STATUSES, (e) => e.status),
    topActions: actions.top.map(([action, c]) => ({ action, count: c })),
    topActors: actors.top.map(([actorId, c]) => ({ actorId, count: c })),
    distinctActions: actions.distinct,
    distinctActors: actors.distinct,
  };
}

const strip = (s: AuditStats) => {
  const { fromTimestamp: _f, toTimestamp: _t, rolledUpThrough: _r, pendingEvents: _p, ...rest } = s;
  return rest;
};

async function logAll(t: T, evs: Ev[]) {
  for (let i = 0; i < evs.length; i += 200) {
    await t.mutation(api.log.logBulk, { events: evs.slice(i, i + 200) });
  }
}

async function statsWithReads(t: T, args: Parameters<typeof getStatsHandler>[1]) {
  return await t.run(async (ctx) => {
    const m0 = await ctx.meta.getTransactionMetrics();
    const result = await getStatsHandler(ctx, args);
    const m1 = await ctx.meta.getTransactionMetrics();
    return { result, read: m1.documentsRead.used - m0.documentsRead.used };
  });
}

/**
 * convex-test hands out `_creationTime`s a microsecond apart when inserts come
 * faster than the clock, so the newest may be just ahead of Date.now(): wait
 * past them before folding "everything" with settleMs 0.
 */
const settle = () => new Promise((r) => setTimeout(r, 5));

async function rollAll(t: T, maxEvents = 10_000) {
  await settle();
  for (let i = 0; i < 10_000; i++) {
    const r = await t.run((ctx) => rollupBatch(ctx, { maxEvents, settleMs: 0 }));
    if (r.caughtUp) return;
  }
  throw new Error("rollup did not catch up");
}

// Timestamps from one minute to a year apart, plus epoch, fractional and far-future ones,
// so windows cut through buckets of every level and through the overflow digest.
const tsArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 3 * MINUTE }) },
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 6 * 3600_000 }) },
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 60 * 86_400_000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 400 * 86_400_000 }) },
  { weight: 1, arbitrary: fc.constantFrom(-T0, -T0 + 1, TS_LIMIT - T0 - 0.5, TS_LIMIT - T0, TS_LIMIT - T0 + 9e12) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 3 * MINUTE }).map((x) => x + 0.25) },
);

const evArb = fc.record({
  ts: tsArb,
  s: fc.integer({ min: 0, max: 3 }),
  c: fc.integer({ min: 0, max: CATEGORIES.length - 1 }),
  st: fc.integer({ min: 0, max: 1 }),
  x: fc.integer({ min: 0, max: ACTIONS.length - 1 }),
  a: fc.integer({ min: 0, max: ACTORS.length - 1 }),
  tn: fc.integer({ min: 0, max: TENANTS.length - 1 }),
});
type EvRow = { ts: number; s: number; c: number; st: number; x: number; a: number; tn: number };
const toEv = (r: EvRow): Ev => {
  const e: Ev = {
    timestamp: T0 + r.ts,
    severity: SEVERITIES[r.s],
    category: CATEGORIES[r.c],
    status: STATUSES[r.st],
    action: ACTIONS[r.x],
  };
  const actor = ACTORS[r.a];
  const tenant = TENANTS[r.tn];
  if (actor !== undefined) e.actorId = actor;
  if (tenant !== undefined) e.tenantId = tenant;
  return e;
};

/** Window ends near events (±1 ms, minute edges), at random, or at the extremes. */
const edgeArb = (evs: Ev[]) =>
  fc.oneof(
    fc.constantFrom(...evs.map((e) => e.timestamp)).chain((ts) =>
      fc.constantFrom(ts, ts - 1, ts + 1, Math.floor(ts / MINUTE) * MINUTE, Math.floor(ts / MINUTE) * MINUTE + MINUTE - 1),
    ),
    fc.integer({ min: T0 - MINUTE, max: T0 + 401 * 86_400_000 }),
    fc.constantFrom(0, TS_LIMIT - 1, TS_LIMIT, 1e15),
  );

describe("window plans", () => {
  test("cover exactly the minutes of the window, at most 3 buckets per level per side", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 30 }), fc.integer({ min: 0, max: 2 ** 30 }), (a, b) => {
        const [from, to] = a <= b ? [a * 1000, b * 1000] : [b * 1000, a * 1000];
        const runs = planWindow(from, to);
        // Every minute touched by the window is covered once, and nothing else.
        const covered: Array<[number, number]> = runs.flatMap((r) => {
          const size = 4 ** r.level;
          expect(r.s0 % size).toBe(0);
          const out: Array<[number, number]> = [];
          for (let s = r.s0; s <= r.s1; s += size) out.push([s, s + size]);
          return out;
        });
        covered.sort((x, y) => x[0] - y[0]);
        const firstMinute = Math.floor(from / MINUTE);
        const lastMinute = Math.min(Math.floor(to / MINUTE), TS_LIMIT / MINUTE - 1);
        let at = firstMinute;
        for (const [s, e] of covered) {
          if (s >= TS_LIMIT / MINUTE) continue;
          expect(s).toBe(at);
          at = e;
        }
        expect(at).toBe(lastMinute + 1);
        for (const level of new Set(runs.map((r) => r.level))) {
          if (level === 9) continue;
          const n = runs.filter((r) => r.level === level).reduce((k, r) => k + (r.s1 - r.s0) / 4 ** level + 1, 0);
          expect(n).toBeLessThanOrEqual(level === 0 ? 8 : 6);
        }
      }),
    );
    expect(planSize(planWindow(0, 1e300))).toBeLessThanOrEqual(1024 + 60);
  });
});

describe("getStats is exact against a model", () => {
  test("random events (backfilled, far apart, fractional), rollups at random points, random windows", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(evArb, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 60 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 1, max: 25 }),
        fc.context(),
        async (batches, rollAfter, maxEvents, ctx) => {
          const t = init();
          const logged: Ev[] = [];
          for (let i = 0; i < batches.length; i++) {
            const evs = batches[i].map(toEv);
            await logAll(t, evs);
            logged.push(...evs);
            // Fold part of what is there: the rest stays in the tail.
            for (let j = 0; j < rollAfter[i] % 4; j++) await t.run((c) => rollupBatch(c, { maxEvents, settleMs: 0 }));
          }
          const windows = fc.sample(fc.tuple(edgeArb(logged), edgeArb(logged), fc.constantFrom(...TENANTS), fc.integer({ min: 1, max: 8 })), {
            numRuns: 6,
            seed: rollAfter[0],
          });
          const through = await t.run((c) => rolledUpThrough(c));
          for (const [a, b, tenant, k] of windows) {
            const [from, to] = a <= b ? [a, b] : [b, a];
            const { result, read } = await statsWithReads(t, { fromTimestamp: from, toTimestamp: to, tenantId: tenant, topK: k });
            ctx.log(JSON.stringify({ from, to, tenant, k, read, pending: result.pendingEvents }));
            expect(strip(result)).toEqual(model(logged, from, to, tenant, k));
            expect(result.rolledUpThrough).toBe(through);
            expect(read).toBeLessThanOrEqual(200 + result.pendingEvents);
          }
        },
      ),
      { numRuns: 25 },
    );
  });

  test("after a full rollup nothing is pending, and reads stay within 200 documents", async () => {
    const t = init();
    const evs: Ev[] = [];
    // A year of events, a few per day, so every level has buckets.
    for (let d = 0; d < 365; d += 2) {
      for (let j = 0; j < 3; j++) {
        evs.push({
          timestamp: T0 + d * 86_400_000 + j * 7_777_777 + d,
          severity: SEVERITIES[(d + j) % 4],
          category: CATEGORIES[d % 8],
          status: STATUSES[j % 2],
          action: ACTIONS[(d * 3 + j) % ACTIONS.length],
          actorId: `user${(d * 7 + j) % 40}`,
          tenantId: TENANTS[j % 3],
        });
      }
    }
    await logAll(t, evs);
    await rollAll(t, 500);
    for (const [from, to] of [
      [T0 + 12_345, T0 + 364 * 86_400_000 + 54_321],
      [T0 - 1e9, T0 + 2e10],
      [0, 1e15],
      [T0 + 100 * 86_400_000 + 1, T0 + 100 * 86_400_000 + 1],
    ]) {
      for (const tenant of TENANTS) {
        const { result, read } = await statsWithReads(t, { fromTimestamp: from, toTimestamp: to, tenantId: tenant });
        expect(result.pendingEvents).toBe(0);
        expect(strip(result)).toEqual(model(evs, from, to, tenant, 10));
        expect(read).toBeLessThanOrEqual(200);
      }
    }
  });

  test("thousands of distinct actors: maps split into parts, top-K still exact", async () => {
    const t = init();
    const evs: Ev[] = [];
    // 6,000 actors with 120-character ids in one hour: every level's actor map is
    // ~800 KB, more than one part, and one actor is a clear winner.
    for (let i = 0; i < 6000; i++) {
      const id = `actor-${String(i).padStart(5, "0")}-` + "x".repeat(108);
      evs.push({ timestamp: T0 + i * 500, severity: "info", category: "auth", status: "success", action: "user.login", actorId: id });
    }
    for (let i = 0; i < 30; i++) {
      evs.push({ timestamp: T0 + i * 1000 + 7, severity: "warning", category: "auth", status: "failure", action: "user.login.failed", actorId: "mallory" });
    }
    await logAll(t, evs);
    await rollAll(t, 2000);
    const parts = await t.run((ctx) => ctx.db.query("statParts").collect());
    expect(parts.length).toBeGreaterThan(0);
    const from = T0 + 1234;
    const to = T0 + 2900_000 + 17;
    const { result, read } = await statsWithReads(t, { fromTimestamp: from, toTimestamp: to, topK: 5 });
    expect(strip(result)).toEqual(model(evs, from, to, undefined, 5));
    expect(result.topActors[0]).toEqual({ actorId: "mallory", count: 28 });
    expect(read).toBeLessThanOrEqual(200);
  });

  test("a minute too busy for one digest document: parts, and a window cutting through it", async () => {
    const t = init();
    const evs: Ev[] = Array.from({ length: 2500 }, (_, i) => ({
      timestamp: T0 + 5 * MINUTE + i * 20,
      severity: SEVERITIES[i % 4],
      category: "data",
      status: STATUSES[i % 2],
      action: ACTIONS[i % ACTIONS.length],
      actorId: `actor-${i % 700}-` + "y".repeat(100),
      tenantId: TENANTS[i % 3],
    }));
    await logAll(t, evs);
    // Small batches: the digest grows inline, then splits into parts, then into more.
    await rollAll(t, 350);
    const digestParts = await t.run((ctx) => ctx.db.query("statParts").collect());
    expect(digestParts.some((p) => p.kind === "digest" && p.level === 0)).toBe(true);
    for (const tenant of TENANTS) {
      const from = T0 + 5 * MINUTE + 12_345;
      const to = T0 + 5 * MINUTE + 40_001;
      const { result, read } = await statsWithReads(t, { fromTimestamp: from, toTimestamp: to, tenantId: tenant, topK: 3 });
      expect(strip(result)).toEqual(model(evs, from, to, tenant, 3));
      expect(read).toBeLessThanOrEqual(200);
    }
  });

  test("events logged later with past timestamps (imports) are counted, then folded into old buckets", async () => {
    const t = init();
    const live: Ev[] = Array.from({ length: 50 }, (_, i) => ({
      timestamp: T0 + 40 * 86_400_000 + i * MINUTE,
      severity: "info",
      category: "data",
      status: "success",
      action: "record.viewed",
      actorId: "alice",
    }));
    await logAll(t, live);
    await rollAll(t);
    const imported: Ev[] = Array.from({ length: 30 }, (_, i) => ({
      timestamp: T0 + i * 86_400_000 + 123,
      severity: "warning",
      category: "admin",
      status: "success",
      action: "record.deleted",
      actorId: "bob",
      tenantId: "t1",
    }));
    await logAll(t, imported);
    const all = [...live, ...imported];
    const w = { fromTimestamp: T0 + 3 * 86_400_000, toTimestamp: T0 + 45 * 86_400_000 };
    const before = await statsWithReads(t, w);
    expect(before.result.pendingEvents).toBe(30);
    expect(strip(before.result)).toEqual(model(all, w.fromTimestamp, w.toTimestamp, undefined, 10));
    await rollAll(t);
    const after = await statsWithReads(t, w);
    expect(after.result.pendingEvents).toBe(0);
    expect(strip(after.result)).toEqual(strip(before.result));
  });

  test("the README's call works as written: last 24 h, toTimestamp defaults to now", async () => {
    const t = init();
    const now = Date.now();
    await t.mutation(api.log.logBulk, {
      events: [
        { action: "user.login", actorId: "alice", timestamp: now - 3600_000 },
        { action: "user.login", actorId: "alice", timestamp: now - 25 * 3600_000 },
        { action: "record.deleted", actorId: "bob", severity: "warning", timestamp: now - 60_000 },
      ],
    });
    const stats = await t.query(api.stats.getStats, { fromTimestamp: Date.now() - 24 * 60 * 60 * 1000 });
    expect(stats.totalCount).toBe(2);
    expect(stats.bySeverity).toEqual({ info: 1, warning: 1, error: 0, critical: 0 });
    expect(stats.topActions).toEqual([
      { action: "record.deleted", count: 1 },
      { action: "user.login", count: 1 },
    ]);
    expect(stats.topActors).toEqual([
      { actorId: "alice", count: 1 },
      { actorId: "bob", count: 1 },
    ]);
    expect(stats.toTimestamp).toBeGreaterThanOrEqual(now);
  });
});

describe("the rollup loop", () => {
  test("never writes on the log path, and folds each event exactly once across batches", async () => {
    const t = init();
    const costs = await t.run(async (ctx) => {
      const m0 = await ctx.meta.getTransactionMetrics();
      await ctx.runMutation(api.log.log, { event: { action: "user.login", actorId: "alice", tenantId: "t1" } });
      const m1 = await ctx.meta.getTransactionMetrics();
      return { written: m1.documentsWritten.used - m0.documentsWritten.used, read: m1.documentsRead.used - m0.documentsRead.used };
    });
    expect(costs).toEqual({ written: 1, read: 0 });
    const evs: Ev[] = Array.from({ length: 37 }, (_, i) => ({
      timestamp: T0 + (i % 5) * 1000,
      severity: "info",
      category: "auth",
      status: "success",
      action: "user.login",
      actorId: `u${i % 3}`,
    }));
    await logAll(t, evs);
    let folded = 0;
    await settle();
    for (;;) {
      const r = await t.run((ctx) => rollupBatch(ctx, { maxEvents: 4, settleMs: 0 }));
      folded += r.folded;
      if (r.caughtUp) break;
    }
    expect(folded).toBe(38);
    const status = await t.query(api.stats.status, {});
    expect(status.folded).toBe(38);
    const again = await t.run((ctx) => rollupBatch(ctx, { settleMs: 0 }));
    expect(again).toMatchObject({ folded: 0, caughtUp: true });
  });

  test("leaves events younger than settleMs to the tail", async () => {
    const t = init();
    await t.mutation(api.log.log, { event: { action: "user.login", actorId: "alice" } });
    const r = await t.mutation(api.stats.rollup, {});
    expect(r.folded).toBe(0);
    expect(r.rolledUpThrough).toBeNull();
    const stats = await t.query(api.stats.getStats, { fromTimestamp: 0 });
    expect(stats.totalCount).toBe(1);
    expect(stats.pendingEvents).toBe(1);
    expect(STATS_LIMITS.settleMs).toBeGreaterThanOrEqual(10_000);
  });

  test("the cron's tick starts a chain of batches that runs until it catches up; a live chain makes the tick a no-op", async () => {
    const { vi } = await import("vitest");
    vi.useFakeTimers();
    try {
      const t = init();
      await logAll(
        t,
        Array.from({ length: 2500 }, (_, i) => ({
          timestamp: T0 + i * 1000,
          severity: "info" as const,
          category: "auth" as const,
          status: "success" as const,
          action: "user.login",
          actorId: `u${i % 7}`,
        })),
      );
      vi.advanceTimersByTime(60_000);
      const { internal } = await import("./_generated/api.js");
      expect((await t.mutation(internal.background.tick, {})).rollup).toBe("scheduled");
      // While the chain's batch is pending, another tick does nothing.
      expect((await t.mutation(internal.background.tick, {})).rollup).toBe("running");
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      const status = await t.query(api.stats.status, {});
      expect(status.folded).toBe(2500);
      expect(status.batches).toBe(2);
      const cursor = await t.run((ctx) => ctx.db.query("statCursor").first());
      expect(cursor?.chainJob).toBeUndefined();
      // Caught up: the next tick schedules one batch that folds nothing.
      expect((await t.mutation(internal.background.tick, {})).rollup).toBe("scheduled");
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      expect((await t.query(api.stats.status, {})).batches).toBe(2);
    } finally {
      vi.useRealTimers();
    }
  });

  test("a batch that hits a Convex limit fails alone; the next tick halves the batch and the loop gets through", async () => {
    const { vi } = await import("vitest");
    vi.useFakeTimers();
    try {
      // A deployment whose read limit is 3 MiB, and events of ~600 KB: a full-size batch cannot fit.
      const t = initConvexTest({ bytesRead: 3 * 1024 * 1024 });
      const blob = "z".repeat(600 * 1024);
      for (let i = 0; i < 12; i++) {
        await t.mutation(api.log.log, {
          event: { action: "record.exported", actorId: `a${i % 3}`, metadata: { blob }, timestamp: T0 + i * MINUTE },
          options: { maxEventBytes: 1024 * 1024 },
        });
      }
      vi.advanceTimersByTime(60_000);
      const { internal } = await import("./_generated/api.js");
      const errors = vi.spyOn(console, "error").mockImplementation(() => {});
      for (let tick = 0; tick < 20; tick++) {
        await t.mutation(internal.background.tick, {});
        await t.finishAllScheduledFunctions(vi.runAllTimers);
        if ((await t.query(api.stats.status, {})).folded === 12) break;
      }
      const failures = errors.mock.calls.filter((c) => String(c[0]).includes("rollupChain")).length;
      errors.mockRestore();
      expect((await t.query(api.stats.status, {})).folded).toBe(12);
      // Full-size batches failed on the read limit; halved ones got through.
      expect(failures).toBeGreaterThan(0);
      const stats = await t.run((ctx) => getStatsHandler(ctx, { fromTimestamp: 0 }));
      expect(stats.totalCount).toBe(12);
      expect(stats.topActors).toEqual([
        { actorId: "a0", count: 4 },
        { actorId: "a1", count: 4 },
        { actorId: "a2", count: 4 },
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe("a batch's read budget", () => {
  test("late events scattered over heavy buckets: batches stop at the budget, none fails, the stats stay exact", async () => {
    // A deployment with a 6 MiB read limit, told to the batch as its budget.
    const readLimit = 6 * 1024 * 1024;
    const t = initConvexTest({ bytesRead: readLimit });
    // Two days of events from distinct actors with long ids: the buckets'
    // actor and action × actor maps make each minute-to-day bucket heavy.
    const actor = (i: number) => `actor-${i}-${"x".repeat(40)}`;
    const base: Ev[] = Array.from({ length: 3_000 }, (_, i) => ({
      timestamp: T0 + i * MINUTE,
      severity: "info",
      category: "data",
      status: "success",
      action: ACTIONS[i % ACTIONS.length],
      actorId: actor(i),
      tenantId: TENANTS[i % 3],
    }));
    await logAll(t, base);
    await settle();
    const fold = async () => {
      const batches: { folded: number; bytesRead: number }[] = [];
      for (;;) {
        const r = await t.run(async (ctx) => {
          const result = await rollupBatch(ctx, { maxEvents: 10_000, settleMs: 0, readLimit });
          return { ...result, bytesRead: (await ctx.meta.getTransactionMetrics()).bytesRead.used };
        });
        batches.push(r);
        if (r.caughtUp) return batches;
      }
    };
    await fold();
    // Then late ones, newest first, each in its own minute of those two days: every batch that
    // folds them reads a different stretch of full buckets.
    const late: Ev[] = Array.from({ length: 300 }, (_, j) => ({
      ...base[(j * 7) % base.length],
      timestamp: T0 + ((2_999 - j * 10) * MINUTE) + 30_000,
      actorId: actor(10_000 + j),
    }));
    await logAll(t, late);
    await settle();
    const batches = await fold();
    // Folding them all at once would read more than the limit allows: they took several
    // batches, and each read less than the limit (convex-test would have thrown otherwise).
    expect(batches.filter((b) => b.folded > 0).length).toBeGreaterThan(1);
    expect(batches.reduce((n, b) => n + b.folded, 0)).toBe(late.length);
    for (const b of batches) expect(b.bytesRead).toBeLessThan(readLimit);
    const all = [...base, ...late];
    for (const [from, to] of [
      [T0, T0 + 3_000 * MINUTE],
      [T0 + 777_777, T0 + 1_234_567_89],
    ]) {
      const got = await t.run((ctx) => getStatsHandler(ctx, { fromTimestamp: from, toTimestamp: to, topK: 5 }));
      expect(got.pendingEvents).toBe(0);
      expect(strip(got)).toEqual(model(all, from, to, undefined, 5));
    }
  });
});

describe("hostile input gets a typed error", () => {
  test("windows, topK and rollup options", async () => {
    const t = init();
    await expectCode(t.query(api.stats.getStats, { fromTimestamp: 10, toTimestamp: 5 }), "INVALID_ARGUMENT");
    await expectCode(t.query(api.stats.getStats, { fromTimestamp: Number.NaN }), "INVALID_ARGUMENT");
    await expectCode(t.query(api.stats.getStats, { fromTimestamp: 0, toTimestamp: Number.POSITIVE_INFINITY }), "INVALID_ARGUMENT");
    for (const topK of [0, -1, 101, 1e9, 2.5]) {
      await expectCode(t.query(api.stats.getStats, { fromTimestamp: 0, topK }), "INVALID_ARGUMENT");
    }
    for (const maxEvents of [0, -5, 1.5, 1e9]) {
      await expectCode(t.mutation(api.stats.rollup, { maxEvents }), "INVALID_ARGUMENT");
    }
    await expectCode(t.mutation(api.stats.rollup, { settleMs: -1 }), "INVALID_ARGUMENT");
    // Nothing was written by the refused calls.
    expect(await t.run((ctx) => ctx.db.query("statCursor").collect())).toEqual([]);
  });

  test("a tail longer than the limit is ROLLUP_BEHIND, not a failed read", async () => {
    const t = init();
    await logAll(
      t,
      Array.from({ length: 30 }, (_, i) => ({
        timestamp: T0 + i,
        severity: "info" as const,
        category: "auth" as const,
        status: "success" as const,
        action: "user.login",
      })),
    );
    const { readTail } = await import("./statsRead.js");
    await expectCode(
      t.run((ctx) => readTail(ctx, null, () => {}, 10)),
      "ROLLUP_BEHIND",
    );
  });

  test("so is a tail of a few huge events, before Convex's 16 MiB read limit", async () => {
    const t = init();
    const blob = "x".repeat(900 * 1024);
    for (let i = 0; i < 10; i++) {
      await t.mutation(api.log.log, {
        event: { action: "record.exported", metadata: { blob }, timestamp: T0 + i },
        options: { maxEventBytes: 1024 * 1024 },
      });
    }
    await expectCode(t.query(api.stats.getStats, { fromTimestamp: 0 }), "ROLLUP_BEHIND");
    // The loop gets through them in batches that stay under the limit, and then getStats answers.
    await rollAll(t);
    expect((await t.query(api.stats.getStats, { fromTimestamp: 0 })).totalCount).toBe(10);
  });
});
