/**
 * Regression tests for what an adversarial review found (issue [hardening]):
 * each refused call gets the package's typed error and writes nothing.
 * Scoped counts (non-interference), cursors, CSV look-alikes and redaction
 * have their own property tests (nonInterference.test.ts,
 * src/component/cursor.test.ts, src/shared/csv.test.ts, src/shared/redact.test.ts).
 */
import fc from "fast-check";
import { afterEach, describe, expect, test, vi } from "vitest";
import { convexTest } from "convex-test";
import { anyApi } from "convex/server";
import auditLogComponent from "convex-audit-log/test";
import { exposeAuditLogApi, isAuditLogError, type AuditLogErrorCode } from "convex-audit-log";
import { api, components } from "./_generated/api";
import { auditLog } from "./auditLog";
import schema from "./schema";
import { initConvexTest, modules } from "./setup.test-helper";

type T = ReturnType<typeof initConvexTest>;
const DAY = 86_400_000;

afterEach(() => {
  vi.useRealTimers();
});

async function code(p: Promise<unknown>): Promise<AuditLogErrorCode | "accepted" | string> {
  try {
    await p;
    return "accepted";
  } catch (e) {
    return isAuditLogError(e) ? e.data.code : `untyped: ${String(e)}`;
  }
}

/** Every event in the component, as a count: a refused call leaves it unchanged. */
const eventCount = (t: T) => t.run(async (ctx) => (await auditLog.search(ctx, { pagination: { limit: 1000 } })).page.length);

describe("1. a user cannot write into another tenant's log", () => {
  const ALICE = { subject: "alice" };
  const OLGA = { subject: "olga", role: "org-admin", orgId: "org1" };
  const WINDOW = { startDate: 0, endDate: Date.UTC(2030, 0, 1) };

  test("a user's report or export naming a tenant is FORBIDDEN and writes nothing: no event, no job", async () => {
    const t = initConvexTest();
    await t.run((ctx) => auditLog.log(ctx, { action: "user.login", actorId: "alice", tenantId: "org1", timestamp: 1000 }));
    const before = await eventCount(t);
    const alice = t.withIdentity(ALICE);
    expect(await code(alice.mutation(api.auditLog.generateReport, { ...WINDOW, format: "csv", filters: { tenantId: "org1" } }))).toBe("FORBIDDEN");
    expect(await code(alice.mutation(api.auditLog.exportReport, { ...WINDOW, format: "csv", filters: { tenantId: "org1" } }))).toBe("FORBIDDEN");
    expect(await eventCount(t)).toBe(before);
    expect(await t.run((ctx) => ctx.runQuery(components.auditLog.reports.getExport, { jobId: "x" }))).toBeNull();
    // Her own report is in no tenant's log, so org1's admin does not see it.
    await alice.mutation(api.auditLog.generateReport, { ...WINDOW, format: "csv" });
    const olgaSees = await t.withIdentity(OLGA).query(api.auditLog.search, {
      filters: { actions: ["audit.report.generated"] },
      paginationOpts: { numItems: 10, cursor: null },
    });
    expect(olgaSees.page).toEqual([]);
  });

  test("the filters a report's event records are bounded, whatever the caller sends", async () => {
    const t = initConvexTest();
    const olga = t.withIdentity(OLGA);
    const actions = Array.from({ length: 50 }, (_, i) => `${"a".repeat(250)}.${i}`);
    const report = await olga.mutation(api.auditLog.generateReport, { ...WINDOW, format: "csv", filters: { actions, tags: actions } });
    const [event] = (await t.run((ctx) => auditLog.search(ctx, { filters: { actions: ["audit.report.generated"] } }))).page;
    const recorded = (event.metadata as { filters: Record<string, unknown> }).filters;
    expect(recorded).toMatchObject({ truncated: true, actions: { count: 50 }, tags: { count: 50 }, tenantId: "org1" });
    expect(recorded.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(event.metadata).length).toBeLessThan(4096);
    expect(report.recordCount).toBe(0);
  });
});

