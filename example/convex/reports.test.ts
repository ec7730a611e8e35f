import { afterEach, describe, expect, test, vi } from "vitest";
import fc from "fast-check";
import { ConvexError } from "convex/values";
import { isAuditLogError, type AuditEvent, type AuditLogErrorCode, type GroupField, type ReportField } from "convex-audit-log";
import { api } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";
import { parseCsv } from "../../test/support/csv";
import { modelMatch, newestFirst, type ModelRow } from "../../test/support/filterModel";

type T = ReturnType<typeof initConvexTest>;

// Seeded data sits in March 2025: the reports' own events (logged now) never fall in its window.
const MARCH = Date.UTC(2025, 2, 1);
const END_OF_MARCH = Date.UTC(2025, 3, 1) - 1;
const admin = { subject: "admin_1", role: "admin" };

const ACTORS = ["alice", "bob", "=cmd|' /C calc'!A0", "@carol"];
const ACTIONS = ["user.login", "record.updated", "record.deleted", "invoice.paid"];
const TENANTS = [undefined, "org1", "org2"];
const SEVERITIES = ["info", "warning", "error", "critical"] as const;
const TAGS = ["security", "billing", "rare"];
const SUMMARIES = [
  undefined,
  "plain",
  'He said "hi", then left',
  "line1\r\nline2\nline3\r",
  "=HYPERLINK(\"http://evil.example\",\"x\")",
  "+1-1",
  "-5",
  "\tindented",
  "ünïcødé 日本語 🦄",
  "x".repeat(1024),
];
/** Written out here: the test must not share the writer's list. */
const TRIGGERS = ["=", "+", "-", "@", "\t", "\r"];

type Row = ModelRow & {
  id: string;
  status: "success" | "failure";
  category: "auth" | "data";
  summary?: string;
  metadata: { n: number; note?: string; long?: string };
};

const rowArb = fc.record({
  a: fc.integer({ min: -1, max: ACTORS.length - 1 }),
  x: fc.integer({ min: 0, max: ACTIONS.length - 1 }),
  tn: fc.integer({ min: 0, max: TENANTS.length - 1 }),
  r: fc.integer({ min: 0, max: 2 }),
  s: fc.integer({ min: 0, max: 3 }),
  fail: fc.boolean(),
  tags: fc.subarray(TAGS),
  sm: fc.integer({ min: 0, max: SUMMARIES.length - 1 }),
  // Days of March and a little either side; several events share a millisecond.
  ts: fc.integer({ min: -2, max: 33 }).map((d) => MARCH + d * 86_400_000),
});
type RowSpec = typeof rowArb extends fc.Arbitrary<infer R> ? R : never;

async function seed(t: T, specs: RowSpec[]): Promise<Row[]> {
  const events = specs.map((r, i) => ({
    action: ACTIONS[r.x],
    actorId: r.a >= 0 ? ACTORS[r.a] : undefined,
    tenantId: TENANTS[r.tn],
    resourceType: "records",
    resourceId: `r${r.r}`,
    severity: SEVERITIES[r.s],
    status: r.fail ? ("failure" as const) : ("success" as const),
    category: r.x >= 1 ? ("data" as const) : ("auth" as const),
    tags: r.tags,
    summary: SUMMARIES[r.sm],
    metadata: {
      n: i,
      ...(i % 3 === 0 ? { note: 'nested "quotes", commas\nand lines' } : {}),
      ...(i % 50 === 0 ? { long: '"a",'.repeat(3000) } : {}),
    },
    timestamp: r.ts,
  }));
  const ids: string[] = [];
  for (let i = 0; i < events.length; i += 500) ids.push(...(await t.run((ctx) => auditLog.logBulk(ctx, events.slice(i, i + 500)))));
  return events.map((e, seq) => ({ ...e, id: ids[seq], seq }));
}

type Filters = {
  severity?: string[];
  actions?: string[];
  tags?: string[];
  actorIds?: string[];
  tenantId?: string;
  status?: "success" | "failure";
  category?: string;
  resourceType?: string;
  resourceId?: string;
};

