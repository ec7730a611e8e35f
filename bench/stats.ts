/**
 * Statistics and anomaly scenarios. First the rollup loop runs to completion
 * over the seeded log (its cost per event folded is a scenario of its own),
 * then getStats and detectAnomalies are called and compared with a model
 * computed from the seeded rows; then a tail of events is logged and not
 * rolled up, and getStats is measured again with it.
 *
 * - `statsRollup`: every batch of the loop summed; rows = events folded.
 * - `getStats_24h`, `getStats_30d`, `getStats_allTime`: windows with
 *   millisecond edges that cut through buckets of every level.
 * - `getStats_tenant`: the busiest tenant, 30 days.
 * - `getStats_30d.tail`: the 30-day window with TAIL events not rolled up.
 * - `detectAnomalies`: six rules in one call (the README's two, per actor, per
 *   tenant, two baselines), and each rule on its own.
 */
import { lookupAction } from "../src/shared/catalog.js";
import { type Anomaly, type AnomalyRule, type AuditStats } from "../src/shared/stats.js";
import { CATEGORIES, SEVERITIES, STATUSES } from "../src/shared/validators.js";
import { ACTIONS, DAY, SEVERITY_NAMES, toInput, type Row, type Workload } from "../dev/workload.js";
import type { BenchEnv, Cost, ScenarioGroup, Target } from "./plugins.js";
import { modelAnomalies } from "../test/support/anomalyModel.js";
import { auditLogApi } from "./runtime.js";

const STATS_READS = 200;
const ANOMALY_READS_PER_RULE = 100;
const TAIL = 500;
/** Events per rollup batch here (the cron's default is 2,000). */
const BATCH = 10_000;

const api = auditLogApi;
const zero = (): Cost => ({ documentsRead: 0, bytesRead: 0, documentsWritten: 0, bytesWritten: 0, databaseQueries: 0 });
const add = (a: Cost, b: Cost) => {
  for (const k of Object.keys(a) as (keyof Cost)[]) a[k] += b[k];
};

type Ev = { timestamp: number; severity: string; category: string; status: string; action: string; actorId?: string; tenantId?: string };

function toEv(w: Workload, row: Row): Ev {
  const action = ACTIONS[row.action].action;
  const e: Ev = {
    timestamp: row.timestamp,
    severity: SEVERITY_NAMES[row.severity],
    // What the component infers: the catalog's category, else "data" (every bench event names a resource).
    category: lookupAction(action, undefined)?.category ?? "data",
    status: row.failed ? "failure" : "success",
    action,
  };
  if (row.actor >= 0) e.actorId = w.actorIds[row.actor];
  if (row.tenant >= 0) e.tenantId = w.tenants[row.tenant];
  return e;
}

const byCount = (a: [string, number], b: [string, number]) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

function modelStats(evs: Ev[], from: number, to: number, tenant: string | undefined, k: number) {
  const fixed = { total: 0, sev: new Map<string, number>(), cat: new Map<string, number>(), st: new Map<string, number>() };
  const actions = new Map<string, number>();
  const actors = new Map<string, number>();
  const inc = (m: Map<string, number>, key: string) => m.set(key, (m.get(key) ?? 0) + 1);
  for (const e of evs) {
    if (e.timestamp < from || e.timestamp > to) continue;
    if (tenant !== undefined && e.tenantId !== tenant) continue;
    fixed.total++;
    inc(fixed.sev, e.severity);
    inc(fixed.cat, e.category);
    inc(fixed.st, e.status);
    inc(actions, e.action);
    if (e.actorId !== undefined) inc(actors, e.actorId);
  }
  const of = (names: readonly string[], m: Map<string, number>) => Object.fromEntries(names.map((n) => [n, m.get(n) ?? 0]));
  return {
    totalCount: fixed.total,
    bySeverity: of(SEVERITIES, fixed.sev),
    byCategory: of(CATEGORIES, fixed.cat),
    byStatus: of(STATUSES, fixed.st),
    topActions: [...actions].sort(byCount).slice(0, k).map(([action, count]) => ({ action, count })),
    topActors: [...actors].sort(byCount).slice(0, k).map(([actorId, count]) => ({ actorId, count })),
    distinctActions: actions.size,
    distinctActors: actors.size,
  };
}

