/**
 * Non-interference: whatever a scoped caller asks through the exposed API,
 * the answer is the same whether or not events outside its scope exist.
 * Each case builds two logs that differ only in events the caller may not
 * see (another user's, another tenant's, interleaved in time with the
 * visible ones and sharing their resources, actions, words and tags), asks
 * both the same thing as the same caller, and compares everything in the
 * answers: rows, page boundaries, `isDone`, `scanned`, plans, report text and
 * counts, an export job's reads and bytes, statistics and anomalies.
 */
import fc from "fast-check";
import { afterEach, describe, expect, test, vi } from "vitest";
import { convexTest } from "convex-test";
import { anyApi } from "convex/server";
import auditLogComponent from "convex-audit-log/test";
import { AuditLog, exposeAuditLogApi } from "convex-audit-log";
import { components } from "./_generated/api";
import schema from "./schema";
import { modules } from "./setup.test-helper";

const NOW = Date.UTC(2026, 5, 1, 12);
const MINUTE = 60_000;

// The caller's scope comes from the token's subject: "user:<id>" or "tenant:<id>".
const probe = exposeAuditLogApi(components.auditLog, {
  // Without the request's context on the reports' own events: convex-test numbers request ids
  // from one counter per process, so an export's own request event would be a byte longer in
  // one world than the other whenever the two counters straddle a power of ten (seed 1223182212).
  auditLog: new AuditLog(components.auditLog, { captureRequestContext: false }),
  auth: async (ctx) => {
    const subject = (await ctx.auth.getUserIdentity())?.subject ?? "";
    if (subject.startsWith("user:")) return subject.slice(5);
    if (subject.startsWith("tenant:")) return { tenantId: subject.slice(7) };
    return null;
  },
});
const fn = anyApi.scopeProbe;

function init() {
  const t = convexTest({ schema, modules: { ...modules, "./scopeProbe.ts": async () => probe }, transactionLimits: true });
  auditLogComponent.register(t);
  return t;
}
type T = ReturnType<typeof init>;

afterEach(() => {
  vi.useRealTimers();
});

const ACTIONS = ["user.login", "user.logout", "document.updated", "record.exported"];
const WORDS = ["alpha", "beta", "gamma"];
const rowArb = fc.record({
  action: fc.constantFrom(...ACTIONS),
  tenant: fc.constantFrom("t1", "t2", undefined),
  resource: fc.constantFrom("r1", "r2", undefined),
  severity: fc.constantFrom("info", "warning", "error", "critical"),
  failed: fc.boolean(),
  word: fc.constantFrom(...WORDS),
  tag: fc.constantFrom("x", "y", undefined),
  minute: fc.integer({ min: 0, max: 50 }),
});
type Row = typeof rowArb extends fc.Arbitrary<infer R> ? R : never;

const toEvent = (r: Row, actorId: string | undefined) => ({
  action: r.action,
  ...(actorId !== undefined ? { actorId } : {}),
  ...(r.tenant !== undefined ? { tenantId: r.tenant } : {}),
  ...(r.resource !== undefined ? { resourceType: "doc", resourceId: r.resource } : {}),
  severity: r.severity,
  status: r.failed ? "failure" : "success",
  summary: `${r.word} happened`,
  ...(r.tag !== undefined ? { tags: [r.tag] } : {}),
  timestamp: NOW - 60 * MINUTE + r.minute * MINUTE + (r.minute % 3),
});

type Scope = { kind: "user"; id: "u1" } | { kind: "tenant"; id: "t1" };
/** The visible rows, as the scope sees them, and the invisible ones, made to be outside it. */
function events(scope: Scope, visible: Row[], invisible: Array<Row & { other: string }>) {
  if (scope.kind === "user") {
    return {
      seen: visible.map((r) => toEvent(r, "u1")),
      unseen: invisible.map((r) => toEvent(r, r.other === "none" ? undefined : r.other)),
    };
  }
  return {
    seen: visible.map((r) => toEvent({ ...r, tenant: "t1" }, r.word === "alpha" ? "u1" : "u2")),
    unseen: invisible.map((r) => toEvent({ ...r, tenant: r.other === "none" ? undefined : "t2" }, r.other === "none" ? undefined : r.other)),
  };
}

/** One log: the visible events, with the invisible ones (if any) before and after them in insertion order. */
async function world(seen: object[], unseen: object[], split: number) {
  const t = init();
  const log = async (batch: object[]) => {
    if (batch.length > 0) await t.mutation(components.auditLog.log.logBulk, { events: batch as never });
  };
  await log(unseen.slice(0, split));
  await log(seen);
  await log(unseen.slice(split));
  vi.setSystemTime(NOW);
  for (let i = 0; i < 5 && !(await t.mutation(components.auditLog.stats.rollup, { settleMs: 0 })).caughtUp; i++);
  return t;
}

/** What may differ between the two logs: the events' ids and creation times, and the cursors that carry them. */
function comparable(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(comparable);
  if (typeof x !== "object" || x === null) return x;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(x)) {
    if (["_id", "_creationTime", "continueCursor", "splitCursor", "jobId", "generatedAt", "url", "createdAt", "updatedAt", "finishedAt"].includes(k)) continue;
    out[k] = comparable(v);
  }
  return out;
}