const inWindow = (f: Filters, start: number, end: number) => ({ ...f, fromTimestamp: start, toTimestamp: end });
/** Group keys ascending by code unit, events without a value last; newest first inside a group (stable sort). */
function grouped(rows: Row[], by: GroupField | undefined) {
  if (by === undefined) return rows;
  const key = (r: Row) => (r as unknown as Record<string, string | undefined>)[by];
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    if (ka === kb) return 0;
    if (ka === undefined) return 1;
    if (kb === undefined) return -1;
    return ka < kb ? -1 : 1;
  });
}

/** What the model says a column holds, before CSV neutralisation. */
function modelValue(r: Row, field: ModelField): unknown {
  switch (field) {
    case "_id":
      return r.id;
    case "tags":
      return r.tags.length > 0 ? r.tags : undefined; // the write path stores no empty tag list
    case "metadata":
      return r.metadata;
    default:
      return r[field];
  }
}
function modelCsvCell(r: Row, field: ModelField): string {
  const value = modelValue(r, field);
  let text: string;
  if (value === undefined) text = "";
  else if (field === "timestamp") text = new Date(value as number).toISOString();
  else if (typeof value === "string") text = value;
  else text = canonicalJson(value);
  return TRIGGERS.includes(text[0] ?? "") ? `'${text}` : text;
}
/** JSON with object keys sorted, as Convex returns documents. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value);
}

const MODEL_FIELDS = [
  "_id",
  "timestamp",
  "action",
  "category",
  "severity",
  "status",
  "actorId",
  "tenantId",
  "resourceType",
  "resourceId",
  "summary",
  "tags",
  "metadata",
] as const satisfies readonly ReportField[];
type ModelField = (typeof MODEL_FIELDS)[number];

async function caughtCode(p: Promise<unknown>): Promise<AuditLogErrorCode> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a typed error").toBeInstanceOf(ConvexError);
  expect(isAuditLogError(err), JSON.stringify((err as { data?: unknown }).data)).toBe(true);
  return (err as ConvexError<{ code: AuditLogErrorCode }>).data.code;
}

/** The component's own tables, read directly (convex-test's runInComponent, untyped in its .d.ts). */
type ComponentCtx = {
  db: {
    query(table: "events" | "reports"): { collect(): Promise<unknown[]> };
    system: { query(table: "_storage"): { collect(): Promise<unknown[]> } };
    normalizeId(table: "reports", id: string): string | null;
    patch(id: string, value: Record<string, unknown>): Promise<void>;
  };
};
function inComponent<R>(t: T, fn: (ctx: ComponentCtx) => Promise<R>): Promise<R> {
  const run = (t as unknown as { runInComponent(name: string, f: (ctx: ComponentCtx) => Promise<R>): Promise<R> }).runInComponent;
  return run("auditLog", fn);
}

/** Every event and job in the component: the tables are small in these tests. */
async function tableSizes(t: T) {
  return await inComponent(t, async (ctx) => ({
    events: (await ctx.db.query("events").collect()).length,
    reports: (await ctx.db.query("reports").collect()).length,
  }));
}

async function eventsByAction(t: T, action: string): Promise<AuditEvent[]> {
  const page = await t.run((ctx) => auditLog.search(ctx, { filters: { actions: [action] }, pagination: { limit: 100 } }));
  return page.page;
}