/** JSON with object keys sorted: Convex returns objects with their keys in its own order. */
const canonical = (x: unknown): string =>
  JSON.stringify(x, (_k, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)))
      : v,
  );

function sameStats(got: AuditStats, want: ReturnType<typeof modelStats>): boolean {
  const { fromTimestamp: _f, toTimestamp: _t, rolledUpThrough: _r, pendingEvents: _p, ...rest } = got;
  const same = canonical(rest) === canonical(want);
  if (!same) console.log(`  MISMATCH\n    got  ${JSON.stringify(rest)}\n    want ${JSON.stringify(want)}`);
  return same;
}


const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function sameAnomalies(got: Anomaly[], want: Anomaly[]): boolean {
  if (got.length !== want.length) {
    console.log(`  MISMATCH: ${got.length} anomalies, the model ${want.length}`);
    return false;
  }
  return got.every((g, i) => {
    const e = want[i];
    const strip = (a: Anomaly) => canonical({ ...a, limit: 0, baseline: a.baseline && { ...a.baseline, mean: 0, stddev: 0 } });
    const same =
      strip(g) === strip(e) &&
      close(g.limit, e.limit) &&
      (!e.baseline || (close(g.baseline!.mean, e.baseline.mean) && close(g.baseline!.stddev, e.baseline.stddev)));
    if (!same) console.log(`  MISMATCH\n    got  ${canonical(g)}\n    want ${canonical(e)}`);
    return same;
  });
}

const readsAtMost = (n: number): Target => ({ text: `reads ≤ ${n}`, met: (s) => s.documentsRead <= n });

