/**
 * The exposed report calls (generateReport, exportReport, getReportExport,
 * cancelReportExport): the auth callback's scope is forced into the filters,
 * a filter outside it is FORBIDDEN, bad input is a typed error, and a refused
 * call writes nothing.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { convexTest } from "convex-test";
import { anyApi } from "convex/server";
import auditLogComponent from "convex-audit-log/test";
import { exposeAuditLogApi, isAuditLogError, type AuditOperation, type ReportField } from "convex-audit-log";
import { api, components } from "./_generated/api";
import { auditLog } from "./auditLog";
import schema from "./schema";
import { initConvexTest, modules } from "./setup.test-helper";

type T = ReturnType<typeof initConvexTest>;

// Seeded events sit in March 2025: the reports' own events (logged now) never fall in their window.
const MARCH = Date.UTC(2025, 2, 1);
const END_OF_MARCH = Date.UTC(2025, 3, 1) - 1;
const day = (n: number) => MARCH + n * 86_400_000;
const WINDOW = { startDate: MARCH, endDate: END_OF_MARCH };
const COLUMNS: ReportField[] = ["resourceId", "action", "actorId", "tenantId"];

const ROOT = { subject: "root", role: "admin" };
const OLGA = { subject: "olga", role: "org-admin", orgId: "org1" };
const OLIVIA = { subject: "olivia", role: "org-admin", orgId: "org1" };
const OSCAR = { subject: "oscar", role: "org-admin", orgId: "org2" };
const ALICE = { subject: "alice" };
const BOB = { subject: "bob" };

/** Each event's resourceId names it, so a report's rows read as a list of names. */
async function seed(t: T) {
  await t.run((ctx) =>
    auditLog.logBulk(ctx, [
      { action: "user.login", actorId: "alice", tenantId: "org1", resourceType: "e", resourceId: "e1", timestamp: day(1) },
      { action: "document.updated", actorId: "bob", tenantId: "org1", resourceType: "e", resourceId: "e2", timestamp: day(2) },
      { action: "user.login", actorId: "mallory", tenantId: "org2", resourceType: "e", resourceId: "e3", timestamp: day(3) },
      { action: "document.created", actorId: "alice", tenantId: "org2", resourceType: "e", resourceId: "e4", timestamp: day(4) },
      { action: "system.cron", tenantId: "org1", resourceType: "e", resourceId: "e5", timestamp: day(5) },
      { action: "user.login", actorId: "alice", resourceType: "e", resourceId: "e6", timestamp: day(6) },
    ]),
  );
}

/** The report's rows (newest first) by event name; the seeded cells hold no comma or quote. */
function rowNames(data: string): string[] {
  const [header, ...rows] = data.split("\r\n").slice(0, -1).map((line) => line.split(","));
  expect(header).toEqual(COLUMNS);
  return rows.map((r) => r[0]);
}

/** The error's code when it is one of this package's typed errors; says what it was otherwise. */
const typedCode = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "no error",
    (e: unknown) => (isAuditLogError(e) ? e.data.code : `untyped: ${String(e)}`),
  );

/** Everything in the log, as a count: a refused call must leave it unchanged. */
async function eventCount(t: T): Promise<number> {
  const page = await t.run((ctx) => auditLog.search(ctx, { filters: {}, pagination: { limit: 500 } }));
  expect(page.isDone).toBe(true);
  return page.page.length;
}

async function eventsByAction(t: T, action: string) {
  return (await t.run((ctx) => auditLog.search(ctx, { filters: { actions: [action] }, pagination: { limit: 100 } }))).page;
}

const as = (t: T, who: object) => t.withIdentity(who as never);
const report = (t: T, who: object, filters?: object) =>
  as(t, who).mutation(api.auditLog.generateReport, { ...WINDOW, format: "csv", includeFields: COLUMNS, ...(filters ? { filters } : {}) });