async function sha256Hex(bytes: Uint8Array | string) {
  const data = new Uint8Array(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes);
  const digest = await crypto.subtle.digest("SHA-256", data);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("generateReport (one transaction)", () => {
  test("the README's call, as written, from the example app: CSV grouped by action, and the run is logged", async () => {
    const t = initConvexTest();
    const specs: RowSpec[] = Array.from({ length: 60 }, (_, i) => ({
      a: (i % 5) - 1,
      x: i % 4,
      tn: i % 3,
      r: i % 3,
      s: i % 4,
      fail: i % 7 === 0,
      tags: i % 9 === 0 ? ["rare"] : [],
      sm: i % SUMMARIES.length,
      ts: MARCH + ((i * 7) % 40) * 86_400_000 - 3 * 86_400_000,
    }));
    const model = await seed(t, specs);
    const before = await tableSizes(t);
    const report = await t.withIdentity(admin).mutation(api.reports.monthlyComplianceReport, { month: "2025-03" });

    const columns = ["timestamp", "action", "actorId", "resourceType"] as const;
    const expected = grouped(newestFirst(model.filter((r) => modelMatch(r, inWindow({}, MARCH, END_OF_MARCH)))), "action");
    expect(expected.length).toBeGreaterThan(30);
    expect(expected.length).toBeLessThan(60);
    const [header, ...rows] = parseCsv(report.data);
    expect(header).toEqual([...columns]);
    expect(rows).toEqual(expected.map((r) => columns.map((c) => modelCsvCell(r, c))));
    expect(report.recordCount).toBe(expected.length);
    expect(report.groups).toEqual(
      [...new Set(expected.map((r) => r.action))].map((key) => ({ key, count: expected.filter((r) => r.action === key).length })),
    );
    expect(report.bytes).toBe(new TextEncoder().encode(report.data).length);
    expect(report.sha256).toBe(await sha256Hex(report.data));
    expect(report.data.endsWith("\r\n")).toBe(true);
    expect(report.scanned).toBeLessThanOrEqual(expected.length + 1);

    // One event more: the report run itself, by the admin, with what it produced.
    expect((await tableSizes(t)).events).toBe(before.events + 1);
    const [logged] = await eventsByAction(t, "audit.report.generated");
    expect(logged.actorId).toBe("admin_1");
    expect(logged.category).toBe("admin");
    expect(logged.resourceType).toBe("auditReport");
    expect(logged.metadata).toMatchObject({
      path: "sync",
      format: "csv",
      startDate: MARCH,
      endDate: END_OF_MARCH,
      groupBy: "action",
      rowCount: expected.length,
      bytes: report.bytes,
      sha256: report.sha256,
      columns: [...columns],
    });

    // Not an admin: refused by the app, nothing logged.
    await expect(t.withIdentity({ subject: "u1" }).mutation(api.reports.monthlyComplianceReport, { month: "2025-03" })).rejects.toThrow(
      /Only admins/,
    );
    expect((await tableSizes(t)).events).toBe(before.events + 1);
  });

  test("random filters, columns, grouping and format: exactly the model's rows, in order (property)", async () => {
    const filterParts = {
      severity: fc.subarray([...SEVERITIES], { minLength: 1 }),
      actions: fc.subarray(ACTIONS, { minLength: 1 }),
      tags: fc.subarray(TAGS, { minLength: 1, maxLength: 2 }),
      actorIds: fc.subarray(ACTORS, { minLength: 1 }),
      tenantId: fc.constantFrom("org1", "org2"),
      status: fc.constantFrom("success" as const, "failure" as const),
      category: fc.constantFrom("auth", "data"),
      resourceId: fc.constantFrom("r0", "r1", "r2"),
    };
    type Key = keyof typeof filterParts;
    const filtersArb = fc
      .subarray(Object.keys(filterParts) as Key[], { maxLength: 2 })
      .chain((keys) => fc.record(Object.fromEntries(keys.map((k) => [k, filterParts[k]])) as { [K in Key]: (typeof filterParts)[K] }))
      .map((f) => (f.resourceId !== undefined ? { ...f, resourceType: "records" } : f) as Filters);
    const windowArb = fc.oneof(
      fc.constant([MARCH, END_OF_MARCH] as const),
      fc
        .tuple(fc.integer({ min: -3, max: 34 }), fc.integer({ min: -3, max: 34 }))
        .map(([a, b]) => [MARCH + Math.min(a, b) * 86_400_000, MARCH + Math.max(a, b) * 86_400_000] as const),
    );
    let matched = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(rowArb, { minLength: 10, maxLength: 80 }),
        filtersArb,
        windowArb,
        fc.shuffledSubarray([...MODEL_FIELDS], { minLength: 1, maxLength: 6 }),
        fc.option(fc.constantFrom<GroupField>("action", "actorId", "resourceType", "severity", "category", "status", "tenantId"), { nil: undefined }),
        fc.constantFrom("csv" as const, "json" as const),
        async (specs, filters, [start, end], includeFields, groupBy, format) => {
          const t = initConvexTest();
          const model = await seed(t, specs);
          const report = await t.run((ctx) =>
            auditLog.generateReport(ctx, { startDate: start, endDate: end, format, includeFields, groupBy, filters }),
          );
          const expected = grouped(newestFirst(model.filter((r) => modelMatch(r, inWindow(filters, start, end)))), groupBy);
          matched += expected.length;
          const columns: ModelField[] = groupBy !== undefined && !includeFields.includes(groupBy) ? [groupBy, ...includeFields] : includeFields;
          expect(report.columns).toEqual(columns);
          expect(report.recordCount).toBe(expected.length);
          if (format === "csv") {
            const [header, ...rows] = parseCsv(report.data);
            expect(header).toEqual(columns);
            expect(rows).toEqual(expected.map((r) => columns.map((c) => modelCsvCell(r, c))));
          } else {
            const modelJson = (r: Row) => Object.fromEntries(columns.map((c) => [c, modelValue(r, c) ?? null]));
            const parsed: unknown = JSON.parse(report.data);
            if (groupBy === undefined) {
              expect(parsed).toEqual(expected.map(modelJson));
            } else {
              const keys = [...new Set(expected.map((r) => (r as unknown as Record<string, string | undefined>)[groupBy] ?? null))];
              const keyOf = (r: Row) => (r as unknown as Record<string, string | undefined>)[groupBy] ?? null;
              expect(parsed).toEqual({
                groupBy,
                groups: keys.map((key) => {
                  const rows = expected.filter((r) => keyOf(r) === key);
                  return { key, count: rows.length, rows: rows.map(modelJson) };
                }),
              });
            }
          }
        },
      ),
      { numRuns: 80 },
    );
    // Guards the generators: a property over empty reports would prove little.
    expect(matched).toBeGreaterThan(250);
  });

  test("from an action's ctx too; a Date works as a bound", async () => {
    const t = initConvexTest();
    await seed(t, [{ a: 0, x: 0, tn: 1, r: 0, s: 0, fail: false, tags: [], sm: 1, ts: MARCH + 1000 }]);
    const report = await t.withIdentity(admin).action(async (ctx) =>
      auditLog.generateReport(ctx, { startDate: new Date(MARCH), endDate: new Date(END_OF_MARCH), format: "json", includeFields: ["action", "summary"] }),
    );
    expect(JSON.parse(report.data)).toEqual([{ action: "user.login", summary: "plain" }]);
    const [logged] = await eventsByAction(t, "audit.report.generated");
    expect(logged.actorId).toBe("admin_1");
    expect(logged.metadata).toMatchObject({ format: "json", rowCount: 1 });
  });

  test("bad input: a typed error, and nothing is written", async () => {
    const t = initConvexTest();
    await seed(t, [{ a: 0, x: 0, tn: 0, r: 0, s: 0, fail: false, tags: [], sm: 0, ts: MARCH }]);
    const before = await tableSizes(t);
    const base = { startDate: MARCH, endDate: END_OF_MARCH, format: "csv" as const };
    const run = (args: Record<string, unknown>) =>
      t.run((ctx) => auditLog.generateReport(ctx, { ...base, ...args } as Parameters<typeof auditLog.generateReport>[1]));
    const cases: Array<[Record<string, unknown>, AuditLogErrorCode]> = [
      [{ includeFields: ["timestamp", "password"] }, "INVALID_ARGUMENT"],
      [{ includeFields: ["searchText"] }, "INVALID_ARGUMENT"],
      [{ includeFields: [] }, "INVALID_ARGUMENT"],
      [{ includeFields: ["action", "action"] }, "INVALID_ARGUMENT"],
      [{ groupBy: "metadata" }, "INVALID_ARGUMENT"],
      [{ groupBy: "timestamp" }, "INVALID_ARGUMENT"],
      [{ groupBy: "summary" }, "INVALID_ARGUMENT"],
      [{ format: "xml" }, "INVALID_ARGUMENT"],
      [{ format: "jsonl" }, "INVALID_ARGUMENT"],
      [{ startDate: END_OF_MARCH, endDate: MARCH }, "INVALID_ARGUMENT"],
      [{ startDate: Number.NaN }, "INVALID_ARGUMENT"],
      [{ endDate: new Date("not a date") }, "INVALID_ARGUMENT"],
      [{ filters: { fromTimestamp: MARCH } }, "INVALID_ARGUMENT"],
      [{ filters: { query: "login" } }, "INVALID_ARGUMENT"],
      [{ filters: { severity: ["loud"] } }, "INVALID_SEVERITY"],
      [{ filters: { actions: [] } }, "INVALID_ARGUMENT"],
      [{ filters: { resourceId: "r1" } }, "INVALID_ARGUMENT"],
      [{ filters: { status: "meh" } }, "INVALID_ARGUMENT"],
    ];
    for (const [args, code] of cases) expect(await caughtCode(run(args)), JSON.stringify(args)).toBe(code);
    expect(await tableSizes(t)).toEqual(before);
  });
});

