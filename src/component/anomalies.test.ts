/// <reference types="vite/client" />
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { api } from "./_generated/api.js";
import { initConvexTest, type T } from "./setup.test.js";
import { detectAnomaliesHandler } from "./anomalies.js";
import { rollupBatch } from "./rollup.js";
import { MINUTE, type AnomalyRule } from "../shared/stats.js";
import { modelAnomalies as model } from "../../test/support/anomalyModel.js";
import { expectCode } from "../../test/support/errors.js";

const init = (): T => initConvexTest();

const NOW = Date.UTC(2025, 5, 10, 12, 0, 30, 250);
const TENANTS = [undefined, "t1", "t2"] as const;
const ACTORS = [undefined, "alice", "bob", "carol", "mallory"] as const;
const ACTIONS = ["user.login.failed", "record.deleted", "user.login"] as const;

type Ev = { timestamp: number; action: string; actorId?: string; tenantId?: string };

async function logAll(t: T, evs: Ev[]) {
  for (let i = 0; i < evs.length; i += 200) await t.mutation(api.log.logBulk, { events: evs.slice(i, i + 200) });
}


async function detectWithReads(t: T, rules: AnomalyRule[], now: number) {
  return await t.run(async (ctx) => {
    const m0 = await ctx.meta.getTransactionMetrics();
    const result = await detectAnomaliesHandler(ctx, { rules, now });
    const m1 = await ctx.meta.getTransactionMetrics();
    return { result, read: m1.documentsRead.used - m0.documentsRead.used };
  });
}

const evArb = fc.record({
  // Mostly the last few hours, some older (for baselines up to days back).
  ago: fc.oneof(
    // On window edges (now - W minutes exactly, ±1 ms) and on minute boundaries (NOW is 30.25 s into its minute).
    {
      weight: 4,
      arbitrary: fc
        .integer({ min: 0, max: 240 })
        .chain((m) => fc.constantFrom(m * MINUTE, m * MINUTE + 1, m * MINUTE - 1, 30_250 + m * MINUTE, 30_249 + m * MINUTE)),
    },
    { weight: 5, arbitrary: fc.integer({ min: -30_000, max: 20 * MINUTE }) },
    { weight: 3, arbitrary: fc.integer({ min: 0, max: 6 * 60 * MINUTE }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 8 * 24 * 60 * MINUTE }) },
  ),
  x: fc.integer({ min: 0, max: ACTIONS.length - 1 }),
  a: fc.integer({ min: 0, max: ACTORS.length - 1 }),
  tn: fc.integer({ min: 0, max: TENANTS.length - 1 }),
});

const ruleArb: fc.Arbitrary<AnomalyRule> = fc
  .record({
    action: fc.constantFrom(...ACTIONS),
    windowMinutes: fc.constantFrom(1, 1, 5, 5, 17, 60, 360, 1000, 1440),
    threshold: fc.integer({ min: 1, max: 5 }),
    groupBy: fc.constantFrom(undefined, "actor", "tenant"),
    tenantId: fc.constantFrom(...TENANTS),
    baseline: fc.option(
      fc.record({ periods: fc.integer({ min: 2, max: 12 }), k: fc.constantFrom(0, 0, 0.5, 1, 2.5), periodMinutes: fc.constantFrom(undefined, undefined, 60, 1440) }),
      { nil: undefined },
    ),
  })
  .map((r) => {
    const rule: AnomalyRule = { action: r.action, windowMinutes: r.windowMinutes, threshold: r.threshold };
    if (r.tenantId !== undefined) rule.tenantId = r.tenantId;
    if (r.baseline) {
      const b: NonNullable<AnomalyRule["baseline"]> = { periods: r.baseline.periods, k: r.baseline.k };
      const pm = r.baseline.periodMinutes;
      if (pm !== undefined && pm >= r.windowMinutes && r.baseline.periods * pm + r.windowMinutes <= 45 * 1440) b.periodMinutes = pm;
      if (r.baseline.periods * (b.periodMinutes ?? r.windowMinutes) + r.windowMinutes > 45 * 1440) return rule;
      rule.baseline = b;
      if (r.threshold > 2) delete rule.threshold;
    } else if (r.groupBy !== undefined) {
      rule.groupBy = r.groupBy;
    }
    return rule;
  });

