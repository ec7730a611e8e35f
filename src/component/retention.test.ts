/// <reference types="vite/client" />
import fc from "fast-check";
import { afterEach, describe, expect, test, vi } from "vitest";
import { api } from "./_generated/api.js";
import { cleanupRun, initConvexTest, type T } from "./setup.test.js";
import {
  CATEGORIES,
  SEVERITIES,
  type EventInput,
} from "../shared/validators.js";
import { expectCode } from "../../test/support/errors.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

const init = (): T => initConvexTest();

afterEach(() => {
  vi.useRealTimers();
});

// ---------------------------------------------------------------------------
// The model: which events a complete cleanup leaves, computed from the rules alone.

const TENANTS = [undefined, "t1", "t2", "t3"] as const;
const ACTORS = [undefined, "a1", "a2"] as const;
const ACTIONS = [
  "user.login",
  "record.viewed",
  "invoice.paid",
  "zeta",
] as const;
const RESOURCES = [undefined, ["doc", "d1"], ["doc", "d2"]] as const;

type Ev = {
  severity: (typeof SEVERITIES)[number];
  tenantId?: string;
  actorId?: string;
  category: (typeof CATEGORIES)[number];
  action: string;
  resource?: readonly [string, string];
  timestamp: number;
};
type Policies = {
  defaultDays?: number;
  categoryDays: Partial<Record<string, number>>;
  actionDays: Partial<Record<string, number>>;
};
type Holds = {
  tenants: string[];
  actors: string[];
  resources: Array<readonly [string, string]>;
};
type Call = { olderThanDays?: number; preserve: string[]; batchSize: number };

function expired(e: Ev, p: Policies, call: Call, now: number): boolean {
  const policy =
    p.actionDays[e.action] ?? p.categoryDays[e.category] ?? p.defaultDays;
  const days =
    call.olderThanDays === undefined
      ? policy
      : policy === undefined
        ? call.olderThanDays
        : Math.max(policy, call.olderThanDays);
  return days !== undefined && e.timestamp < now - days * DAY;
}

function modelKeeps(
  e: Ev,
  p: Policies,
  h: Holds,
  call: Call,
  now: number,
  horizon: number | null,
  creation: number,
): boolean {
  if (call.preserve.includes(e.severity)) return true;
  if (!expired(e, p, call, now)) return true;
  if (e.tenantId !== undefined && h.tenants.includes(e.tenantId)) return true;
  if (e.actorId !== undefined && h.actors.includes(e.actorId)) return true;
  if (
    e.resource !== undefined &&
    h.resources.some(([t, i]) => t === e.resource![0] && i === e.resource![1])
  )
    return true;
  // Not yet in the statistics rollups: kept until they are.
  return horizon === null || creation > horizon;
}

const DAY_OFFSETS = [
  0, 1, 5, 29, 30, 31, 59, 60, 61, 89, 90, 91, 119, 120, 121, 200, 365, 400,
  401,
];
const evArb: fc.Arbitrary<Ev> = fc
  .record({
    s: fc.integer({ min: 0, max: 3 }),
    tn: fc.integer({ min: 0, max: TENANTS.length - 1 }),
    ac: fc.integer({ min: 0, max: ACTORS.length - 1 }),
    c: fc.integer({ min: 0, max: CATEGORIES.length - 1 }),
    x: fc.integer({ min: 0, max: ACTIONS.length - 1 }),
    r: fc.integer({ min: 0, max: RESOURCES.length - 1 }),
    d: fc.constantFrom(...DAY_OFFSETS),
    // A few milliseconds either side of a day boundary, and equal timestamps often.
    jitter: fc.constantFrom(-1, 0, 0, 0, 1, 3600_000),
  })
  .map(({ s, tn, ac, c, x, r, d, jitter }) => {
    const e: Ev = {
      severity: SEVERITIES[s],
      category: CATEGORIES[c],
      action: ACTIONS[x],
      timestamp: NOW - d * DAY + jitter,
    };
    if (TENANTS[tn] !== undefined) e.tenantId = TENANTS[tn];
    if (ACTORS[ac] !== undefined) e.actorId = ACTORS[ac];
    if (RESOURCES[r] !== undefined) e.resource = RESOURCES[r];
    return e;
  });

