/**
 * Read scoping, randomised (item 5): whatever the log holds and whatever a
 * viewer asks, no viewer receives a row, or an aggregate count, outside its
 * scope. Each case generates a log, a viewer (a user id, `{ actorId }`, a
 * tenant, a grant for one resource with or without its tenant, an admin) and
 * an operation, and compares the answer with a model that filters the log by
 * the scope first: rows must be exactly the model's, counts equal to it,
 * refusals exactly where the scope rules say.
 */
import fc from "fast-check";
import { describe, expect, test, vi } from "vitest";
import { convexTest } from "convex-test";
import { anyApi } from "convex/server";
import auditLogComponent from "convex-audit-log/test";
import { exposeAuditLogApi } from "convex-audit-log";
import { components } from "./_generated/api";
import schema from "./schema";
import { modules } from "./setup.test-helper";

const NOW = Date.UTC(2026, 5, 1, 12);

// The token's subject says which scope the app's auth callback returns.
const probe = exposeAuditLogApi(components.auditLog, {
  auth: async (ctx) => {
    const s = (await ctx.auth.getUserIdentity())?.subject ?? "";
    const [kind, a, b] = s.split(":");
    if (kind === "user") return a;
    if (kind === "actor") return { actorId: a };
    if (kind === "tenant") return { tenantId: a };
    if (kind === "grant") return { grant: { resourceType: "doc", resourceId: a, ...(b ? { tenantId: b } : {}) } };
    if (kind === "admin") return { admin: true };
    return null;
  },
});
const fn = anyApi.scopeProbe;

type Row = { actor?: string; tenant?: string; resource?: string; severity: string; minute: number; action: string };
const rowArb = fc.record({
  actor: fc.constantFrom("u1", "u2", "u3", undefined),
  tenant: fc.constantFrom("t1", "t2", undefined),
  resource: fc.constantFrom("r1", "r2", undefined),
  severity: fc.constantFrom("info", "warning", "error", "critical"),
  minute: fc.integer({ min: 0, max: 59 }),
  action: fc.constantFrom("user.login", "document.updated", "record.viewed"),
});
type Viewer = { subject: string; sees: (r: Row) => boolean; kind: "user" | "tenant" | "grant" | "admin"; id?: string; grant?: { r: string; t?: string } };
const viewerArb = fc.constantFrom<Viewer>(
  { subject: "user:u1", kind: "user", id: "u1", sees: (r) => r.actor === "u1" },
  { subject: "actor:u2", kind: "user", id: "u2", sees: (r) => r.actor === "u2" },
  { subject: "tenant:t1", kind: "tenant", id: "t1", sees: (r) => r.tenant === "t1" },
  { subject: "grant:r1", kind: "grant", grant: { r: "r1" }, sees: (r) => r.resource === "r1" },
  { subject: "grant:r1:t2", kind: "grant", grant: { r: "r1", t: "t2" }, sees: (r) => r.resource === "r1" && r.tenant === "t2" },
  { subject: "admin", kind: "admin", sees: () => true },
);
const opArb = fc.oneof(
  fc.record({ op: fc.constant("byResource" as const), resource: fc.constantFrom("r1", "r2") }),
  fc.record({ op: fc.constant("listByResource" as const), resource: fc.constantFrom("r1", "r2") }),
  fc.record({ op: fc.constant("stats" as const), from: fc.integer({ min: 0, max: 59 }) }),
  fc.record({ op: fc.constant("critical" as const), severity: fc.subarray(["info", "warning", "error", "critical"], { minLength: 1 }) }),
  fc.record({ op: fc.constant("byActor" as const), actor: fc.constantFrom("u1", "u2", "u3") }),
  fc.record({ op: fc.constant("byTenant" as const), tenant: fc.constantFrom("t1", "t2") }),
  fc.record({ op: fc.constant("search" as const) }),
  fc.record({ op: fc.constant("get" as const), index: fc.nat() }),
);
type Op = typeof opArb extends fc.Arbitrary<infer O> ? O : never;

const ts = (r: Row) => NOW - 60 * 60_000 + r.minute * 60_000;
const toEvent = (r: Row) => ({
  action: r.action,
  severity: r.severity,
  timestamp: ts(r),
  ...(r.actor ? { actorId: r.actor } : {}),
  ...(r.tenant ? { tenantId: r.tenant } : {}),
  ...(r.resource ? { resourceType: "doc", resourceId: r.resource } : {}),
});