describe("detectAnomalies is exact against a model", () => {
  test("random events, rules and rollup points", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(evArb, { minLength: 1, maxLength: 200 }),
        fc.array(ruleArb, { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 130 }),
        fc.integer({ min: 1, max: 40 }),
        async (rows, rules, rolledBefore, maxEvents) => {
          const t = init();
          const evs: Ev[] = rows.map((r) => {
            const e: Ev = { timestamp: NOW - r.ago, action: ACTIONS[r.x] };
            if (ACTORS[r.a] !== undefined) e.actorId = ACTORS[r.a];
            if (TENANTS[r.tn] !== undefined) e.tenantId = TENANTS[r.tn];
            return e;
          });
          // Part of the log is rolled up, the rest is still the tail.
          await logAll(t, evs.slice(0, rolledBefore));
          for (let i = 0; i < 3; i++) await t.run((ctx) => rollupBatch(ctx, { maxEvents, settleMs: 0 }));
          await logAll(t, evs.slice(rolledBefore));
          const { result, read } = await detectWithReads(t, rules, NOW);
          const expected = model(evs, rules, NOW);
          expect(result.length).toBe(expected.length);
          result.forEach((r, i) => {
            const e = expected[i];
            expect({ ...r, limit: 0, baseline: undefined }).toEqual({ ...e, limit: 0, baseline: undefined });
            expect(r.limit).toBeCloseTo(e.limit, 9);
            if (e.baseline) {
              expect(r.baseline!.counts).toEqual(e.baseline.counts);
              expect(r.baseline!.mean).toBeCloseTo(e.baseline.mean, 9);
              expect(r.baseline!.stddev).toBeCloseTo(e.baseline.stddev, 9);
            }
          });
          const pending = evs.length - (await t.query(api.stats.status, {})).folded;
          expect(read).toBeLessThanOrEqual(100 * rules.length + pending);
        },
      ),
      { numRuns: 60 },
    );
  });

  test("the README's rules, as written", async () => {
    const t = init();
    const now = Date.now();
    const evs: Ev[] = [
      ...Array.from({ length: 6 }, (_, i) => ({ timestamp: now - i * 30_000, action: "user.login.failed", actorId: "mallory" })),
      ...Array.from({ length: 3 }, (_, i) => ({ timestamp: now - i * 1000, action: "user.login.failed", actorId: "alice" })),
      ...Array.from({ length: 10 }, (_, i) => ({ timestamp: now - i * 60_000, action: "record.deleted", actorId: "bob" })),
    ];
    await logAll(t, evs);
    const anomalies = await t.query(api.anomalies.detectAnomalies, {
      rules: [
        { action: "user.login.failed", threshold: 5, windowMinutes: 5 },
        { action: "record.deleted", threshold: 50, windowMinutes: 60 },
      ],
    });
    expect(anomalies).toHaveLength(1);
    expect(anomalies[0]).toMatchObject({
      rule: 0,
      action: "user.login.failed",
      count: 9,
      topActors: [
        { actorId: "mallory", count: 6 },
        { actorId: "alice", count: 3 },
      ],
    });
  });

  test("per-actor grouping fires on one actor's burst, not on the total", async () => {
    const t = init();
    const evs: Ev[] = [
      ...Array.from({ length: 5 }, (_, i) => ({ timestamp: NOW - i * 1000, action: "user.login.failed", actorId: "mallory", tenantId: "t1" })),
      ...["a", "b", "c", "d"].map((actorId) => ({ timestamp: NOW - 2000, action: "user.login.failed", actorId, tenantId: "t2" })),
    ];
    await logAll(t, evs);
    const [byActor] = (await detectWithReads(t, [{ action: "user.login.failed", threshold: 5, windowMinutes: 5, groupBy: "actor" }], NOW)).result;
    expect(byActor.groups).toEqual([{ key: "mallory", count: 5 }]);
    const none = await detectWithReads(t, [{ action: "user.login.failed", threshold: 6, windowMinutes: 5, groupBy: "actor" }], NOW);
    expect(none.result).toEqual([]);
    const [byTenant] = (await detectWithReads(t, [{ action: "user.login.failed", threshold: 4, windowMinutes: 5, groupBy: "tenant" }], NOW)).result;
    expect(byTenant.groups).toEqual([
      { key: "t1", count: 5 },
      { key: "t2", count: 4 },
    ]);
  });

  test("baseline: a burst over a quiet history fires; steady traffic does not", async () => {
    const t = init();
    const evs: Ev[] = [];
    // Two per hour for 24 hours, then 12 in the last hour.
    for (let h = 1; h <= 24; h++) evs.push({ timestamp: NOW - h * 3600_000 - 600_000, action: "record.deleted", actorId: "bob" }, { timestamp: NOW - h * 3600_000 - 1200_000, action: "record.deleted", actorId: "carol" });
    for (let i = 0; i < 12; i++) evs.push({ timestamp: NOW - i * 60_000, action: "record.deleted", actorId: "mallory" });
    await logAll(t, evs);
    await new Promise((r) => setTimeout(r, 5));
    await t.run((ctx) => rollupBatch(ctx, { settleMs: 0 }));
    const rule: AnomalyRule = { action: "record.deleted", windowMinutes: 60, baseline: { periods: 24, k: 3 } };
    const { result, read } = await detectWithReads(t, [rule], NOW);
    expect(result).toHaveLength(1);
    expect(result[0].baseline).toMatchObject({ mean: 2, stddev: 0, periods: 24 });
    expect(result[0].topActors[0]).toEqual({ actorId: "mallory", count: 12 });
    expect(read).toBeLessThanOrEqual(100);
    const steady = await detectWithReads(t, [rule], NOW - 2 * 3600_000);
    expect(steady.result).toEqual([]);
  });
});