describe("exposed generateReport: the caller's scope is forced into the filters", () => {
  test("an admin gets every row; a tenant admin their tenant's even with no filter; a user their own", async () => {
    const t = initConvexTest();
    await seed(t);
    expect(rowNames((await report(t, ROOT)).data)).toEqual(["e6", "e5", "e4", "e3", "e2", "e1"]);
    expect(rowNames((await report(t, OLGA)).data)).toEqual(["e5", "e2", "e1"]);
    expect(rowNames((await report(t, OSCAR)).data)).toEqual(["e4", "e3"]);
    expect(rowNames((await report(t, ALICE)).data)).toEqual(["e6", "e4", "e1"]);
    // Filters inside the scope narrow it further.
    expect(rowNames((await report(t, OLGA, { tenantId: "org1", actorIds: ["alice"] })).data)).toEqual(["e1"]);
    expect(rowNames((await report(t, ALICE, { actorIds: ["alice"], actions: ["user.login"] })).data)).toEqual(["e6", "e1"]);
    // A tenant admin naming another tenant's actor finds nothing of the other tenant.
    expect(rowNames((await report(t, OLGA, { actorIds: ["mallory"] })).data)).toEqual([]);
  });

  test("a filter outside the scope is FORBIDDEN, not narrowed, and writes nothing", async () => {
    const t = initConvexTest();
    await seed(t);
    const before = await eventCount(t);
    expect(await typedCode(report(t, ALICE, { actorIds: ["bob"] }))).toBe("FORBIDDEN");
    expect(await typedCode(report(t, ALICE, { actorIds: ["alice", "bob"] }))).toBe("FORBIDDEN");
    expect(await typedCode(report(t, OLGA, { tenantId: "org2" }))).toBe("FORBIDDEN");
    expect(await typedCode(report(t, OSCAR, { tenantId: "org1", actorIds: ["alice"] }))).toBe("FORBIDDEN");
    // A user's report is in no tenant's log: naming a tenant would write into that tenant's.
    expect(await typedCode(report(t, ALICE, { tenantId: "org2" }))).toBe("FORBIDDEN");
    expect(await typedCode(report(t, ALICE, { tenantId: "org1", actorIds: ["alice"] }))).toBe("FORBIDDEN");
    expect(await eventCount(t)).toBe(before);
    expect(await eventsByAction(t, "audit.report.generated")).toEqual([]);
  });

  test("an anonymous caller is UNAUTHORIZED on every report call, and nothing is written", async () => {
    const t = initConvexTest();
    await seed(t);
    const before = await eventCount(t);
    expect(await typedCode(t.mutation(api.auditLog.generateReport, { ...WINDOW, format: "csv" }))).toBe("UNAUTHORIZED");
    expect(await typedCode(t.mutation(api.auditLog.exportReport, { ...WINDOW, format: "csv" }))).toBe("UNAUTHORIZED");
    expect(await typedCode(t.query(api.auditLog.getReportExport, { jobId: "x" }))).toBe("UNAUTHORIZED");
    expect(await typedCode(t.mutation(api.auditLog.cancelReportExport, { jobId: "x" }))).toBe("UNAUTHORIZED");
    expect(await eventCount(t)).toBe(before);
  });

  test("the CSV is cell for cell the client's generateReport with the effective filters", async () => {
    const t = initConvexTest();
    await seed(t);
    const cases: Array<[object, object | undefined, object]> = [
      [ROOT, undefined, {}],
      [ROOT, { tenantId: "org2" }, { tenantId: "org2" }],
      [OLGA, undefined, { tenantId: "org1" }],
      [OLGA, { actions: ["user.login", "system.cron"] }, { tenantId: "org1", actions: ["user.login", "system.cron"] }],
      [ALICE, undefined, { actorIds: ["alice"] }],
      [ALICE, { actions: ["user.login"] }, { actions: ["user.login"], actorIds: ["alice"] }],
    ];
    for (const [who, given, effective] of cases) {
      const args = { ...WINDOW, includeFields: ["_id", "timestamp", ...COLUMNS] as ReportField[], groupBy: "action" as const };
      const exposed = await as(t, who).mutation(api.auditLog.generateReport, { ...args, format: "csv", ...(given ? { filters: given } : {}) });
      const direct = await t.run((ctx) => auditLog.generateReport(ctx, { ...args, format: "csv", filters: effective }));
      expect(exposed.data, JSON.stringify([who, given])).toBe(direct.data);
      expect(exposed.sha256).toBe(direct.sha256);
      expect(exposed.groups).toEqual(direct.groups);
      expect(exposed.recordCount).toBeGreaterThan(0);
    }
  });

  test("the report's own audit event names the caller, with the effective filters", async () => {
    const t = initConvexTest();
    await seed(t);
    const mine = await report(t, ALICE);
    const org = await report(t, OLGA, { actions: ["user.login"] });
    const all = await report(t, ROOT);
    const events = await eventsByAction(t, "audit.report.generated");
    expect(events.map((e) => [e.actorId, e.tenantId])).toEqual([
      ["root", undefined],
      ["olga", "org1"],
      ["alice", undefined],
    ]);
    expect(events.map((e) => (e.metadata as { sha256: string }).sha256)).toEqual([all.sha256, org.sha256, mine.sha256]);
    expect(events.map((e) => (e.metadata as { filters: unknown }).filters)).toEqual([
      {},
      { tenantId: "org1", actions: ["user.login"] },
      { actorIds: ["alice"] },
    ]);
    // Each run is in the log of the one who ran it, through their own scope.
    const ownRuns = async (who: object) =>
      (await as(t, who).query(api.auditLog.search, { filters: { actions: ["audit.report.generated"] }, paginationOpts: { numItems: 10, cursor: null } })).page.map((e) => e.actorId);
    expect(await ownRuns(ALICE)).toEqual(["alice"]);
    expect(await ownRuns(OLGA)).toEqual(["olga"]);
  });

  test("hostile arguments get the client's typed errors and write nothing", async () => {
    const t = initConvexTest();
    await seed(t);
    const before = await eventCount(t);
    const base = { ...WINDOW, format: "csv" };
    const hostile: Array<[object, string]> = [
      [{ ...base, startDate: END_OF_MARCH, endDate: MARCH }, "INVALID_ARGUMENT"],
      [{ ...base, startDate: NaN }, "INVALID_ARGUMENT"],
      [{ ...base, format: "xml" }, "INVALID_ARGUMENT"],
      [{ ...base, includeFields: ["actorId", "password"] }, "INVALID_ARGUMENT"],
      [{ ...base, includeFields: ["actorId", "actorId"] }, "INVALID_ARGUMENT"],
      [{ ...base, includeFields: [] }, "INVALID_ARGUMENT"],
      [{ ...base, groupBy: "summary" }, "INVALID_ARGUMENT"],
      [{ ...base, groupBy: "timestamp" }, "INVALID_ARGUMENT"],
      [{ ...base, filters: { fromTimestamp: 0 } }, "INVALID_ARGUMENT"],
      [{ ...base, filters: { query: "login" } }, "INVALID_ARGUMENT"],
      [{ ...base, filters: { severity: ["loud"] } }, "INVALID_SEVERITY"],
      [{ ...base, filters: { resourceId: "e1" } }, "INVALID_ARGUMENT"],
    ];
    for (const who of [ROOT, OLGA, ALICE]) {
      for (const [args, code] of hostile) {
        const call = as(t, who).mutation(api.auditLog.generateReport, args as never);
        expect(await typedCode(call), JSON.stringify([who, args])).toBe(code);
      }
    }
    expect(await eventCount(t)).toBe(before);
  });
});