describe("4. typed errors where Convex would have thrown its own", () => {
  const hostile: Array<[string, unknown]> = [
    ["an unknown field on the event", { action: "x", colour: "red" }],
    ["an unknown field in context", { action: "x", context: { ip: "1.2.3.4", country: "NL" } }],
    ["an unknown field in actor", { action: "x", actor: { id: "u", nickname: "z" } }],
    ["generateDiff that is not a boolean", { action: "x", generateDiff: "yes" }],
    ["context that is a string", { action: "x", context: "x" }],
    ["actor that is an array", { action: "x", actor: [] }],
    ["actorId that is a number", { action: "x", actorId: 7 }],
    ["null", null],
    ["a string", "user.login"],
    ["a timestamp no Date holds", { action: "x", timestamp: 1e300 }],
    ["a negative timestamp", { action: "x", timestamp: -1 }],
  ];
  for (const [what, event] of hostile) {
    test(`log with ${what} is INVALID_ARGUMENT and writes nothing`, async () => {
      const t = initConvexTest();
      expect(await code(t.run((ctx) => auditLog.log(ctx, event as never)))).toBe("INVALID_ARGUMENT");
      expect(await code(t.run((ctx) => auditLog.logBulk(ctx, [{ action: "ok" }, event as never])))).toBe("INVALID_ARGUMENT");
      expect(await eventCount(t)).toBe(0);
    });
  }

  test("logBulk of 500 events of 40 KiB (each within the 64 KiB limit) is BATCH_TOO_LARGE and writes nothing", async () => {
    const t = initConvexTest();
    const blob = "z".repeat(40 * 1024);
    const events = Array.from({ length: 500 }, (_, i) => ({ action: "bulk.import", metadata: { i, blob } }));
    expect(await code(t.run((ctx) => auditLog.logBulk(ctx, events)))).toBe("BATCH_TOO_LARGE");
    // Straight to the component too: it counts the stored bytes before the first insert.
    expect(await code(t.mutation(components.auditLog.log.logBulk, { events }))).toBe("BATCH_TOO_LARGE");
    expect(await eventCount(t)).toBe(0);
    // What fits is written whole.
    expect(await t.run((ctx) => auditLog.logBulk(ctx, events.slice(0, 150)))).toHaveLength(150);
  });

  test("search, report and export filters that are not filters, or of the wrong type, are INVALID_ARGUMENT", async () => {
    const t = initConvexTest();
    const window = { startDate: 0, endDate: 1 };
    for (const filters of [{ colour: "red" }, { actions: "user.login" }, { actions: [7] }, { tenantId: ["t1"] }, { fromTimestamp: "now" }, { query: 5 }, "x", [1]]) {
      const bad = filters as never;
      expect(await code(t.run((ctx) => auditLog.search(ctx, { filters: bad }))), JSON.stringify(filters)).toBe("INVALID_ARGUMENT");
      expect(await code(t.run((ctx) => auditLog.generateReport(ctx, { ...window, format: "csv", filters: bad })))).toBe("INVALID_ARGUMENT");
      expect(await code(t.run((ctx) => auditLog.exportReport(ctx, { ...window, format: "csv", filters: bad })))).toBe("INVALID_ARGUMENT");
    }
    expect(await eventCount(t)).toBe(0);
  });

  test("reports and exports with dates no Date holds are INVALID_ARGUMENT, not a RangeError, and write nothing", async () => {
    const t = initConvexTest();
    for (const [startDate, endDate] of [
      [1e300, 2e300],
      [0, 1e300],
      [-1e300, 0],
      [0, Number.MAX_VALUE],
    ]) {
      expect(await code(t.run((ctx) => auditLog.generateReport(ctx, { startDate, endDate, format: "csv" })))).toBe("INVALID_ARGUMENT");
      expect(await code(t.run((ctx) => auditLog.exportReport(ctx, { startDate, endDate, format: "csv" })))).toBe("INVALID_ARGUMENT");
      expect(await code(t.run((ctx) => auditLog.generateReport(ctx, { startDate: new Date(startDate), endDate, format: "json" })))).toBe(
        "INVALID_ARGUMENT",
      );
    }
    expect(await eventCount(t)).toBe(0);
  });
});

describe("5. ids Convex would order differently are refused", () => {
  // A hostile alphabet: ASCII, accents, non-BMP, the last BMP code point, lone surrogates, bidi controls, separators, controls.
  const ALPHABET = ["a", "b", "é", "😀", "\uffff", "\ud800", "\udc00", "\u202e", "\u2066", "\u200f", "\u2028", "\u2029", "\u0000", "\u001b", " "];
  const FORBIDDEN = /[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029\uD800-\uDFFF]/u;
  const idArb = fc.array(fc.constantFrom(...ALPHABET), { minLength: 1, maxLength: 4 }).map((cs) => cs.join(""));

  test("a tenant id is refused with a typed error exactly when it holds such a character; with holds on accepted ones, cleanup finishes and keeps exactly the held (property)", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const NOW = Date.UTC(2026, 5, 1);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(idArb, { minLength: 1, maxLength: 5 }), fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }), async (ids, held) => {
        vi.setSystemTime(NOW - 60_000);
        const t = initConvexTest();
        const accepted: string[] = [];
        for (const id of ids) {
          const bad = FORBIDDEN.test(id) || id.trim().length === 0;
          const result = await code(t.run((ctx) => auditLog.log(ctx, { action: "x", tenantId: id, timestamp: NOW - 200 * DAY })));
          expect(result, JSON.stringify(id)).toBe(bad ? "INVALID_ARGUMENT" : "accepted");
          if (!bad) accepted.push(id);
          // A hold on a refused id is refused the same way.
          if (bad) expect(await code(t.run((ctx) => auditLog.placeHold(ctx, { tenantId: id })))).toBe("INVALID_ARGUMENT");
        }
        const holds = accepted.filter((_, i) => held[i]);
        for (const tenantId of holds) await t.run((ctx) => auditLog.placeHold(ctx, { tenantId }));
        vi.setSystemTime(NOW);
        let cursor: string | null = null;
        for (let i = 0; i < 50; i++) {
          const r = await t.run((ctx) => auditLog.cleanupBatch(ctx, { olderThanDays: 90, batchSize: 2, cursor }));
          if (r.isDone) break;
          cursor = r.continueCursor;
          expect(i, "cleanup must finish").toBeLessThan(49);
        }
        const left = (await t.run((ctx) => auditLog.search(ctx, { filters: { actions: ["x"] }, pagination: { limit: 100 } }))).page;
        expect(left.map((e) => e.tenantId).sort()).toEqual([...holds].sort());
      }),
      { numRuns: 200 },
    );
  });

  test("actions and other ids are checked the same way", async () => {
    const t = initConvexTest();
    for (const bad of ["a\u202eb", "a\u2028b", "a\ud800", "\u200fx"]) {
      expect(await code(t.run((ctx) => auditLog.log(ctx, { action: bad })))).toBe("INVALID_ACTION");
      for (const field of ["actorId", "resourceId", "idempotencyKey"] as const) {
        const event = { action: "x", resourceType: "doc", [field]: bad };
        expect(await code(t.run((ctx) => auditLog.log(ctx, event))), `${field} ${JSON.stringify(bad)}`).toBe("INVALID_ARGUMENT");
      }
      expect(await code(t.run((ctx) => auditLog.log(ctx, { action: "x", tags: [bad] })))).toBe("INVALID_ARGUMENT");
      expect(await code(t.run((ctx) => auditLog.search(ctx, { filters: { tenantId: bad } })))).toBe("INVALID_ARGUMENT");
    }
    expect(await eventCount(t)).toBe(0);
  });
});

