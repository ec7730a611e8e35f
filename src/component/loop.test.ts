/// <reference types="vite/client" />
/**
 * The one recovery rule of the background loops (loop.ts), driven through
 * the cron's target: a stalled cleanup run or export is resumed at half its
 * size from where it was, and one that stalled at the smallest size is
 * stopped for good, on the record.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { LOOP_LIMITS } from "./loop.js";
import { cleanupRun, initConvexTest, type T } from "./setup.test.js";

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 5, 1);

afterEach(() => {
  vi.useRealTimers();
});

/** Events 200 days old, logged a minute ago and folded into the statistics (cleanup deletes nothing before). */
async function oldEvents(t: T, n: number) {
  vi.setSystemTime(NOW - 60_000);
  await t.mutation(api.log.logBulk, {
    events: Array.from({ length: n }, (_, i) => ({ action: "record.viewed", actorId: `a${i % 3}`, timestamp: NOW - 200 * DAY + i })),
  });
  vi.setSystemTime(NOW);
  await t.mutation(api.stats.rollup, { settleMs: 0 });
}

/** A running cleanup run whose batches stopped without a word (its step lost), last seen `ago` ms before now. */
async function stalledRun(t: T, ago: number, scale?: number) {
  return await t.run((ctx) =>
    ctx.db.insert("retentionRuns", cleanupRun(NOW, { startedAt: NOW - ago, updatedAt: NOW - ago, ...(scale === undefined ? {} : { scale }) })),
  );
}

describe("background loops: one recovery rule", () => {
  test("a run with recent progress is left alone; one stalled for longer than stallMs is resumed at half size and finishes", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = initConvexTest();
    await oldEvents(t, 10);
    const runId = await stalledRun(t, LOOP_LIMITS.stallMs / 2);
    await t.mutation(internal.background.tick, {});
    expect(await t.run((ctx) => ctx.db.get(runId))).toMatchObject({ seq: 0, updatedAt: NOW - LOOP_LIMITS.stallMs / 2 });

    vi.setSystemTime(NOW + LOOP_LIMITS.stallMs);
    await t.mutation(internal.background.tick, {});
    const resumed = await t.run((ctx) => ctx.db.get(runId));
    expect(resumed).toMatchObject({ status: "running", seq: 0, scale: 0.5 });
    expect(resumed?.job).toBeDefined();
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    // Batches of 4 × 0.5 = 2 rows, doubling back to 4 as they succeed.
    const done = await t.query(api.retention.getCleanupRun, { runId });
    expect(done).toMatchObject({ status: "done", deleted: 10 });
    expect(done!.batches).toBeGreaterThan(3);
  });

  test("a run whose scheduled batch failed is resumed at once, without waiting for stallMs", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = initConvexTest();
    await oldEvents(t, 3);
    const runId = await stalledRun(t, 0);
    // A batch that fails: its argument is not a run id, so Convex refuses it.
    const job = await t.run((ctx) =>
      ctx.scheduler.runAfter(0, internal.retention.runCleanupBatch, { runId: "not-an-id" as Id<"retentionRuns">, seq: 0 }),
    );
    await t.run((ctx) => ctx.db.patch(runId, { job }));
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    errors.mockRestore();
    expect((await t.run((ctx) => ctx.db.system.get(job)))?.state.kind).toBe("failed");
    await t.mutation(internal.background.tick, {});
    expect(await t.run((ctx) => ctx.db.get(runId))).toMatchObject({ scale: 0.5 });
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.retention.getCleanupRun, { runId })).toMatchObject({ status: "done", deleted: 3 });
  });

  test("a run that stalls again at the smallest size is abandoned, and that is on the record", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = initConvexTest();
    const runId = await stalledRun(t, LOOP_LIMITS.stallMs + 1, LOOP_LIMITS.minScale);
    await t.mutation(internal.background.tick, {});
    expect(await t.query(api.retention.getCleanupRun, { runId })).toMatchObject({ status: "abandoned" });
    const events = await t.query(api.queries.watchCritical, { severity: ["info"], limit: 10 });
    expect(events.map((e) => [e.action, e.metadata?.abandoned])).toEqual([["audit.retention.run", 1]]);
  });

  test("an export whose step died is resumed from its last part and finishes; one that keeps stalling fails, its parts deleted", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    const t = initConvexTest();
    await t.mutation(api.log.logBulk, { events: Array.from({ length: 5 }, (_, i) => ({ action: "user.login", timestamp: 1000 + i })) });
    const start = () =>
      t.mutation(api.reports.startExport, { startDate: 0, endDate: 2000, format: "csv", requestEvent: { action: "x", actorId: "admin" } });
    // The first step is lost: the scheduled function is canceled before it runs.
    const jobId = (await start()) as Id<"reports">;
    await t.run(async (ctx) => {
      for (const f of await ctx.db.system.query("_scheduled_functions").collect()) {
        if (f.state.kind === "pending") await ctx.scheduler.cancel(f._id);
      }
    });
    await t.mutation(internal.background.tick, {});
    expect(await t.query(api.reports.getExport, { jobId })).toMatchObject({ status: "running", rowsWritten: 0 });
    vi.setSystemTime(NOW + LOOP_LIMITS.stallMs + 1);
    await t.mutation(internal.background.tick, {});
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.query(api.reports.getExport, { jobId })).toMatchObject({ status: "done", rowsWritten: 5 });

    const stuck = (await start()) as Id<"reports">;
    const part = await t.run((ctx) => ctx.storage.store(new Blob(["a\r\n"])));
    await t.run((ctx) =>
      ctx.db.patch(stuck, { scale: LOOP_LIMITS.minScale, updatedAt: 0, parts: [{ storageId: part, rows: 1, bytes: 3, sha256: "x" }] }),
    );
    await t.run(async (ctx) => {
      for (const f of await ctx.db.system.query("_scheduled_functions").collect()) {
        if (f.state.kind === "pending") await ctx.scheduler.cancel(f._id);
      }
    });
    await t.mutation(internal.background.tick, {});
    expect(await t.query(api.reports.getExport, { jobId: stuck })).toMatchObject({ status: "failed", error: { code: "STALLED" } });
    expect(await t.run((ctx) => ctx.storage.get(part))).toBeNull();
  });
});