// Exports schedule their steps: fake timers hold them until a test runs them.
beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe("exposed exports: started in a scope, seen and canceled only within it", () => {

  const start = (t: T, who: object, extra: object = {}) =>
    as(t, who).mutation(api.auditLog.exportReport, { ...WINDOW, format: "csv", includeFields: COLUMNS, ...extra });
  const status = (t: T, who: object, jobId: string) => as(t, who).query(api.auditLog.getReportExport, { jobId });
  const cancel = (t: T, who: object, jobId: string) => as(t, who).mutation(api.auditLog.cancelReportExport, { jobId });

  test("a user's export holds their events; only they and an admin see it; the file equals their report", async () => {
    const t = initConvexTest();
    await seed(t);
    const jobId = await start(t, ALICE);
    for (const who of [ALICE, ROOT]) expect((await status(t, who, jobId))?.status).toBe("running");
    for (const who of [BOB, OLGA, OSCAR]) expect(await status(t, who, jobId)).toBeNull();
    await t.finishAllScheduledFunctions(vi.runAllTimers, 100);

    const job = (await status(t, ALICE, jobId))!;
    expect(job).toMatchObject({ status: "done", requestedBy: "alice", rowsWritten: 3, filters: { actorIds: ["alice"] } });
    expect(job.tenantId).toBeUndefined();
    const parts: string[] = [];
    for (let part = 0; part < job.files.length; part++) {
      const bytes = await t.action((ctx) => auditLog.readReportPart(ctx, { jobId, part }));
      parts.push(new TextDecoder().decode(bytes!));
    }
    expect(parts.join("")).toBe((await report(t, ALICE)).data);

    const [started] = await eventsByAction(t, "audit.report.export_started");
    expect(started).toMatchObject({ actorId: "alice", resourceId: jobId });
    const generated = (await eventsByAction(t, "audit.report.generated")).find((e) => e.resourceId === jobId);
    expect(generated).toMatchObject({ actorId: "alice" });
  });

  test("a tenant admin's export is confined to the tenant, visible to its admins only, and cancelable by them", async () => {
    const t = initConvexTest();
    await seed(t);
    const jobId = await start(t, OLGA, { partBytes: 1024 });
    expect(await status(t, OLIVIA, jobId)).toMatchObject({ status: "running", tenantId: "org1", requestedBy: "olga" });
    expect(await status(t, ROOT, jobId)).not.toBeNull();
    for (const who of [OSCAR, ALICE, BOB]) {
      expect(await status(t, who, jobId)).toBeNull();
      expect(await cancel(t, who, jobId)).toBe(false);
    }
    expect((await status(t, OLGA, jobId))?.status).toBe("running");
    expect(await cancel(t, OLIVIA, jobId)).toBe(true);
    expect((await status(t, OLGA, jobId))?.status).toBe("canceled");
    expect(await cancel(t, OLGA, jobId)).toBe(false);
    expect(await status(t, OLGA, "not-an-id")).toBeNull();
  });

  test("a user may cancel their own export, not someone else's", async () => {
    const t = initConvexTest();
    await seed(t);
    const mine = await start(t, ALICE);
    const theirs = await start(t, ROOT);
    expect(await cancel(t, BOB, mine)).toBe(false);
    expect(await cancel(t, ALICE, theirs)).toBe(false);
    expect((await status(t, ROOT, theirs))?.status).toBe("running");
    expect(await cancel(t, ALICE, mine)).toBe(true);
    expect((await status(t, ALICE, mine))?.status).toBe("canceled");
  });

  test("a user does not see a job an admin ran on their behalf over others' events", async () => {
    const t = initConvexTest();
    await seed(t);
    // requestedBy alone is not enough: the job must hold only the viewer's events.
    const jobId = await t.run((ctx) => auditLog.exportReport(ctx, { ...WINDOW, format: "csv", requestedBy: "alice" }));
    expect(await status(t, ALICE, jobId)).toBeNull();
    expect(await cancel(t, ALICE, jobId)).toBe(false);
    expect(await status(t, ROOT, jobId)).not.toBeNull();
  });

  test("forbidden and hostile export requests write nothing", async () => {
    const t = initConvexTest();
    await seed(t);
    const before = await eventCount(t);
    expect(await typedCode(start(t, ALICE, { filters: { actorIds: ["bob"] } }))).toBe("FORBIDDEN");
    expect(await typedCode(start(t, OLGA, { filters: { tenantId: "org2" } }))).toBe("FORBIDDEN");
    expect(await typedCode(start(t, ALICE, { startDate: END_OF_MARCH, endDate: MARCH }))).toBe("INVALID_ARGUMENT");
    expect(await typedCode(start(t, OLGA, { format: "json" }))).toBe("INVALID_ARGUMENT");
    expect(await typedCode(start(t, ROOT, { includeFields: ["nope"] }))).toBe("INVALID_ARGUMENT");
    expect(await typedCode(start(t, ROOT, { partBytes: 1 }))).toBe("INVALID_ARGUMENT");
    expect(await eventCount(t)).toBe(before);
  });
});