export const statsScenarios: ScenarioGroup = {
  name: "stats",
  run: async (env: BenchEnv) => {
    const { t, w, model, measure, record } = env;

    // 1. The rollup loop, to completion.
    // convex-test's newest _creationTime may be a hair ahead of the clock after fast seeding.
    await new Promise((r) => setTimeout(r, 5));
    const main = await foldAll(measure, "rollup");
    const { cost: rollupCost, folded, batches, maxBatchBytesRead, maxBatchWrites, failures } = main;
    const status = await t.run((ctx) => ctx.runQuery(api.stats.status, {}));
    // Scenarios before this one (reports) log events of their own: the loop folds those too.
    const extra = folded - model.rows.length;
    const perEvent = (n: number) => (n / Math.max(1, folded)).toFixed(3);
    record(
      "statsRollup",
      rollupCost,
      folded,
      extra >= 0 && extra < 100 && status.folded === folded,
      {
        // One digest plus ten levels in two scopes is the most an event can
        // touch. A batch that fails on a limit fails the scenario (the loop
        // above only carries on to measure the rest).
        ...foldTarget(failures),
      },
      `${batches} batches of ≤ ${BATCH}${extra ? ` (${extra} events logged by earlier scenarios included)` : ""}: per event folded ${perEvent(rollupCost.documentsRead)} docs read (the event itself included), ` +
        `${perEvent(rollupCost.documentsWritten)} docs written, ${perEvent(rollupCost.bytesWritten)} bytes written, ` +
        `${(rollupCost.databaseQueries / batches).toFixed(1)} index ranges per batch; ` +
        `largest batch read ${(maxBatchBytesRead / 1048576).toFixed(1)} MiB, wrote ${maxBatchWrites} docs; ${main.seconds.toFixed(0)} s in convex-test` +
        failed(failures),
    );

    const evs = model.rows.map((row) => toEv(w, row));
    const tenantCounts = model.countBy((r) => (r.tenant >= 0 ? w.tenants[r.tenant] : undefined));
    const busyTenant = [...tenantCounts].reduce((a, b) => (b[1] > a[1] ? b : a))[0];

    // 2. getStats: windows whose edges fall mid-minute, so every level is cut.
    const windows: Array<[string, number, number, string | undefined, string]> = [
      ["getStats_24h", w.end - DAY + 12_345, w.end - 6_789, undefined, "last 24 h, edges mid-minute"],
      ["getStats_30d", w.start + 31_337, w.end - 1, undefined, "30 days (the whole log), edges mid-minute"],
      ["getStats_tenant", w.start + 31_337, w.end - 1, busyTenant, `busiest tenant ${busyTenant}, 30 days`],
      ["getStats_allTime", 0, w.end + DAY, undefined, "fromTimestamp 0 to a day past the log"],
      ["getStats_7d.aligned", w.end - 7 * DAY, w.end, undefined, "7 days on whole minutes"],
    ];
    for (const [name, from, to, tenantId, note] of windows) {
      const { result, cost } = await measure((ctx) =>
        ctx.runQuery(api.stats.getStats, { fromTimestamp: from, toTimestamp: to, tenantId }),
      );
      const want = modelStats(evs, from, to, tenantId, 10);
      record(name, cost, 1, sameStats(result, want) && result.pendingEvents === 0, readsAtMost(STATS_READS),
        `${note}: ${result.totalCount.toLocaleString("en")} events, ${result.distinctActors.toLocaleString("en")} actors`);
    }

    // 3. detectAnomalies at the end of the log.
    const now = w.end;
    const rules: Array<[string, AnomalyRule]> = [
      ["threshold", { action: "user.login.failed", threshold: 5, windowMinutes: 5 }],
      ["threshold60", { action: "record.deleted", threshold: 50, windowMinutes: 60 }],
      ["groupByActor", { action: "user.login.failed", threshold: 3, windowMinutes: 24 * 60, groupBy: "actor" }],
      ["groupByTenant", { action: "security.unauthorized_access", threshold: 2, windowMinutes: 24 * 60, groupBy: "tenant" }],
      ["baseline", { action: "user.login", windowMinutes: 60, baseline: { periods: 24, k: 2 }, threshold: 1 }],
      ["baselineDaily", { action: "record.exported", windowMinutes: 180, tenantId: busyTenant, baseline: { periods: 14, periodMinutes: 1440, k: 0.5 } }],
    ];
    {
      const all = rules.map(([, r]) => r);
      const { result, cost } = await measure((ctx) => ctx.runQuery(api.anomalies.detectAnomalies, { rules: all, now }));
      const want = modelAnomalies(evs, all, now);
      record("detectAnomalies", cost, result.length, sameAnomalies(result, want), readsAtMost(ANOMALY_READS_PER_RULE * all.length),
        `${all.length} rules in one call (the README's two, per actor, per tenant, two baselines): ${result.length} fired`);
      for (const [label, rule] of rules) {
        const one = await measure((ctx) => ctx.runQuery(api.anomalies.detectAnomalies, { rules: [rule], now }));
        const wantOne = modelAnomalies(evs, [rule], now);
        record(`detectAnomalies.${label}`, one.cost, one.result.length, sameAnomalies(one.result, wantOne), readsAtMost(ANOMALY_READS_PER_RULE),
          `${rule.action}, ${rule.windowMinutes} min${rule.groupBy ? `, by ${rule.groupBy}` : ""}${rule.baseline ? `, baseline of ${rule.baseline.periods}` : ""}: ${one.result.length ? `fired, count ${one.result[0].count}` : "quiet"}`);
      }
    }

    // 4. A tail: TAIL events logged and not rolled up yet.
    const tailRows: Row[] = Array.from({ length: TAIL }, (_, j) => {
      const base = model.rows[(j * 7919) % model.rows.length];
      return { ...base, timestamp: w.end - ((j * 104_729) % (2 * DAY)) };
    });
    const ids = await t.run((ctx) =>
      ctx.runMutation(api.log.logBulk, { events: tailRows.map((row, j) => toInput(w, row, model.rows.length + j)) }),
    );
    tailRows.forEach((row, j) => model.add(row, ids[j]));
    const withTail = [...evs, ...tailRows.map((row) => toEv(w, row))];
    {
      const from = w.start + 31_337;
      const to = w.end - 1;
      const { result, cost } = await measure((ctx) => ctx.runQuery(api.stats.getStats, { fromTimestamp: from, toTimestamp: to }));
      record("getStats_30d.tail", cost, 1, sameStats(result, modelStats(withTail, from, to, undefined, 10)) && result.pendingEvents === TAIL,
        readsAtMost(STATS_READS + TAIL), `30 days with ${TAIL} events not rolled up yet: each is read once`);
    }
    // Fold the tail, so what follows (retention) sees a rolled-up log. Its
    // events are late (spread over the log's last two days), so one batch
    // touches far more buckets than a batch of the main loop: its own row.
    await new Promise((r) => setTimeout(r, 5));
    {
      const tail = await foldAll(measure, "rollup (tail)");
      record(
        "statsRollup.tail",
        tail.cost,
        tail.folded,
        tail.folded === TAIL,
        foldTarget(tail.failures),
        `the ${TAIL} late events of getStats_30d.tail (timestamps over the last 2 days) folded after the loop had caught up: ` +
          `${tail.batches} batch(es), largest read ${(tail.maxBatchBytesRead / 1048576).toFixed(1)} MiB, wrote ${tail.maxBatchWrites} docs` +
          failed(tail.failures),
      );
    }
  },
};