const daysArb = fc.constantFrom(1, 30, 60, 90, 120, 365);
const policiesArb: fc.Arbitrary<Policies> = fc.record({
  defaultDays: fc.option(daysArb, { nil: undefined }),
  categoryDays: fc.dictionary(fc.constantFrom(...CATEGORIES), daysArb, {
    maxKeys: 3,
  }),
  actionDays: fc.dictionary(fc.constantFrom(...ACTIONS), daysArb, {
    maxKeys: 2,
  }),
});
const holdsArb: fc.Arbitrary<Holds> = fc.record({
  tenants: fc.subarray(["t1", "t2", "t3"], { maxLength: 2 }),
  actors: fc.subarray(["a1", "a2"], { maxLength: 1 }),
  resources: fc.subarray([["doc", "d1"] as const, ["doc", "d2"] as const], {
    maxLength: 1,
  }),
});
const callArb: fc.Arbitrary<Call> = fc.record({
  olderThanDays: fc.option(fc.constantFrom(1, 30, 60, 90, 200), {
    nil: undefined,
  }),
  preserve: fc.subarray([...SEVERITIES], { maxLength: 2 }),
  batchSize: fc.constantFrom(1, 2, 3, 7, 50),
});

function toInput(e: Ev): EventInput {
  const input: EventInput = {
    action: e.action,
    severity: e.severity,
    category: e.category,
    timestamp: e.timestamp,
  };
  if (e.tenantId !== undefined) input.tenantId = e.tenantId;
  if (e.actorId !== undefined) input.actorId = e.actorId;
  if (e.resource !== undefined) {
    input.resourceType = e.resource[0];
    input.resourceId = e.resource[1];
  }
  return input;
}

/** Logs the events, then (unless told not to) folds them into the statistics rollups. */
async function seed(
  t: T,
  events: Ev[],
  { rolled = true } = {},
): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 200) {
    ids.push(
      ...(await t.mutation(api.log.logBulk, {
        events: events.slice(i, i + 200).map(toInput),
      })),
    );
  }
  if (rolled) await rollUp(t);
  return ids;
}

async function configure(t: T, p: Policies, h: Holds) {
  if (p.defaultDays !== undefined)
    await t.mutation(api.retention.setRetentionPolicy, { days: p.defaultDays });
  for (const [category, days] of Object.entries(p.categoryDays)) {
    await t.mutation(api.retention.setRetentionPolicy, {
      category,
      days: days!,
    });
  }
  for (const [action, days] of Object.entries(p.actionDays)) {
    await t.mutation(api.retention.setRetentionPolicy, { action, days: days! });
  }
  for (const tenantId of h.tenants)
    await t.mutation(api.retention.placeHold, { tenantId, reason: "case 1" });
  for (const actorId of h.actors)
    await t.mutation(api.retention.placeHold, { actorId });
  for (const [resourceType, resourceId] of h.resources)
    await t.mutation(api.retention.placeHold, { resourceType, resourceId });
}

/**
 * Runs the statistics rollup (everything, or one batch of `maxEvents`) and
 * returns its watermark; and seals every event (cleanup deletes only sealed
 * events: their leaves stay). The clock steps forward a second for it, so
 * events created at the frozen "now" count as settled, then steps back.
 */
async function rollUp(t: T, maxEvents?: number): Promise<number | null> {
  const now = Date.now();
  vi.setSystemTime(now + 1000);
  try {
    for (let r = await t.mutation(api.integrity.seal, { settleMs: 0 }); !r.caughtUp; ) r = await t.mutation(api.integrity.seal, { settleMs: 0 });
    for (;;) {
      const r = await t.mutation(api.stats.rollup, {
        settleMs: 0,
        ...(maxEvents === undefined ? {} : { maxEvents }),
      });
      if (r.caughtUp || maxEvents !== undefined) return r.rolledUpThrough;
    }
  } finally {
    vi.setSystemTime(now);
  }
}

/** Every stored event: the component's own table, read directly. */
async function allEvents(t: T) {
  return await t.run(async (ctx) => await ctx.db.query("events").collect());
}

/** Drives a run through explicit cursors; returns the totals and how many batches it took. */
async function runWithCursor(t: T, call: Call) {
  let cursor: string | null = null;
  let batches = 0;
  for (;;) {
    const r: {
      isDone: boolean;
      continueCursor: string;
      now: number;
      scanned: number;
      run: {
        scanned: number;
        deleted: number;
        skippedHeld: number;
        skippedNotRolledUp: number;
      };
    } = await t.mutation(api.retention.cleanup, {
      olderThanDays: call.olderThanDays,
      preserveSeverity: call.preserve,
      batchSize: call.batchSize,
      cursor,
    });
    batches += 1;
    // Progress is counted in rows scanned: no batch reads more than its size.
    expect(r.scanned).toBeLessThanOrEqual(call.batchSize);
    if (r.isDone) return { ...r.run, now: r.now, batches };
    expect(r.continueCursor).not.toBe(cursor);
    cursor = r.continueCursor;
    if (batches > 5000) throw new Error("cleanup did not finish");
  }
}

