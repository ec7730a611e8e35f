/**
 * The core scenarios: the read API (`queries`, run first, while the table
 * holds exactly the model's rows) and the write path through the `AuditLog`
 * client class (`writes`, run last: it adds events the model does not know).
 * The tables of both are in bench/README.md, "Scenarios and targets".
 */
import type { PaginationResult } from "convex/server";
import { AuditLog } from "../src/client/index.js";
import { diffValues } from "../src/shared/diff.js";
import type { AuditEvent, EventInput } from "../src/shared/validators.js";
import { ACTIONS, DAY, RESOURCE_TYPES, resourceId, SEVERITY_NAMES, TIE_ACTOR, toInput, type Row } from "../dev/workload.js";
import { changePair } from "./cpu.js";
import type { BenchEnv, Cost, Ctx, ScenarioGroup, Target } from "./plugins.js";
import { auditLogApi } from "./runtime.js";

/** Events in the `logBulk500` scenario's one call. */
const BULK = 500;

const readsWithin = (extra: number): Target => ({
  text: `reads ≤ rows + ${extra}`,
  met: (s) => s.documentsRead <= s.rows + extra,
});
const writesExactly = (n: number, maxReads = 0): Target => ({
  text: maxReads === 0 ? `writes ${n}, reads 0` : `writes ${n}, reads ≤ ${maxReads}`,
  met: (s) => s.documentsWritten === n && s.documentsRead <= maxReads,
});

const sameIds = (page: { _id: string }[], expected: string[]) =>
  page.length === expected.length && page.every((e, i) => e._id === expected[i]);

const q = auditLogApi.queries;
type Page = PaginationResult<AuditEvent>;