/** What the scope rules say the viewer gets: the model's rows (by index into the log), a count, or a refusal. */
function expected(v: Viewer, o: Op, rows: Row[]): { rows?: number[]; count?: number; bySeverity?: Record<string, number>; refused?: true } {
  const where = (f: (r: Row) => boolean) => rows.flatMap((r, i) => (v.sees(r) && f(r) ? [i] : []));
  switch (o.op) {
    case "byResource":
    case "listByResource":
      if (v.kind === "grant" && v.grant!.r !== o.resource) return { refused: true };
      return { rows: where((r) => r.resource === o.resource) };
    case "stats": {
      if (v.kind === "grant") return { refused: true };
      const picked = where((r) => r.minute >= o.from);
      const bySeverity = { info: 0, warning: 0, error: 0, critical: 0 } as Record<string, number>;
      for (const i of picked) bySeverity[rows[i].severity]++;
      return { count: picked.length, bySeverity };
    }
    case "critical":
      if (v.kind === "grant") return { refused: true };
      return { rows: where((r) => o.severity.includes(r.severity)) };
    case "byActor":
      if (v.kind === "grant" || (v.kind === "user" && v.id !== o.actor)) return { refused: true };
      return { rows: where((r) => r.actor === o.actor) };
    case "byTenant":
      if (v.kind === "grant" || v.kind === "user" || (v.kind === "tenant" && v.id !== o.tenant)) return { refused: true };
      return { rows: where((r) => r.tenant === o.tenant) };
    case "search":
      if (v.kind === "grant") return { refused: true };
      return { rows: where(() => true) };
    case "get": {
      const i = o.index % rows.length;
      return { rows: v.sees(rows[i]) ? [i] : [] };
    }
  }
}

async function pages(call: (cursor: string | null) => Promise<{ page: Array<{ _id: string }>; isDone: boolean; continueCursor: string }>) {
  const out: Array<{ _id: string }> = [];
  let cursor: string | null = null;
  for (let i = 0; i < 60; i++) {
    const r = await call(cursor);
    out.push(...r.page);
    if (r.isDone) return out;
    cursor = r.continueCursor;
  }
  throw new Error("did not finish");
}

async function ask(t: ReturnType<typeof convexTest>, v: Viewer, o: Op, ids: string[]) {
  const as = t.withIdentity({ subject: v.subject });
  switch (o.op) {
    case "byResource":
      return await as.query(fn.queryByResource, { resourceType: "doc", resourceId: o.resource, limit: 100 });
    case "listByResource":
      return await pages((cursor) => as.query(fn.listByResource, { resourceType: "doc", resourceId: o.resource, paginationOpts: { numItems: 2, cursor } }));
    case "stats":
      return await as.query(fn.getStats, { fromTimestamp: NOW - 60 * 60_000 + o.from * 60_000, toTimestamp: NOW });
    case "critical":
      return await as.query(fn.watchCritical, { severity: o.severity, limit: 100 });
    case "byActor":
      return await as.query(fn.queryByActor, { actorId: o.actor, limit: 100 });
    case "byTenant":
      return await as.query(fn.queryByTenant, { tenantId: o.tenant, limit: 100 });
    case "search":
      return await pages((cursor) => as.query(fn.search, { filters: {}, paginationOpts: { numItems: 3, cursor } }));
    case "get": {
      const event = await as.query(fn.get, { id: ids[o.index % ids.length] });
      return event === null ? [] : [event];
    }
  }
}

describe("read scoping (property)", () => {
  test("no viewer receives a row or an aggregate count outside its scope; refusals exactly where the rules say", async () => {
    vi.useFakeTimers();
    vi.setSystemTime(NOW);
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(rowArb, { minLength: 1, maxLength: 25 }), viewerArb, opArb, async (rows, v, o) => {
          const t = convexTest({ schema, modules: { ...modules, "./scopeProbe.ts": async () => probe }, transactionLimits: true });
          auditLogComponent.register(t);
          const ids = await t.mutation(components.auditLog.log.logBulk, { events: rows.map(toEvent) });
          const want = expected(v, o, rows);
          const got = await ask(t, v, o, ids).then(
            (x) => ({ ok: x }),
            (e: { data?: { code?: string } }) => ({ error: e.data?.code ?? String(e) }),
          );
          const label = JSON.stringify({ v: v.subject, o });
          if (want.refused) {
            expect(got, label).toEqual({ error: "FORBIDDEN" });
            return;
          }
          expect("ok" in got, `${label} ${JSON.stringify(got)}`).toBe(true);
          const answer = (got as { ok: unknown }).ok;
          if (want.count !== undefined) {
            const stats = answer as { totalCount: number; bySeverity: Record<string, number>; topActors: Array<{ actorId: string }> };
            expect(stats.totalCount, label).toBe(want.count);
            expect(stats.bySeverity, label).toEqual(want.bySeverity);
            for (const a of stats.topActors) expect(rows.some((r) => r.actor === a.actorId && v.sees(r)), label).toBe(true);
            return;
          }
          const returned = (answer as Array<{ _id: string; timestamp: number }>).map((e) => ids.indexOf(e._id));
          expect([...returned].sort((a, b) => a - b), label).toEqual(want.rows);
          const times = (answer as Array<{ timestamp: number }>).map((e) => e.timestamp);
          expect(times, label).toEqual([...times].sort((a, b) => b - a));
        }),
        { numRuns: 300 },
      );
    } finally {
      vi.useRealTimers();
    }
  });
});