describe("bad rules get a typed error", () => {
  test("threshold, window, groupBy, baseline, counts", async () => {
    const t = init();
    const run = (rules: AnomalyRule[], extra: { now?: number; topActors?: number } = {}) =>
      t.query(api.anomalies.detectAnomalies, { rules, ...extra });
    const base = { action: "user.login.failed", windowMinutes: 5, threshold: 5 };
    await expectCode(run([]), "INVALID_ARGUMENT");
    await expectCode(run(Array.from({ length: 21 }, () => base)), "INVALID_ARGUMENT");
    for (const threshold of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expectCode(run([{ ...base, threshold }]), "INVALID_ARGUMENT");
    }
    for (const windowMinutes of [0, -5, 1.5, 1441, 1e12]) {
      await expectCode(run([{ ...base, windowMinutes }]), "INVALID_ARGUMENT");
    }
    await expectCode(run([{ ...base, groupBy: "resource" }]), "INVALID_ARGUMENT");
    await expectCode(run([{ ...base, groupBy: "" }]), "INVALID_ARGUMENT");
    await expectCode(run([{ action: "x", windowMinutes: 5 }]), "INVALID_ARGUMENT");
    await expectCode(run([{ ...base, action: "" }]), "INVALID_ACTION");
    await expectCode(run([{ ...base, baseline: { periods: 1 } }]), "INVALID_ARGUMENT");
    await expectCode(run([{ ...base, baseline: { periods: 49 } }]), "INVALID_ARGUMENT");
    await expectCode(run([{ ...base, baseline: { periods: 5, k: -1 } }]), "INVALID_ARGUMENT");
    await expectCode(run([{ ...base, baseline: { periods: 5, periodMinutes: 4 } }]), "INVALID_ARGUMENT");
    await expectCode(run([{ ...base, windowMinutes: 1440, baseline: { periods: 48, periodMinutes: 1440 } }]), "INVALID_ARGUMENT");
    await expectCode(run([{ ...base, groupBy: "actor", baseline: { periods: 5 } }]), "INVALID_ARGUMENT");
    await expectCode(run([base], { now: Number.NaN }), "INVALID_ARGUMENT");
    await expectCode(run([base], { topActors: 0 }), "INVALID_ARGUMENT");
    await expectCode(run([base], { topActors: 1000 }), "INVALID_ARGUMENT");
  });
});