export const queryScenarios: ScenarioGroup = {
  name: "queries",
  run: async (env: BenchEnv) => {
    const { w, model, measure, record, pageSize: PAGE } = env;
    const { busyActor, busyTenant, typicalDoc, hotDoc } = env.targets;
    const actorIndex = w.actorIds.indexOf(busyActor);
    const tenantIndex = w.tenants.indexOf(busyTenant);
    const docType = RESOURCE_TYPES.indexOf("document");
    const isDoc = (id: string) => (r: Row) => r.resourceType === docType && resourceId(w, r) === id;
    const hotDocTenant = w.rows.find(isDoc(hotDoc))!.tenant;
    const loginLogout = ["user.login", "user.logout"];
    const loginLogoutIdx = loginLogout.map((a) => ACTIONS.findIndex((s) => s.action === a));
    const critical = [SEVERITY_NAMES.indexOf("error"), SEVERITY_NAMES.indexOf("critical")];
    const last24h = { fromTimestamp: w.end - DAY, toTimestamp: w.end };

    /** One page, checked against the model's rows [offset, offset + PAGE). */
    const pageScenario = async (
      name: string,
      note: string,
      call: (ctx: Ctx) => Promise<Page>,
      expectedAll: string[],
      offset = 0,
    ) => {
      const { result, cost } = await measure(call);
      const expected = expectedAll.slice(offset, offset + PAGE);
      record(name, cost, result.page.length, sameIds(result.page, expected), readsWithin(2), `${note}; ${expectedAll.length} matching`);
      return result;
    };

    // get: by id, and by id under the wrong tenant (must look absent).
    {
      const i = Math.floor(w.n / 2);
      const id = model.ids[i];
      const row = model.rows[i];
      const { result, cost } = await measure((ctx) => ctx.runQuery(q.get, { id }));
      const ok = result !== null && result._id === id && result.action === ACTIONS[row.action].action && result.timestamp === row.timestamp;
      record("get", cost, result === null ? 0 : 1, ok, readsWithin(2), "one event by id");
      const other = w.tenants[(Math.max(row.tenant, 0) + 1) % w.tenants.length];
      const scoped = await measure((ctx) => ctx.runQuery(q.get, { id, tenantId: other }));
      record("get.otherTenant", scoped.cost, scoped.result === null ? 0 : 1, scoped.result === null, readsWithin(2), "same id, another tenant: null");
    }

    {
      const expected = model.expected(isDoc(typicalDoc));
      await pageScenario("queryByResource", `typical document ${typicalDoc}, page of ${PAGE}`, (ctx) =>
        ctx.runQuery(q.queryByResource, { resourceType: "document", resourceId: typicalDoc, paginationOpts: { numItems: PAGE, cursor: null } }),
        expected);
      const hot = model.expected(isDoc(hotDoc));
      const p1 = await pageScenario("queryByResource.hot", `busiest document ${hotDoc}, page 1`, (ctx) =>
        ctx.runQuery(q.queryByResource, { resourceType: "document", resourceId: hotDoc, paginationOpts: { numItems: PAGE, cursor: null } }),
        hot);
      await pageScenario("queryByResource.hot.page2", "busiest document, page 2 via continueCursor", (ctx) =>
        ctx.runQuery(q.queryByResource, { resourceType: "document", resourceId: hotDoc, paginationOpts: { numItems: PAGE, cursor: p1.continueCursor } }),
        hot, PAGE);
      await pageScenario("queryByResource.tenant", "busiest document scoped to its tenant (by_tenant_resource)", (ctx) =>
        ctx.runQuery(q.queryByResource, {
          resourceType: "document",
          resourceId: hotDoc,
          tenantId: w.tenants[hotDocTenant],
          paginationOpts: { numItems: PAGE, cursor: null },
        }),
        model.expected((r) => isDoc(hotDoc)(r) && r.tenant === hotDocTenant));
    }

    {
      const all = model.expected((r) => r.actor === actorIndex);
      const p1 = await pageScenario("queryByActor", `busiest actor ${busyActor}, page 1`, (ctx) =>
        ctx.runQuery(q.queryByActor, { actorId: busyActor, paginationOpts: { numItems: PAGE, cursor: null } }),
        all);
      await pageScenario("queryByActor.page2", "busiest actor, page 2", (ctx) =>
        ctx.runQuery(q.queryByActor, { actorId: busyActor, paginationOpts: { numItems: PAGE, cursor: p1.continueCursor } }),
        all, PAGE);
      await pageScenario("queryByActor.tenant", "busiest actor scoped to its tenant (by_tenant_actor)", (ctx) =>
        ctx.runQuery(q.queryByActor, { actorId: busyActor, tenantId: busyTenantOf(actorIndex), paginationOpts: { numItems: PAGE, cursor: null } }),
        model.expected((r) => r.actor === actorIndex && r.tenant === w.tenants.indexOf(busyTenantOf(actorIndex))));

      const filtered = model.expected((r) => r.actor === actorIndex && loginLogoutIdx.includes(r.action));
      const a1 = await pageScenario("queryByActorActions", `busiest actor, actions ${loginLogout.join(" + ")}, page 1`, (ctx) =>
        ctx.runQuery(q.queryByActor, { actorId: busyActor, actions: loginLogout, paginationOpts: { numItems: PAGE, cursor: null } }),
        filtered);
      await pageScenario("queryByActorActions.page2", "same, page 2 via the merged cursor", (ctx) =>
        ctx.runQuery(q.queryByActor, { actorId: busyActor, actions: loginLogout, paginationOpts: { numItems: PAGE, cursor: a1.continueCursor } }),
        filtered, PAGE);
    }

    // Walks every page of the same-timestamp block: each boundary falls inside the tie.
    {
      const tieActor = w.actorIds.indexOf(TIE_ACTOR);
      const expected = model.expected((r) => r.actor === tieActor && loginLogoutIdx.includes(r.action));
      const total: Cost = { documentsRead: 0, bytesRead: 0, documentsWritten: 0, bytesWritten: 0, databaseQueries: 0 };
      const seen: AuditEvent[] = [];
      let cursor: string | null = null;
      let pages = 0;
      for (;;) {
        const paginationOpts = { numItems: PAGE, cursor };
        const { result, cost } = await measure((ctx): Promise<Page> =>
          ctx.runQuery(q.queryByActor, { actorId: TIE_ACTOR, actions: loginLogout, paginationOpts }),
        );
        for (const k of Object.keys(total) as (keyof Cost)[]) total[k] += cost[k];
        seen.push(...result.page);
        pages += 1;
        if (result.isDone || result.page.length === 0 || pages > expected.length / PAGE + 2) break;
        cursor = result.continueCursor;
      }
      record("queryByActorActions.ties", total, seen.length, sameIds(seen, expected), readsWithin(2 * pages),
        `${expected.length} events at one timestamp, all ${pages} pages summed (target is 2 look-aheads per page)`);
    }

    function busyTenantOf(actor: number): string {
      const row = model.rows.find((r) => r.actor === actor);
      return w.tenants[row!.tenant];
    }

    {
      const all = model.expected((r) => r.tenant === tenantIndex);
      const p1 = await pageScenario("queryByTenant", `busiest tenant ${busyTenant}, page 1`, (ctx) =>
        ctx.runQuery(q.queryByTenant, { tenantId: busyTenant, paginationOpts: { numItems: PAGE, cursor: null } }),
        all);
      await pageScenario("queryByTenant.page2", "busiest tenant, page 2", (ctx) =>
        ctx.runQuery(q.queryByTenant, { tenantId: busyTenant, paginationOpts: { numItems: PAGE, cursor: p1.continueCursor } }),
        all, PAGE);
      await pageScenario("queryByTenant.last24h", "busiest tenant, last 24 h window", (ctx) =>
        ctx.runQuery(q.queryByTenant, { tenantId: busyTenant, ...last24h, paginationOpts: { numItems: PAGE, cursor: null } }),
        model.expected((r) => r.tenant === tenantIndex, last24h));
    }

    {
      const limit = 20;
      const all = model.expected((r) => critical.includes(r.severity)).slice(0, limit);
      const { result, cost } = await measure((ctx) => ctx.runQuery(q.watchCritical, {}));
      record("watchCritical", cost, result.length, sameIds(result, all), readsWithin(2), `default: error + critical, newest ${limit}`);
      const scoped = model.expected((r) => r.tenant === tenantIndex && critical.includes(r.severity)).slice(0, limit);
      const s = await measure((ctx) => ctx.runQuery(q.watchCritical, { tenantId: busyTenant, limit }));
      record("watchCritical.tenant", s.cost, s.result.length, sameIds(s.result, scoped), readsWithin(2), `busiest tenant, newest ${limit}`);
    }
  },
};

