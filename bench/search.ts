/**
 * search_* scenarios: five-plus filter mixes over the seeded log. Each walks
 * its pages (page size 50) and compares everything it returned, in order,
 * with the model; the cost recorded is the first page's, and for plans that
 * no index covers also the worst page's reads against the scan budget.
 */
import { lookupAction } from "../src/shared/catalog.js";
import type { SearchFilters, SearchPage } from "../src/shared/filters.js";
import { ACTIONS, DAY, RESOURCE_TYPES, SEVERITY_NAMES, tagsOf, type Row, type Workload } from "../dev/workload.js";
import type { BenchEnv, Cost, ScenarioGroup } from "./plugins.js";
import { auditLogApi } from "./runtime.js";



function matcher(w: Workload, f: SearchFilters, index: Map<Row, number>) {
  return (r: Row) => {
    const action = ACTIONS[r.action].action;
    const resourceType = RESOURCE_TYPES[r.resourceType];
    const category = lookupAction(action, undefined)?.category ?? "data";
    const actorId = r.actor >= 0 ? w.actorIds[r.actor] : undefined;
    const tenantId = r.tenant >= 0 ? w.tenants[r.tenant] : undefined;
    return (
      (f.tenantId === undefined || tenantId === f.tenantId) &&
      (f.severity === undefined || f.severity.includes(SEVERITY_NAMES[r.severity])) &&
      (f.actions === undefined || f.actions.includes(action)) &&
      (f.actorIds === undefined || (actorId !== undefined && f.actorIds.includes(actorId))) &&
      (f.resourceType === undefined || resourceType === f.resourceType) &&
      (f.status === undefined || (r.failed ? "failure" : "success") === f.status) &&
      (f.category === undefined || category === f.category) &&
      (f.tags === undefined || f.tags.every((t) => tagsOf(index.get(r)!).includes(t)))
    );
  };
}

export const searchScenarios: ScenarioGroup = {
  name: "search",
  run: async (env: BenchEnv) => {
    const { w, model, measure, record, pageSize } = env;
    const index = new Map(model.rows.map((r, i) => [r, i]));
    const busy = (key: (r: Row) => string | undefined) => {
      const counts = model.countBy(key);
      return [...counts].sort((a, b) => b[1] - a[1]).map(([k]) => k);
    };
    const [tenant1] = busy((r) => (r.tenant >= 0 ? w.tenants[r.tenant] : undefined));
    const [actor1, actor2] = busy((r) => (r.actor >= 0 ? w.actorIds[r.actor] : undefined));

    const cases: Array<{ name: string; note: string; filters: SearchFilters; scanBudget?: number }> = [
      {
        name: "search_seed",
        note: "the README's filters: warning+ severities, user.login.failed, tag, last 24 h",
        filters: { severity: ["warning", "error", "critical"], actions: ["user.login.failed"], fromTimestamp: w.end - DAY, tags: ["sso"] },
      },
      {
        name: "search_tenant_errors",
        note: "busiest tenant, error + critical: covered by by_tenant_severity",
        filters: { tenantId: tenant1, severity: ["error", "critical"] },
      },
      {
        name: "search_actors_actions",
        note: "two busiest actors × login/logout: 4 by_actor_action ranges",
        filters: { actorIds: [actor1, actor2], actions: ["user.login", "user.logout"] },
      },
      { name: "search_failures", note: "status failure: covered by by_status", filters: { status: "failure" } },
      {
        name: "search_old_range",
        note: "record.updated 25–28 days before the end: by_action with a time range",
        filters: { actions: ["record.updated"], fromTimestamp: w.end - 28 * DAY, toTimestamp: w.end - 25 * DAY },
      },
      {
        name: "search_rare_tag",
        note: "tag 'incident' (0.1% of events): no index covers tags; scan budget 2,000 per page",
        filters: { tags: ["incident"] },
      },
      {
        name: "search_multi_uncovered",
        note: "tenant + resourceType invoice + category + tag: by_tenant_category, the rest filtered while scanning",
        filters: { tenantId: tenant1, resourceType: "invoice", category: "data", tags: ["api"] },
      },
      {
        name: "search_multi_uncovered_b",
        note: "tenant + resourceType invoice + tag api: by_tenant, filtered while scanning",
        filters: { tenantId: tenant1, resourceType: "invoice", tags: ["api"] },
      },
    ];

    for (const c of cases) {
      const expected = model.expected(matcher(w, c.filters, index), c.filters);
      const got: string[] = [];
      let cursor: string | null = null;
      let first: { cost: Cost; page: SearchPage } | undefined;
      let worstReads = 0;
      let pages = 0;
      let maxPerPageOk = true;
      // Enough pages for a budget-bound walk over the whole table (rare tag).
      const maxPages = Math.ceil(w.n / 2000) + 20;
      for (; pages < maxPages; ) {
        const { result, cost } = await measure((ctx) =>
          ctx.runQuery(auditLogApi.search.search, {
            filters: c.filters,
            paginationOpts: { numItems: pageSize, cursor },
            scanBudget: c.scanBudget,
          }),
        );
        pages++;
        first ??= { cost, page: result };
        worstReads = Math.max(worstReads, cost.documentsRead);
        if (result.plan.covered && cost.documentsRead > 1.5 * result.page.length + 10 && !result.isDone) maxPerPageOk = false;
        got.push(...result.page.map((e) => e._id));
        if (result.isDone || got.length >= 4 * pageSize) break;
        cursor = result.continueCursor;
      }
      const correct = got.length > 0 || expected.length === 0 ? got.every((id, i) => id === expected[i]) && (got.length >= Math.min(expected.length, 4 * pageSize)) : false;
      if (process.env.BENCH_DEBUG && !got.every((id, i) => id === expected[i])) {
        const i = got.findIndex((id, k) => id !== expected[k]);
        console.log(c.name, "first mismatch at", i, "got", got.length, "expected", expected.length, got.slice(i, i + 2), expected.slice(i, i + 2));
      }
      const plan = first!.page.plan;
      const coveredTarget = {
        text: plan.covered ? "covered: reads ≤ 1.5 × rows + 10 per page" : "uncovered: reads ≤ scan budget per page",
        met: (s: Cost & { rows: number }) =>
          plan.covered ? s.documentsRead <= 1.5 * s.rows + 10 && maxPerPageOk : worstReads <= 2000 + 12,
      };
      record(
        c.name,
        first!.cost,
        first!.page.page.length,
        correct,
        coveredTarget,
        `${c.note}; plan ${plan.index} ×${plan.ranges}${plan.covered ? " (covered)" : ""}; ${expected.length} matching; walked ${pages} page(s), ${got.length} rows, worst page read ${worstReads}`,
      );
    }
  },
};
