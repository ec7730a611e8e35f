/// <reference types="vite/client" />
/**
 * The export's guards, driven directly: convex-test runs one function at a
 * time, so two steps of one job never interleave there as they can in
 * production; these calls make the interleavings happen by hand.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { api, internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import { initConvexTest } from "./setup.test.js";

const init = () => initConvexTest();
const totals = { rows: 1, bytes: 3, scanned: 1, documentsRead: 2, bytesRead: 100, pages: 1 };

afterEach(() => {
  vi.useRealTimers();
});

async function startJob(t: ReturnType<typeof init>) {
  await t.mutation(api.log.logBulk, { events: [{ action: "user.login", timestamp: 1000 }] });
  const jobId = (await t.mutation(api.reports.startExport, {
    startDate: 0,
    endDate: 2000,
    format: "csv",
    requestEvent: { action: "ignored", actorId: "admin_1" },
  })) as Id<"reports">;
  const storageId = await t.run((ctx) => ctx.storage.store(new Blob(["a\r\n"])));
  return { jobId, storageId };
}

describe("export step guards", () => {
  test("a part recorded by a stale step (another step already moved the job on) is deleted, and the job is untouched", async () => {
    vi.useFakeTimers();
    const t = init();
    const { jobId, storageId } = await startJob(t);
    const before = await t.run((ctx) => ctx.db.get(jobId));
    await t.mutation(internal.reports.recordPart, {
      jobId,
      seq: 1,
      cursor: null,
      isDone: false,
      part: { storageId, rows: 1, bytes: 3, sha256: "x" },
      totals,
    });
    expect(await t.run((ctx) => ctx.db.get(jobId))).toEqual(before);
    expect(await t.run((ctx) => ctx.storage.get(storageId))).toBeNull();
  });

  test("the step whose sequence number matches records its part once; a second record with the same number is refused", async () => {
    vi.useFakeTimers();
    const t = init();
    const { jobId, storageId } = await startJob(t);
    const other = await t.run((ctx) => ctx.storage.store(new Blob(["b\r\n"])));
    const record = (id: Id<"_storage">) =>
      t.mutation(internal.reports.recordPart, {
        jobId,
        seq: 0,
        cursor: null,
        isDone: true,
        part: { storageId: id, rows: 1, bytes: 3, sha256: "x" },
        totals,
      });
    await record(storageId);
    await record(other);
    const job = (await t.run((ctx) => ctx.db.get(jobId)))!;
    expect(job).toMatchObject({ status: "done", seq: 1, rowsWritten: 1, bytes: 3, documentsRead: 2 });
    expect(job.parts.map((p) => p.storageId)).toEqual([storageId]);
    expect(await t.run((ctx) => ctx.storage.get(other))).toBeNull();
  });

  test("a stale failure does not fail a job that moved on; a current one does, and deletes its parts", async () => {
    vi.useFakeTimers();
    const t = init();
    const { jobId, storageId } = await startJob(t);
    await t.mutation(internal.reports.recordPart, {
      jobId,
      seq: 0,
      cursor: "m1.x",
      isDone: false,
      part: { storageId, rows: 1, bytes: 3, sha256: "x" },
      totals,
    });
    await t.mutation(internal.reports.failExport, { jobId, seq: 0, code: "EXPORT_FAILED", message: "late" });
    expect((await t.run((ctx) => ctx.db.get(jobId)))!.status).toBe("running");
    await t.mutation(internal.reports.failExport, { jobId, seq: 1, code: "EXPORT_FAILED", message: "boom" });
    const job = (await t.run((ctx) => ctx.db.get(jobId)))!;
    expect(job).toMatchObject({ status: "failed", error: { code: "EXPORT_FAILED", message: "boom" }, parts: [] });
    expect(await t.run((ctx) => ctx.storage.get(storageId))).toBeNull();
  });
});