describe("8. scope objects the types forbid are refused, never widened", () => {
  let returned: unknown = null;
  const probe = exposeAuditLogApi(components.auditLog, { auth: async () => returned as never });
  const fn = anyApi.scopeShapes;
  const init = () => {
    const t = convexTest({ schema, modules: { ...modules, "./scopeShapes.ts": async () => probe }, transactionLimits: true });
    auditLogComponent.register(t);
    return t;
  };

  test("anything but one of the four shapes is INVALID_CONFIG; nothing is UNAUTHORIZED", async () => {
    const t = init();
    await t.run((ctx) => auditLog.log(ctx, { action: "x", actorId: "u1", tenantId: "t1" }));
    const bad: unknown[] = [
      { actorId: "u1", tenantId: "t1" },
      { admin: true, tenantId: "t1" },
      { admin: true, actorId: "u1" },
      { admin: "yes" },
      { admin: false },
      { actorId: "" },
      { tenantId: 7 },
      { actorId: "x".repeat(300) },
      { userId: "u1" },
      {},
      42,
      true,
      ["u1"],
    ];
    for (const scope of bad) {
      returned = scope;
      expect(await code(t.query(fn.search, { filters: {}, paginationOpts: { numItems: 10, cursor: null } })), JSON.stringify(scope)).toBe(
        "INVALID_CONFIG",
      );
      expect(await code(t.mutation(fn.generateReport, { startDate: 0, endDate: 1, format: "csv" })), JSON.stringify(scope)).toBe("INVALID_CONFIG");
    }
    for (const scope of [null, undefined, ""]) {
      returned = scope;
      expect(await code(t.query(fn.get, { id: "x" }))).toBe("UNAUTHORIZED");
    }
    // The four shapes still work; a shape with an explicitly undefined second key is that shape.
    for (const scope of ["u1", { actorId: "u1" }, { tenantId: "t1", actorId: undefined }, { admin: true }]) {
      returned = scope;
      expect(await code(t.query(fn.search, { filters: {}, paginationOpts: { numItems: 10, cursor: null } }))).toBe("accepted");
    }
  });
});

describe("9. cancelling an export is on the record", () => {
  test("cancelReportExport deletes the parts and logs audit.report.export_canceled with who cancelled it", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    await t.run((ctx) => auditLog.logBulk(ctx, [{ action: "a", timestamp: 1 }, { action: "b", timestamp: 2 }]));
    const jobId = await t.withIdentity({ subject: "starter" }).run((ctx) => auditLog.exportReport(ctx, { startDate: 0, endDate: 10, format: "csv" }));
    expect(await t.withIdentity({ subject: "canceller" }).run((ctx) => auditLog.cancelReportExport(ctx, { jobId }))).toBe(true);
    await t.finishAllScheduledFunctions(vi.runAllTimers);
    expect(await t.run((ctx) => auditLog.getReportExport(ctx, { jobId }))).toMatchObject({ status: "canceled", files: [] });
    const [event] = (await t.run((ctx) => auditLog.search(ctx, { filters: { actions: ["audit.report.export_canceled"] } }))).page;
    expect(event).toMatchObject({ actorId: "canceller", resourceType: "auditReport", resourceId: jobId, category: "admin" });
    // A second cancel finds nothing running and writes nothing more.
    expect(await t.run((ctx) => auditLog.cancelReportExport(ctx, { jobId }))).toBe(false);
    expect((await t.run((ctx) => auditLog.search(ctx, { filters: { actions: ["audit.report.export_canceled"] } }))).page).toHaveLength(1);
  });
});