describe("generateReport limits", () => {
  test("10,000 rows is one report; 10,001 is REPORT_TOO_LARGE; an uncovered filter over 24,000 events too — never a partial report", async () => {
    const t = initConvexTest();
    const n = 24_100;
    const events = Array.from({ length: n }, (_, i) => ({
      action: i < 10_001 ? "record.viewed" : "user.login",
      actorId: `u${i % 50}`,
      tags: i === 5 ? ["needle"] : ["hay"],
      timestamp: MARCH + i,
    }));
    for (let i = 0; i < n; i += 500) await t.run((ctx) => auditLog.logBulk(ctx, events.slice(i, i + 500)));

    const viewed = { startDate: MARCH, endDate: END_OF_MARCH, format: "csv" as const, filters: { actions: ["record.viewed"] } };
    expect(await caughtCode(t.run((ctx) => auditLog.generateReport(ctx, viewed)))).toBe("REPORT_TOO_LARGE");
    const err = await t.run((ctx) => auditLog.generateReport(ctx, viewed)).catch((e: ConvexError<{ message: string }>) => e);
    expect((err as ConvexError<{ message: string }>).data.message).toMatch(/exportReport/);

    // One event fewer (the oldest is outside the window): exactly at the limit.
    const { report, read } = await t.run(async (ctx) => {
      const m0 = await ctx.meta.getTransactionMetrics();
      const report = await auditLog.generateReport(ctx, { ...viewed, startDate: MARCH + 1, includeFields: ["timestamp"] });
      const m1 = await ctx.meta.getTransactionMetrics();
      return { report, read: m1.documentsRead.used - m0.documentsRead.used };
    });
    expect(report.recordCount).toBe(10_000);
    const rows = parseCsv(report.data).slice(1);
    expect(rows[0]).toEqual([new Date(MARCH + 10_000).toISOString()]);
    expect(rows[9_999]).toEqual([new Date(MARCH + 1).toISOString()]);
    expect(read).toBeLessThanOrEqual(10_000 + 2);

    // One matching event among 24,100, and no index for tags: the scan budget runs out first.
    expect(await caughtCode(t.run((ctx) => auditLog.generateReport(ctx, { ...viewed, filters: { tags: ["needle"] } })))).toBe(
      "REPORT_TOO_LARGE",
    );
    // Narrowed by an index-covered filter, the same needle is found.
    const needle = await t.run((ctx) =>
      auditLog.generateReport(ctx, { ...viewed, filters: { tags: ["needle"], actorIds: ["u5"] }, includeFields: ["actorId", "tags"] }),
    );
    expect(parseCsv(needle.data)).toEqual([["actorId", "tags"], ["u5", '["needle"]']]);
    expect((await eventsByAction(t, "audit.report.generated")).length).toBe(2);
  }, 120_000);
});