describe("cleanup against the model", () => {
  test("a run through cursors leaves exactly the events the model keeps", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    await fc.assert(
      fc.asyncProperty(
        fc.array(evArb, { minLength: 1, maxLength: 60 }),
        policiesArb,
        holdsArb,
        callArb,
        // How far the statistics rollup has got: nowhere, part of the way, or all of it.
        fc.oneof(
          { arbitrary: fc.constant("all" as const), weight: 3 },
          fc.constant("none" as const),
          fc.integer({ min: 1, max: 60 }),
        ),
        async (events, p, h, call, rolled) => {
          const t = init();
          const ids = await seed(t, events, { rolled: false });
          await configure(t, p, h);
          const horizon =
            rolled === "none"
              ? null
              : await rollUp(t, rolled === "all" ? undefined : rolled);
          const before = await allEvents(t);
          const creation = new Map(
            before.map((d) => [d._id as string, d._creationTime]),
          );
          const totals = await runWithCursor(t, call);
          expect(totals.now).toBe(NOW);
          const expected = ids.filter((id, i) =>
            modelKeeps(events[i], p, h, call, NOW, horizon, creation.get(id)!),
          );
          const after = await allEvents(t);
          const seeded = new Set(ids);
          expect(
            after
              .filter((d) => seeded.has(d._id))
              .map((d) => d._id)
              .sort(),
          ).toEqual([...expected].sort());
          expect(totals.deleted).toBe(ids.length - expected.length);
          // Everything else is the audit trail of the configuration and of the run itself.
          const others = after.filter((d) => !seeded.has(d._id));
          expect(others.every((d) => d.action.startsWith("audit."))).toBe(true);
          expect(
            others.filter((d) => d.action === "audit.retention.run").length,
          ).toBe(totals.deleted > 0 ? 1 : 0);
          // Nothing the rollup has not folded is gone: statistics stay exact.
          const rolledIds = before
            .filter((d) => horizon !== null && d._creationTime <= horizon)
            .map((d) => d._id as string);
          const gone = ids.filter((id) => !after.some((d) => d._id === id));
          expect(gone.every((id) => rolledIds.includes(id))).toBe(true);
        },
      ),
      { numRuns: 80 },
    );
  });

  test("the scheduled background run deletes exactly what the model says, and logs one summary", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    await fc.assert(
      fc.asyncProperty(
        fc.array(evArb, { minLength: 1, maxLength: 60 }),
        policiesArb,
        holdsArb,
        callArb,
        async (events, p, h, call) => {
          const t = init();
          const ids = await seed(t, events, { rolled: false });
          await configure(t, p, h);
          await rollUp(t);
          const { runId, alreadyRunning } = await t.mutation(
            api.retention.startCleanup,
            {
              olderThanDays: call.olderThanDays,
              preserveSeverity: call.preserve,
              batchSize: call.batchSize,
            },
          );
          expect(alreadyRunning).toBe(false);
          await t.finishAllScheduledFunctions(vi.runAllTimers, 10_000);
          const run = await t.query(api.retention.getCleanupRun, { runId });
          expect(run?.status).toBe("done");
          const after = await allEvents(t);
          const seeded = new Set(ids);
          const expected = ids.filter((_, i) =>
            modelKeeps(events[i], p, h, call, NOW, Number.MAX_SAFE_INTEGER, 0),
          );
          expect(
            after
              .filter((d) => seeded.has(d._id))
              .map((d) => d._id)
              .sort(),
          ).toEqual([...expected].sort());
          expect(run!.deleted).toBe(ids.length - expected.length);
          const summaries = after.filter(
            (d) => d.action === "audit.retention.run",
          );
          expect(summaries.length).toBe(1);
          expect(summaries[0].metadata).toMatchObject({
            mode: "background",
            deleted: run!.deleted,
            batches: run!.batches,
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  test("the README's cursor-less call sweeps everything when repeated, even when the oldest rows are held", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    await fc.assert(
      fc.asyncProperty(
        fc.array(evArb, { minLength: 1, maxLength: 40 }),
        holdsArb,
        callArb,
        async (events, h, call) => {
          const t = init();
          const ids = await seed(t, events, { rolled: false });
          await configure(t, { categoryDays: {}, actionDays: {} }, h);
          await rollUp(t);
          const seedCall = { ...call, olderThanDays: call.olderThanDays ?? 30 };
          // Repeat until a sweep completes, as a cron calling `cleanup` would.
          for (let i = 0; ; i++) {
            const r = await t.mutation(api.retention.cleanup, {
              olderThanDays: seedCall.olderThanDays,
              preserveSeverity: seedCall.preserve,
              batchSize: seedCall.batchSize,
            });
            if (r.isDone) break;
            if (i > 5000) throw new Error("the sweep did not finish");
          }
          const none = { categoryDays: {}, actionDays: {} };
          const expected = ids.filter((_, i) =>
            modelKeeps(
              events[i],
              none,
              h,
              seedCall,
              NOW,
              Number.MAX_SAFE_INTEGER,
              0,
            ),
          );
          const after = new Set(
            (await allEvents(t)).map((d) => d._id as string),
          );
          expect(ids.filter((id) => after.has(id)).sort()).toEqual(
            [...expected].sort(),
          );
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe("cleanup never stalls and never reads what it may not delete", () => {
  test("preserved severities are never scanned: a batch reads only deletable rows", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const t = init();
    // The 30 oldest events are critical; 10 newer ones are info and expired too.
    const old = (d: number): Ev => ({
      severity: "critical",
      category: "auth",
      action: "user.login",
      timestamp: NOW - d * DAY,
    });
    await seed(t, [
      ...Array.from({ length: 30 }, (_, i) => old(400 + i)),
      ...Array.from({ length: 10 }, (_, i): Ev => ({
        severity: "info",
        category: "auth",
        action: "user.login",
        timestamp: NOW - (100 + i) * DAY,
      })),
    ]);
    const cost = await t.run(async (ctx) => {
      const m0 = await ctx.meta.getTransactionMetrics();
      const r = await ctx.runMutation(api.retention.cleanup, {
        olderThanDays: 90,
        preserveSeverity: ["critical"],
        batchSize: 3,
        cursor: null,
      });
      const m1 = await ctx.meta.getTransactionMetrics();
      return { r, read: m1.documentsRead.used - m0.documentsRead.used };
    });
    expect(cost.r).toMatchObject({ scanned: 3, deleted: 3, isDone: false });
    // Three rows scanned, one read per delete (Convex's delete reads the
    // document it removes; convex-test charges it the same way), the rollup's
    // watermark and the cursor key. No policy document exists yet.
    expect(cost.read).toBe(3 + 3 + 1 + 1);
    const left = await allEvents(t);
    expect(left.filter((d) => d.severity === "critical").length).toBe(30);
    // The batch's retention record (info, kept forever) is not one of the seeded rows.
    expect(left.filter((d) => d.severity === "info" && d.action !== "audit.retention.deleted").length).toBe(7);
  });

  // With no policy the whole log has one cutoff and each (severity, tenant)
  // is one range; a policy on an unrelated category makes the scan go group
  // by group (severity, tenant, category, action). Both must hold the same.
  const modes = [
    { name: "one cutoff", policy: false },
    { name: "group by group", policy: true },
  ];

  test.each(modes)(
    "a batch of only held rows still moves its cursor, and later batches delete what follows ($name)",
    async ({ policy }) => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(NOW);
      const events = (): Ev[] => {
        const ev = (actorId: string, d: number): Ev => ({
          severity: "info",
          category: "auth",
          action: "user.login",
          actorId,
          timestamp: NOW - d * DAY,
        });
        // The oldest 12 rows belong to a held actor.
        return [
          ...Array.from({ length: 12 }, (_, i) => ev("held", 300 - i)),
          ...Array.from({ length: 5 }, (_, i) => ev("free", 200 - i)),
        ];
      };
      const setUp = async () => {
        const t = init();
        await seed(t, events());
        if (policy)
          await t.mutation(api.retention.setRetentionPolicy, {
            category: "security",
            days: 400,
          });
        await t.mutation(api.retention.placeHold, {
          actorId: "held",
          reason: "litigation",
        });
        return t;
      };
      const t = await setUp();
      const first = await t.mutation(api.retention.cleanup, {
        olderThanDays: 90,
        batchSize: 4,
        cursor: null,
      });
      // Group by group, the scan first meets the hold's own audit event
      // (category admin sorts before auth; it is not expired).
      expect(first).toMatchObject({
        scanned: 4,
        deleted: 0,
        skippedHeld: policy ? 3 : 4,
        isDone: false,
      });
      const totals = await runWithCursor(t, {
        olderThanDays: 90,
        preserve: [],
        batchSize: 4,
      });
      expect(totals.deleted).toBe(5);
      // The cursor-less call gets there too, by resuming its sweep.
      const t2 = await setUp();
      const counts: number[] = [];
      for (let i = 0; i < 6; i++) {
        counts.push(
          (
            await t2.mutation(api.retention.cleanup, {
              olderThanDays: 90,
              batchSize: 4,
            })
          ).deleted,
        );
      }
      // One cutoff: 4 held, 4 held, 4 held, 4 free, 1 free (done), a new sweep.
      // Group by group: 1 + 3 held, 4 held, 4 held, 1 held + 3 free, 2 free (done), a new sweep.
      expect(counts).toEqual(policy ? [0, 0, 0, 3, 2, 0] : [0, 0, 0, 4, 1, 0]);
    },
  );

  test.each(modes)(
    "a held tenant's rows are never read: it is stepped over by range ($name)",
    async ({ policy }) => {
      vi.useFakeTimers({ toFake: ["Date"] });
      vi.setSystemTime(NOW);
      const t = init();
      const ev = (tenantId: string, d: number): Ev => ({
        severity: "info",
        category: "data",
        action: "record.viewed",
        tenantId,
        timestamp: NOW - d * DAY,
      });
      await seed(t, [
        ...Array.from({ length: 20 }, (_, i) => ev("a-small", 100 + i)),
        ...Array.from({ length: 150 }, (_, i) => ev("busy", 100 + (i % 50))),
        ...Array.from({ length: 20 }, (_, i) => ev("z-small", 100 + i)),
      ]);
      if (policy)
        await t.mutation(api.retention.setRetentionPolicy, {
          category: "security",
          days: 400,
        });
      await t.mutation(api.retention.placeHold, { tenantId: "busy" });
      const cost = await t.run(async (ctx) => {
        const m0 = await ctx.meta.getTransactionMetrics();
        const r = await ctx.runMutation(api.retention.cleanup, {
          olderThanDays: 90,
          batchSize: 1000,
          cursor: null,
        });
        const m1 = await ctx.meta.getTransactionMetrics();
        return { r, read: m1.documentsRead.used - m0.documentsRead.used };
      });
      // The 40 rows of the small tenants; group by group, also the audit events
      // of the hold and of the policy (no tenant, not expired), each read to
      // find its group.
      const scanned = policy ? 42 : 40;
      expect(cost.r).toMatchObject({
        deleted: 40,
        scanned,
        skippedHeld: 0,
        isDone: true,
      });
      // Those, one read per delete, the policy document, the rollup's
      // watermark and the cursor key; none of the 150 held rows.
      expect(cost.read).toBe(scanned + 40 + 1 + 1 + 1);
      expect(
        (await allEvents(t)).filter((d) => d.tenantId === "busy").length,
      ).toBe(150);
    },
  );

  test("a policy that keeps a category longer than the call is honoured; an action policy beats its category's", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const t = init();
    await seed(t, [
      {
        severity: "info",
        category: "auth",
        action: "user.login",
        timestamp: NOW - 200 * DAY,
      },
      {
        severity: "info",
        category: "auth",
        action: "user.login",
        timestamp: NOW - 400 * DAY,
      },
      {
        severity: "info",
        category: "data",
        action: "record.viewed",
        timestamp: NOW - 40 * DAY,
      },
      {
        severity: "info",
        category: "data",
        action: "record.updated",
        timestamp: NOW - 40 * DAY,
      },
      {
        severity: "info",
        category: "data",
        action: "record.updated",
        timestamp: NOW - 100 * DAY,
      },
    ]);
    await t.mutation(api.retention.setRetentionPolicy, {
      category: "auth",
      days: 365,
    });
    await t.mutation(api.retention.setRetentionPolicy, {
      category: "data",
      days: 90,
    });
    await t.mutation(api.retention.setRetentionPolicy, {
      action: "record.viewed",
      days: 30,
    });
    expect(await t.query(api.retention.getRetentionPolicies, {})).toEqual({
      defaultDays: null,
      categories: [
        { category: "auth", days: 365 },
        { category: "data", days: 90 },
      ],
      actions: [{ action: "record.viewed", days: 30 }],
    });
    // Policies only (no olderThanDays): auth > 365 d, data > 90 d, record.viewed > 30 d.
    const r = await t.mutation(api.retention.cleanup, {
      batchSize: 100,
      cursor: null,
    });
    expect(r).toMatchObject({ deleted: 3, isDone: true });
    const left = (await allEvents(t)).filter(
      (d) => !d.action.startsWith("audit."),
    );
    expect(
      left.map((d) => [d.action, Math.round((NOW - d.timestamp) / DAY)]).sort(),
    ).toEqual([
      ["record.updated", 40],
      ["user.login", 200],
    ]);
  });

  test("a hold placed between two batches of a run protects its rows at once; releasing it lets the next run delete them", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const t = init();
    const ev = (tenantId: string, d: number): Ev => ({
      severity: "info",
      category: "data",
      action: "record.viewed",
      tenantId,
      timestamp: NOW - d * DAY,
    });
    await seed(
      t,
      Array.from({ length: 10 }, (_, i) => ev("org", 100 + i)),
    );
    const r1 = await t.mutation(api.retention.cleanup, {
      olderThanDays: 90,
      batchSize: 2,
      cursor: null,
    });
    expect(r1.deleted).toBe(2);
    const holdId = await t.mutation(api.retention.placeHold, {
      tenantId: "org",
      reason: "subpoena",
    });
    const r2 = await t.mutation(api.retention.cleanup, {
      olderThanDays: 90,
      batchSize: 2,
      cursor: r1.continueCursor,
    });
    expect(r2).toMatchObject({ deleted: 0, isDone: true });
    expect(
      (await allEvents(t)).filter((d) => d.tenantId === "org").length,
    ).toBe(8);
    const holds = await t.query(api.retention.listHolds, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(holds.page.map((h) => [h._id, h.tenantId, h.reason])).toEqual([
      [holdId, "org", "subpoena"],
    ]);
    expect(await t.mutation(api.retention.releaseHold, { holdId })).toBe(true);
    expect(await t.mutation(api.retention.releaseHold, { holdId })).toBe(false);
    const r3 = await t.mutation(api.retention.cleanup, {
      olderThanDays: 90,
      batchSize: 100,
      cursor: null,
    });
    expect(r3.deleted).toBe(8);
    const trail = (await allEvents(t))
      .map((d) => d.action)
      .filter((a) => a.startsWith("audit."))
      .sort();
    expect(trail).toEqual([
      "audit.hold.placed",
      "audit.hold.released",
      // Each batch that deleted something lists the leaves of what it deleted, in the log itself.
      "audit.retention.deleted",
      "audit.retention.deleted",
      "audit.retention.run",
      "audit.retention.run",
    ]);
  });
});

describe("edge cases", () => {
  test("with no olderThanDays and no policy nothing expires, and nothing is read", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const t = init();
    await seed(t, [
      {
        severity: "info",
        category: "data",
        action: "x",
        timestamp: NOW - 1000 * DAY,
      },
    ]);
    const cost = await t.run(async (ctx) => {
      const m0 = await ctx.meta.getTransactionMetrics();
      const r = await ctx.runMutation(api.retention.cleanup, { cursor: null });
      const m1 = await ctx.meta.getTransactionMetrics();
      return { r, read: m1.documentsRead.used - m0.documentsRead.used };
    });
    expect(cost.r).toMatchObject({ scanned: 0, deleted: 0, isDone: true });
    expect(cost.read).toBe(2); // the rollup watermark and the cursor key; no policy document exists
  });

  test("a stored sweep position this version cannot read starts a new sweep instead of failing", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(NOW);
    const t = init();
    await seed(t, [
      {
        severity: "info",
        category: "data",
        action: "x",
        timestamp: NOW - 100 * DAY,
      },
    ]);
    await t.run((ctx) =>
      ctx.db.insert("retentionSweeps", {
        shape: JSON.stringify(["cleanup", 90, []]),
        cursor: "r0.old",
        updatedAt: NOW,
      }),
    );
    expect(
      await t.mutation(api.retention.cleanup, { olderThanDays: 90 }),
    ).toMatchObject({ deleted: 1, isDone: true });
    expect(
      await t.run((ctx) => ctx.db.query("retentionSweeps").collect()),
    ).toEqual([]);
  });
});

describe("background runs", () => {
  test("one run at a time: a second start returns the running one, a duplicate batch does nothing", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = init();
    const ev = (d: number): Ev => ({
      severity: "info",
      category: "data",
      action: "record.viewed",
      timestamp: NOW - d * DAY,
    });
    await seed(
      t,
      Array.from({ length: 30 }, (_, i) => ev(100 + i)),
    );
    const a = await t.mutation(api.retention.startCleanup, {
      olderThanDays: 90,
      batchSize: 5,
    });
    const b = await t.mutation(api.retention.startCleanup, {
      olderThanDays: 30,
      batchSize: 5,
    });
    expect(b).toEqual({ runId: a.runId, alreadyRunning: true });
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
    const run = await t.query(api.retention.getCleanupRun, { runId: a.runId });
    expect(run).toMatchObject({ status: "done", deleted: 30, batches: 7 });
    // 30 rows in batches of 5, then one that ends the scan; each batch reads
    // its run document, the rollup's watermark and the cursor key, and each
    // delete its document.
    expect(run!.documentsRead).toBe(30 + 30 + 7 * 3);
    const c = await t.mutation(api.retention.startCleanup, {
      olderThanDays: 90,
    });
    expect(c.alreadyRunning).toBe(false);
    expect(c.runId).not.toBe(a.runId);
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
    const runs = await t.query(api.retention.listCleanupRuns, {
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(runs.page.map((r) => r.status)).toEqual(["done", "done"]);
  });

  test("a canceled run stops after its current batch and logs its summary", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = init();
    const ev = (d: number): Ev => ({
      severity: "info",
      category: "data",
      action: "record.viewed",
      timestamp: NOW - d * DAY,
    });
    await seed(
      t,
      Array.from({ length: 20 }, (_, i) => ev(100 + i)),
    );
    const { runId } = await t.mutation(api.retention.startCleanup, {
      olderThanDays: 90,
      batchSize: 5,
    });
    expect(await t.mutation(api.retention.cancelCleanup, { runId })).toBe(true);
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
    expect(await t.query(api.retention.getCleanupRun, { runId })).toMatchObject(
      { status: "canceled", deleted: 0 },
    );
    expect(await t.mutation(api.retention.cancelCleanup, { runId })).toBe(
      false,
    );
    const summaries = (await allEvents(t)).filter(
      (d) => d.action === "audit.retention.run",
    );
    expect(summaries.map((d) => d.metadata)).toEqual([
      {
        mode: "background",
        now: NOW,
        olderThanDays: 90,
        preserveSeverity: [],
        scanned: 0,
        deleted: 0,
        skippedHeld: 0,
        skippedNotRolledUp: 0,
        runId,
        canceled: 1,
        batches: 0,
        documentsRead: 0,
      },
    ]);
  });

  test("a run whose batches stopped long ago (a crash) does not block a new one", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = init();
    const stuck = await t.run((ctx) =>
      ctx.db.insert("retentionRuns", cleanupRun(NOW, { olderThanDays: undefined, batchSize: 10, seq: 3, batches: 3, startedAt: NOW - 3600_000, updatedAt: NOW - 3600_000 })),
    );
    const r = await t.mutation(api.retention.startCleanup, {
      olderThanDays: 90,
    });
    expect(r.alreadyRunning).toBe(false);
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
    expect(
      await t.query(api.retention.getCleanupRun, { runId: stuck }),
    ).toMatchObject({ status: "abandoned" });
  });
});

describe("bad input is a typed error and writes nothing", () => {
  test("cleanup arguments", async () => {
    const t = init();
    const ids = await seed(
      t,
      [{ severity: "info", category: "data", action: "x", timestamp: 1 }],
      { rolled: false },
    );
    for (const olderThanDays of [0, -1, 1.5, Number.NaN, 36_501, 1e12]) {
      await expectCode(
        t.mutation(api.retention.cleanup, { olderThanDays }),
        "INVALID_ARGUMENT",
      );
      await expectCode(
        t.mutation(api.retention.startCleanup, { olderThanDays }),
        "INVALID_ARGUMENT",
      );
    }
    for (const batchSize of [0, -5, 2.5, 4001, 1e9]) {
      await expectCode(
        t.mutation(api.retention.cleanup, { olderThanDays: 1, batchSize }),
        "INVALID_ARGUMENT",
      );
      await expectCode(
        t.mutation(api.retention.startCleanup, { olderThanDays: 1, batchSize }),
        "INVALID_ARGUMENT",
      );
    }
    await expectCode(
      t.mutation(api.retention.cleanup, {
        olderThanDays: 1,
        preserveSeverity: ["fatal"],
      }),
      "INVALID_SEVERITY",
    );
    await expectCode(
      t.mutation(api.retention.startCleanup, {
        preserveSeverity: ["info", "Critical"],
      }),
      "INVALID_SEVERITY",
    );
    // Cursors: garbage, another call's, and a tampered clock.
    await expectCode(
      t.mutation(api.retention.cleanup, { olderThanDays: 1, cursor: "nope" }),
      "INVALID_CURSOR",
    );
    await expectCode(
      t.mutation(api.retention.cleanup, { olderThanDays: 1, cursor: "r1.!!!" }),
      "INVALID_CURSOR",
    );
    const r = await t.mutation(api.retention.cleanup, {
      olderThanDays: 1,
      batchSize: 1,
      preserveSeverity: ["info"],
      cursor: null,
    });
    await expectCode(
      t.mutation(api.retention.cleanup, {
        olderThanDays: 2,
        batchSize: 1,
        preserveSeverity: ["info"],
        cursor: r.continueCursor,
      }),
      "INVALID_CURSOR",
    );
    // The cursor's own format (prefix, query tag, base64 JSON) with the clock moved a year on.
    const [prefix, tag, payload] = r.continueCursor.split(".");
    const body = JSON.parse(atob(payload)) as { now: number };
    const future = `${prefix}.${tag}.${btoa(JSON.stringify({ ...body, now: Date.now() + 365 * DAY }))}`;
    await expectCode(
      t.mutation(api.retention.cleanup, {
        olderThanDays: 1,
        batchSize: 1,
        preserveSeverity: ["info"],
        cursor: future,
      }),
      "INVALID_CURSOR",
    );
    const queryCursor = "m1." + btoa(JSON.stringify({ s: "x", t: 1, c: 1 }));
    await expectCode(
      t.mutation(api.retention.cleanup, {
        olderThanDays: 1,
        cursor: queryCursor,
      }),
      "INVALID_CURSOR",
    );
    expect((await allEvents(t)).map((d) => d._id)).toEqual(ids);
    expect(
      await t.run((ctx) => ctx.db.query("retentionRuns").collect()),
    ).toEqual([]);
    expect(
      await t.run((ctx) => ctx.db.query("retentionSweeps").collect()),
    ).toEqual([]);
  });

  test("policies and holds", async () => {
    const t = init();
    await expectCode(
      t.mutation(api.retention.setRetentionPolicy, {
        category: "auditing",
        days: 30,
      }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.setRetentionPolicy, {
        category: "auth",
        action: "user.login",
        days: 30,
      }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.setRetentionPolicy, { action: "", days: 30 }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.setRetentionPolicy, {
        action: "x".repeat(129),
        days: 30,
      }),
      "INVALID_ARGUMENT",
    );
    for (const days of [0, -1, 0.5, 36_501]) {
      await expectCode(
        t.mutation(api.retention.setRetentionPolicy, {
          category: "auth",
          days,
        }),
        "INVALID_ARGUMENT",
      );
    }
    await expectCode(
      t.mutation(api.retention.placeHold, {}),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.placeHold, { reason: "no key" }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.placeHold, { tenantId: "" }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.placeHold, { tenantId: "t", actorId: "a" }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.placeHold, { resourceType: "doc" }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.placeHold, { resourceId: "d1" }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.placeHold, {
        tenantId: "t",
        reason: "x".repeat(1025),
      }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.mutation(api.retention.releaseHold, { holdId: "nope" }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.query(api.retention.listHolds, {
        paginationOpts: { numItems: 0, cursor: null },
      }),
      "INVALID_ARGUMENT",
    );
    await expectCode(
      t.query(api.retention.listCleanupRuns, {
        paginationOpts: { numItems: 5000, cursor: null },
      }),
      "INVALID_ARGUMENT",
    );
    expect(
      await t.run((ctx) => ctx.db.query("retentionConfig").collect()),
    ).toEqual([]);
    expect(
      await t.run((ctx) => ctx.db.query("retentionHolds").collect()),
    ).toEqual([]);
    expect(await allEvents(t)).toEqual([]);
  });
});