/** Every page of a paginated exposed query, to the end (at most 30). */
async function allPages(call: (cursor: string | null) => Promise<{ isDone: boolean; continueCursor: string }>) {
  const pages = [];
  let cursor: string | null = null;
  for (let i = 0; i < 30; i++) {
    const page = await call(cursor);
    pages.push(page);
    if (page.isDone) break;
    cursor = page.continueCursor;
  }
  return pages;
}

// One or two filters at a time, so most searches match something in both logs.
const oneFilter = fc.oneof(
  fc.constantFrom(...WORDS).map((query) => ({ query })),
  fc.constantFrom("r1", "r2").map((resourceId) => ({ resourceType: "doc", resourceId })),
  fc.constant({ resourceType: "doc" }),
  fc.constant({ tags: ["x"] }),
  fc.subarray(ACTIONS, { minLength: 1, maxLength: 2 }).map((actions) => ({ actions })),
  fc.subarray(["info", "warning", "error", "critical"], { minLength: 1, maxLength: 2 }).map((severity) => ({ severity })),
  fc.constantFrom("success", "failure").map((status) => ({ status })),
  fc.constantFrom("t1", "t2").map((tenantId) => ({ tenantId })),
);
const searchFilters = fc.tuple(oneFilter, fc.option(oneFilter, { nil: {} })).map(([a, b]) => ({ ...b, ...a }));

const operation = fc.oneof(
  fc.record({ op: fc.constant("search" as const), filters: searchFilters, numItems: fc.integer({ min: 1, max: 3 }), scanBudget: fc.integer({ min: 3, max: 6 }) }),
  fc.record({ op: fc.constant("list" as const), numItems: fc.integer({ min: 1, max: 4 }) }),
  fc.record({ op: fc.constant("report" as const), groupBy: fc.constantFrom(undefined, "action", "tenantId") }),
  fc.record({ op: fc.constant("export" as const) }),
  fc.record({ op: fc.constant("stats" as const), from: fc.integer({ min: 0, max: 40 }) }),
  fc.record({ op: fc.constant("anomalies" as const), threshold: fc.integer({ min: 1, max: 3 }) }),
);
type Operation = typeof operation extends fc.Arbitrary<infer O> ? O : never;

async function ask(t: T, scope: Scope, o: Operation): Promise<unknown> {
  const as = t.withIdentity({ subject: `${scope.kind}:${scope.id}` });
  const refused = async (p: Promise<unknown>) => p.catch((e: { data?: unknown }) => ({ error: e.data ?? String(e) }));
  const window = { startDate: NOW - 2 * 60 * MINUTE, endDate: NOW };
  switch (o.op) {
    case "search":
      return await refused(
        allPages((cursor) => as.query(fn.search, { filters: o.filters, paginationOpts: { numItems: o.numItems, cursor }, scanBudget: Math.max(o.scanBudget, o.numItems) })),
      );
    case "list":
      return await refused(
        allPages((cursor) =>
          scope.kind === "user"
            ? as.query(fn.listByActor, { actorId: "u1", paginationOpts: { numItems: o.numItems, cursor } })
            : as.query(fn.listByTenant, { tenantId: "t1", paginationOpts: { numItems: o.numItems, cursor } }),
        ),
      );
    case "report":
      return await refused(as.mutation(fn.generateReport, { ...window, format: "csv", ...(o.groupBy ? { groupBy: o.groupBy } : {}) }));
    case "export": {
      // Not resourceId: the export's own request event is in its window, and names the job by its id.
      const jobId = await as.mutation(fn.exportReport, { ...window, format: "jsonl", includeFields: ["timestamp", "action", "actorId", "tenantId", "summary"] });
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      return await as.query(fn.getReportExport, { jobId });
    }
    case "stats":
      return await refused(as.query(fn.getStats, { fromTimestamp: NOW - (60 - o.from) * MINUTE - 7, toTimestamp: NOW }));
    case "anomalies":
      return await refused(
        as.query(fn.detectAnomalies, {
          now: NOW,
          rules: [
            { action: "user.login", threshold: o.threshold, windowMinutes: 60 },
            { action: "document.updated", threshold: o.threshold, windowMinutes: 45, groupBy: "actor" },
          ],
        }),
      );
  }
}

describe("non-interference", () => {
  test("a scoped caller's answers are the same with or without events outside its scope (property)", async () => {
    vi.useFakeTimers();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Scope>({ kind: "user", id: "u1" }, { kind: "tenant", id: "t1" }),
        fc.array(rowArb, { minLength: 1, maxLength: 8 }),
        fc.array(
          fc.record({ row: rowArb, other: fc.constantFrom("u2", "u3", "none") }).map(({ row, other }) => ({ ...row, other })),
          { minLength: 1, maxLength: 12 },
        ),
        fc.nat(),
        operation,
        async (scope, visible, invisible, split, o) => {
          vi.setSystemTime(NOW - MINUTE);
          const { seen, unseen } = events(scope, visible, invisible);
          const alone = await world(seen, [], 0);
          const crowded = await world(seen, unseen, split % (unseen.length + 1));
          const a = comparable(await ask(alone, scope, o));
          const b = comparable(await ask(crowded, scope, o));
          expect(b, JSON.stringify(o)).toEqual(a);
        },
      ),
      { numRuns: 200 },
    );
  });
});