/** One digest plus ten levels in two scopes is the most an event can touch; a batch that fails on a limit fails the scenario. */
const foldTarget = (failures: string[]): Target => ({
  text: "every event folded once; writes ≤ 21 per event; no batch fails",
  met: (s) => s.documentsWritten <= 21 * s.rows && failures.length === 0,
});

const failed = (failures: string[]) =>
  failures.length ? `; ${failures.length} batch(es) FAILED, each retried at half size: ${failures.join("; ")}` : "";

/**
 * `stats.rollup` until caught up, with the costs summed. A batch that fails
 * on a transaction limit is a finding, not the end of the run: it is written
 * down, and the loop goes on the way the component's cron does (the next
 * batch half as large, then doubling back), so the rest of the group runs.
 */
async function foldAll(measure: BenchEnv["measure"], label: string) {
  const cost = zero();
  const failures: string[] = [];
  let folded = 0;
  let batches = 0;
  let maxBatchBytesRead = 0;
  let maxBatchWrites = 0;
  let maxEvents = BATCH;
  let lastBytesRead = 0;
  let retried = false;
  const started = Date.now();
  for (;;) {
    let step: { result: { folded: number; caughtUp: boolean }; cost: Cost };
    try {
      step = await measure((ctx) => ctx.runMutation(api.stats.rollup, { maxEvents, settleMs: 0 }));
    } catch (e) {
      const message = e instanceof Error ? e.message.split("\n")[0] : String(e);
      failures.push(
        `batch ${batches + 1} (maxEvents ${maxEvents}, ${folded.toLocaleString("en")} folded before it; the batch before read ` +
          `${(lastBytesRead / 1048576).toFixed(2)} MiB) failed: ${message}`,
      );
      if (maxEvents === 1 || failures.length > 50) throw e;
      maxEvents = Math.max(1, Math.floor(maxEvents / 2));
      retried = true;
      continue;
    }
    const { result, cost: c } = step;
    if (retried) {
      failures[failures.length - 1] += `, then maxEvents ${maxEvents} went through (${result.folded} events, ${(c.bytesRead / 1048576).toFixed(2)} MiB read)`;
      console.log(`  ${label}: ${failures[failures.length - 1]}`);
      retried = false;
    }
    maxEvents = Math.min(BATCH, maxEvents * 2);
    lastBytesRead = c.bytesRead;
    add(cost, c);
    folded += result.folded;
    batches++;
    maxBatchBytesRead = Math.max(maxBatchBytesRead, c.bytesRead);
    maxBatchWrites = Math.max(maxBatchWrites, c.documentsWritten);
    if (batches % 10 === 0) console.log(`  ${label}: ${folded.toLocaleString("en")} events folded in ${batches} batches, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    if (result.caughtUp) break;
  }
  return { cost, folded, batches, maxBatchBytesRead, maxBatchWrites, failures, seconds: (Date.now() - started) / 1000 };
}