describe("exportReport (any size, to file storage)", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  async function runExport(t: T) {
    await t.finishAllScheduledFunctions(vi.runAllTimers, 1000);
  }

  async function readAll(t: T, jobId: string, parts: number, tenantId?: string) {
    const bytes: Uint8Array[] = [];
    for (let part = 0; part < parts; part++) {
      const buf = await t.action(async (ctx) => auditLog.readReportPart(ctx, { jobId, part, tenantId }));
      expect(buf).not.toBeNull();
      bytes.push(new Uint8Array(buf!));
    }
    return bytes;
  }

  const concat = (parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  };

  test("CSV in several parts: concatenated, the parts are exactly the model's rows, newest first; progress and hashes add up", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    const specs = fc.sample(rowArb, { numRuns: 1500, seed: 7 });
    const model = await seed(t, specs);
    const columns = ["_id", "timestamp", "action", "actorId", "summary", "metadata", "tags"] as const;
    const jobId = await t.withIdentity(admin).run((ctx) =>
      auditLog.exportReport(ctx, { startDate: MARCH, endDate: END_OF_MARCH, format: "csv", includeFields: [...columns], partBytes: 64 * 1024 }),
    );
    const running = await t.run((ctx) => auditLog.getReportExport(ctx, { jobId }));
    expect(running).toMatchObject({ status: "running", rowsWritten: 0, files: [] });
    await runExport(t);

    const job = (await t.run((ctx) => auditLog.getReportExport(ctx, { jobId })))!;
    const expected = newestFirst(model.filter((r) => modelMatch(r, inWindow({}, MARCH, END_OF_MARCH))));
    expect(job.status).toBe("done");
    expect(job.rowsWritten).toBe(expected.length);
    expect(job.files.length).toBeGreaterThan(3);
    expect(job.files.every((f) => typeof f.url === "string")).toBe(true);
    expect(job.files.reduce((n, f) => n + f.rows, 0)).toBe(expected.length);
    expect(job.pages).toBeGreaterThanOrEqual(job.files.length);

    const parts = await readAll(t, jobId, job.files.length);
    for (let i = 0; i < parts.length; i++) {
      expect(parts[i].length).toBe(job.files[i].bytes);
      // A part ends at the first row that reaches partBytes: one row (here at most ~25 KB) over.
      expect(parts[i].length).toBeLessThanOrEqual(64 * 1024 + 25_000);
      expect(await sha256Hex(parts[i])).toBe(job.files[i].sha256);
    }
    const file = concat(parts);
    expect(file.length).toBe(job.bytes);
    const [header, ...rows] = parseCsv(new TextDecoder().decode(file));
    expect(header).toEqual([...columns]);
    expect(rows).toEqual(expected.map((r) => columns.map((c) => modelCsvCell(r, c))));

    // The same file, streamed as one HTTP response.
    const text = await t.withIdentity(admin).action(api.reports.exportText, { jobId });
    expect(text).toBe(new TextDecoder().decode(file));

    // Who asked, and what was produced, are both in the log.
    const [started] = await eventsByAction(t, "audit.report.export_started");
    expect(started).toMatchObject({ actorId: "admin_1", resourceType: "auditReport", resourceId: jobId });
    const [generated] = await eventsByAction(t, "audit.report.generated");
    expect(generated).toMatchObject({ actorId: "admin_1", resourceType: "auditReport", resourceId: jobId });
    expect(generated.metadata).toMatchObject({
      path: "export",
      rowCount: expected.length,
      bytes: job.bytes,
      parts: job.files.length,
      sha256: job.files.map((f) => f.sha256),
    });
  }, 120_000);

  test("JSON Lines with a tenant and a filter no index covers; scoped reads of the job", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    const model = await seed(t, fc.sample(rowArb, { numRuns: 600, seed: 11 }));
    const filters = { tenantId: "org1", tags: ["security"] };
    const jobId = await t.run((ctx) =>
      auditLog.exportReport(ctx, {
        startDate: MARCH,
        endDate: END_OF_MARCH,
        format: "jsonl",
        filters,
        includeFields: ["_id", "timestamp", "tags", "metadata"],
        partBytes: 4096,
        requestedBy: "auditor_7",
      }),
    );
    await runExport(t);
    const expected = newestFirst(model.filter((r) => modelMatch(r, inWindow(filters, MARCH, END_OF_MARCH))));
    expect(expected.length).toBeGreaterThan(20);
    const job = (await t.run((ctx) => auditLog.getReportExport(ctx, { jobId, tenantId: "org1" })))!;
    expect(job).toMatchObject({ status: "done", rowsWritten: expected.length, tenantId: "org1", requestedBy: "auditor_7" });
    const text = new TextDecoder().decode(concat(await readAll(t, jobId, job.files.length, "org1")));
    expect(text.endsWith("\n")).toBe(true);
    const lines = text.slice(0, -1).split("\n").map((l) => JSON.parse(l) as unknown);
    expect(lines).toEqual(expected.map((r) => ({ _id: r.id, timestamp: r.timestamp, tags: modelValue(r, "tags") ?? null, metadata: r.metadata })));

    // Another tenant learns nothing.
    expect(await t.run((ctx) => auditLog.getReportExport(ctx, { jobId, tenantId: "org2" }))).toBeNull();
    expect(await t.action(async (ctx) => auditLog.readReportPart(ctx, { jobId, part: 0, tenantId: "org2" }))).toBeNull();
    expect(await t.run((ctx) => auditLog.cancelReportExport(ctx, { jobId, tenantId: "org2" }))).toBe(false);
    // Hostile ids and parts.
    expect(await t.run((ctx) => auditLog.getReportExport(ctx, { jobId: "not-an-id" }))).toBeNull();
    expect(await t.action(async (ctx) => auditLog.readReportPart(ctx, { jobId, part: job.files.length }))).toBeNull();
    expect(await t.action(async (ctx) => auditLog.readReportPart(ctx, { jobId, part: -1 }))).toBeNull();
    expect(await t.action(async (ctx) => auditLog.readReportPart(ctx, { jobId, part: 0.5 }))).toBeNull();
    const [generated] = await eventsByAction(t, "audit.report.generated");
    expect(generated).toMatchObject({ actorId: "auditor_7", tenantId: "org1" });
  }, 120_000);

  test("an empty window still gives a file with the header; a canceled export writes nothing more", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    await seed(t, fc.sample(rowArb, { numRuns: 300, seed: 3 }));
    const empty = await t.run((ctx) =>
      auditLog.exportReport(ctx, { startDate: 0, endDate: 1, format: "csv", includeFields: ["action"], bom: true }),
    );
    const canceled = await t.run((ctx) => auditLog.exportReport(ctx, { startDate: MARCH, endDate: END_OF_MARCH, format: "csv", partBytes: 2048 }));
    expect(await t.run((ctx) => auditLog.cancelReportExport(ctx, { jobId: canceled }))).toBe(true);
    expect(await t.run((ctx) => auditLog.cancelReportExport(ctx, { jobId: canceled }))).toBe(false);
    await runExport(t);

    const e = (await t.run((ctx) => auditLog.getReportExport(ctx, { jobId: empty })))!;
    expect(e).toMatchObject({ status: "done", rowsWritten: 0 });
    expect(new TextDecoder("utf-8", { ignoreBOM: true }).decode(concat(await readAll(t, empty, e.files.length)))).toBe("\uFEFFaction\r\n");

    const c = (await t.run((ctx) => auditLog.getReportExport(ctx, { jobId: canceled })))!;
    expect(c).toMatchObject({ status: "canceled", rowsWritten: 0, files: [] });
    const stored = await inComponent(t, async (ctx) => (await ctx.db.system.query("_storage").collect()).length);
    expect(stored).toBe(1); // the empty export's header only
    expect((await eventsByAction(t, "audit.report.generated")).map((x) => x.resourceId)).toEqual([empty]);
  }, 120_000);

  test("a step that fails marks the job failed, deletes its parts and logs the failure", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    await seed(t, fc.sample(rowArb, { numRuns: 400, seed: 5 }));
    const jobId = await t.run((ctx) => auditLog.exportReport(ctx, { startDate: MARCH, endDate: END_OF_MARCH, format: "csv", partBytes: 2048 }));
    // Let two parts be written, then break the job the way a bad migration would.
    for (let i = 0; i < 2; i++) {
      vi.runOnlyPendingTimers();
      await t.finishInProgressScheduledFunctions();
    }
    const mid = (await t.run((ctx) => auditLog.getReportExport(ctx, { jobId })))!;
    expect(mid.status).toBe("running");
    expect(mid.rowsWritten).toBeGreaterThan(0);
    await inComponent(t, async (ctx) => {
      const id = ctx.db.normalizeId("reports", jobId)!;
      await ctx.db.patch(id, { columns: ["bogus"] });
    });
    await runExport(t);
    const job = (await t.run((ctx) => auditLog.getReportExport(ctx, { jobId })))!;
    expect(job.status).toBe("failed");
    expect(job.error?.code).toBe("INVALID_ARGUMENT");
    expect(job.files).toEqual([]);
    expect(await inComponent(t, async (ctx) => (await ctx.db.system.query("_storage").collect()).length)).toBe(0);
    const [failed] = await eventsByAction(t, "audit.report.export_failed");
    expect(failed).toMatchObject({ status: "failure", severity: "warning", resourceId: jobId });
    expect(await eventsByAction(t, "audit.report.generated")).toEqual([]);
  }, 120_000);

  test("resume is safe at any time: duplicate chains of steps still write every row once, and leave no stray part", async () => {
    vi.useFakeTimers();
    const t = initConvexTest();
    const model = await seed(t, fc.sample(rowArb, { numRuns: 500, seed: 9 }));
    const jobId = await t.run((ctx) =>
      auditLog.exportReport(ctx, { startDate: MARCH, endDate: END_OF_MARCH, format: "csv", includeFields: ["_id"], partBytes: 2048 }),
    );
    // A second first step, then (after one step ran) a second chain from the middle.
    expect(await t.run((ctx) => auditLog.resumeReportExport(ctx, { jobId }))).toBe(true);
    vi.runOnlyPendingTimers();
    await t.finishInProgressScheduledFunctions();
    expect(await t.run((ctx) => auditLog.resumeReportExport(ctx, { jobId }))).toBe(true);
    await runExport(t);
    const job = (await t.run((ctx) => auditLog.getReportExport(ctx, { jobId })))!;
    const expected = newestFirst(model.filter((r) => modelMatch(r, inWindow({}, MARCH, END_OF_MARCH))));
    expect(job.status).toBe("done");
    const text = new TextDecoder().decode(concat(await readAll(t, jobId, job.files.length)));
    expect(parseCsv(text)).toEqual([["_id"], ...expected.map((r) => [r.id])]);
    expect(await inComponent(t, async (ctx) => (await ctx.db.system.query("_storage").collect()).length)).toBe(job.files.length);
    expect(await t.run((ctx) => auditLog.resumeReportExport(ctx, { jobId }))).toBe(false);
    expect((await eventsByAction(t, "audit.report.generated")).length).toBe(1);
  }, 120_000);

  test("bad export input: a typed error, and nothing is written", async () => {
    const t = initConvexTest();
    const before = await tableSizes(t);
    const base = { startDate: MARCH, endDate: END_OF_MARCH, format: "csv" as const };
    const run = (args: Record<string, unknown>) =>
      t.run((ctx) => auditLog.exportReport(ctx, { ...base, ...args } as Parameters<typeof auditLog.exportReport>[1]));
    const cases: Array<[Record<string, unknown>, AuditLogErrorCode]> = [
      [{ format: "json" }, "INVALID_ARGUMENT"],
      [{ includeFields: ["nope"] }, "INVALID_ARGUMENT"],
      [{ partBytes: 0 }, "INVALID_ARGUMENT"],
      [{ partBytes: 1e12 }, "INVALID_ARGUMENT"],
      [{ partBytes: 5000.5 }, "INVALID_ARGUMENT"],
      [{ format: "jsonl", bom: true }, "INVALID_ARGUMENT"],
      [{ startDate: END_OF_MARCH, endDate: MARCH }, "INVALID_ARGUMENT"],
      [{ filters: { toTimestamp: 5 } }, "INVALID_ARGUMENT"],
      [{ filters: { category: "finance" } }, "INVALID_ARGUMENT"],
    ];
    for (const [args, code] of cases) expect(await caughtCode(run(args)), JSON.stringify(args)).toBe(code);
    expect(await tableSizes(t)).toEqual(before);
  });
});