describe("what the auth callback is told", () => {
  // One more module beside the example's: the exposed API with a callback that records its calls.
  const seen: AuditOperation[] = [];
  const probe = exposeAuditLogApi(components.auditLog, {
    auth: async (ctx, operation) => {
      seen.push(operation);
      const identity = await ctx.auth.getUserIdentity();
      // The README's pattern: anything but a read needs a signed-in user.
      if (!identity && operation.type !== "read") throw new Error("Unauthorized");
      if (!identity) return null;
      // An app whose users are not named by the token's subject (e.g. "user|session" subjects).
      if (typeof identity.appUserId === "string") return { actorId: identity.appUserId };
      return { admin: true as const };
    },
  });
  const fn = anyApi.reportsProbe;
  const initProbe = () => {
    const t = convexTest({ schema, modules: { ...modules, "./reportsProbe.ts": async () => probe }, transactionLimits: true });
    auditLogComponent.register(t);
    return t;
  };

  test("report calls are `report` operations with the caller's own arguments; the status is a read", async () => {
    seen.length = 0;
    const t = initProbe();
    const root = t.withIdentity(ROOT as never);
    const filters = { actorIds: ["bob"] };
    await root.mutation(fn.generateReport, { ...WINDOW, format: "json", filters });
    const jobId = (await root.mutation(fn.exportReport, { ...WINDOW, format: "jsonl" })) as string;
    await root.query(fn.getReportExport, { jobId });
    await root.mutation(fn.cancelReportExport, { jobId });
    expect(seen).toEqual([
      { type: "report", mutation: "generateReport", ...WINDOW, format: "json", filters },
      { type: "report", mutation: "exportReport", ...WINDOW, format: "jsonl", filters: {} },
      { type: "read", query: "getReportExport", jobId },
      { type: "report", mutation: "cancelReportExport", jobId },
    ]);
    // Without an `auditLog` option the exposed calls log through a default AuditLog: the caller is still named.
    const [event] = (await t.run((ctx) => auditLog.search(ctx, { filters: { actions: ["audit.report.generated"] } }))).page;
    expect(event.actorId).toBe("root");
  });

  test("a viewer is named by the scope's id, not the token's subject, on the report event and the job", async () => {
    const t = initProbe();
    const viewer = t.withIdentity({ subject: "u7|session9", appUserId: "u7" } as never);
    await viewer.mutation(fn.generateReport, { ...WINDOW, format: "csv" });
    const jobId = (await viewer.mutation(fn.exportReport, { ...WINDOW, format: "csv" })) as string;
    const events = (await t.run((ctx) => auditLog.search(ctx, { filters: { actorIds: ["u7"] } }))).page;
    expect(events.map((e) => e.action).sort()).toEqual(["audit.report.export_started", "audit.report.generated"]);
    expect(await viewer.query(fn.getReportExport, { jobId })).toMatchObject({ requestedBy: "u7" });
  });

  test("a callback that refuses anonymous non-reads refuses anonymous reports too", async () => {
    const t = initProbe();
    const err = await t.mutation(fn.generateReport, { ...WINDOW, format: "csv" }).catch((e: unknown) => e);
    expect(String(err)).toMatch(/Unauthorized/);
    expect(await typedCode(t.query(fn.getReportExport, { jobId: "x" }))).toBe("UNAUTHORIZED");
  });
});