// Writes go through the client class, as an app's mutation would call it.
export const writeScenarios: ScenarioGroup = {
  name: "writes",
  run: async (env: BenchEnv) => {
    const { t, w, measure, record } = env;
    const { busyActor, busyTenant } = env.targets;
    const auditLog = new AuditLog(auditLogApi, { piiFields: ["email", "phone", "address.street"] });
    const readBack = (ids: string[]) =>
      t.run(async (ctx) => Promise.all(ids.map((id) => ctx.runQuery(q.get, { id }))));

    const sample = toInput(w, w.rows[0], 0);
    const event = {
      action: "user.login",
      actorId: busyActor,
      tenantId: busyTenant,
      resourceType: "user",
      resourceId: busyActor,
      metadata: sample.metadata,
    };
    const { result: id, cost } = await measure((ctx) => auditLog.log(ctx, event));
    const [doc] = await readBack([id]);
    record("log", cost, 1, doc?.action === "user.login" && doc.actorId === busyActor, writesExactly(1), "one event through AuditLog.log");

    const { before, after } = changePair();
    const change = await measure((ctx) =>
      auditLog.logChange(ctx, {
        action: "user.updated",
        actorId: busyActor,
        tenantId: busyTenant,
        resourceType: "user",
        resourceId: "user_0042",
        before,
        after,
      }),
    );
    const [changed] = await readBack([change.result]);
    // Sorted: arguments cross Convex's serialisation, which orders object
    // keys, so the stored diff lists the same changes in key order.
    const expectedPaths = diffValues(before, after).map((c) => JSON.stringify(c.path)).sort();
    const leaked = [before.email, after.email, before.passwordHash, after.passwordHash, before.phone].some((s) =>
      JSON.stringify(changed).includes(s),
    );
    const changeOk =
      changed !== null &&
      JSON.stringify(changed.changes?.map((c) => JSON.stringify(c.path)).sort()) === JSON.stringify(expectedPaths) &&
      !leaked;
    record("logChange", change.cost, 1, changeOk, writesExactly(1), "~2 KB before/after pair, diff + redaction");

    const bulk: EventInput[] = Array.from({ length: BULK }, (_, j) => {
      const i = (j * 7919) % w.n;
      const { timestamp: _ts, ...input } = toInput(w, w.rows[i], i);
      return input;
    });
    const b = await measure((ctx) => auditLog.logBulk(ctx, bulk as never));
    const docs = await readBack(b.result);
    const bulkOk = new Set(b.result).size === BULK && docs.every((d, j) => d !== null && d.action === bulk[j].action);
    record("logBulk500", b.cost, b.result.length, bulkOk, writesExactly(BULK), `${BULK} events in one call`);

    const key = `bench-${env.seed}-${w.n}`;
    const first = await measure((ctx) => auditLog.log(ctx, { ...event, idempotencyKey: key }));
    record("log.idempotencyKey", first.cost, 1, typeof first.result === "string", writesExactly(1, 1),
      "new idempotency key: one index lookup, one insert");
    const again = await measure((ctx) => auditLog.log(ctx, { ...event, idempotencyKey: key }));
    record("log.idempotencyKey.duplicate", again.cost, 1, again.result === first.result, writesExactly(0, 1),
      "same key again: returns the first id, writes nothing");
  },
};
