/**
 * `npm run bench [-- --events N]`: seeds N audit events into convex-test with
 * Convex's transaction limits on, calls every API once (some twice, through
 * the cursor), and records what each call cost in documents and bytes, and
 * whether it returned exactly what an in-memory model says it should.
 *
 * Costs are read from `ctx.meta.getTransactionMetrics()` before and after one
 * component call inside `t.run`, so they count that call alone. Wall-clock
 * time under convex-test is not reported for queries: convex-test scans the
 * whole table for every index range, so its timings say nothing about
 * production. Pure CPU work is timed separately, in plain Node (cpu.ts).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import v8 from "node:v8";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { PaginationResult } from "convex/server";
import { AuditLog } from "../src/client/index.js";
import { diffValues } from "../src/shared/diff.js";
import type { AuditEvent, EventInput } from "../src/shared/validators.js";
import { changePair, runCpuBench, type CpuResult } from "./cpu.js";
import { ACTIONS, DAY, generate, RESOURCE_TYPES, resourceId, SEVERITY_NAMES, TIE_ACTOR, toInput, type Row } from "../dev/workload.js";
import { Model } from "./model.js";
import { auditLogApi, createRuntime, fastIndexStats, type Runtime } from "./runtime.js";
import { PLUGINS } from "./plugins.js";

type Ctx = Parameters<Parameters<Runtime["run"]>[0]>[0];
type Cost = {
  documentsRead: number;
  bytesRead: number;
  documentsWritten: number;
  bytesWritten: number;
  databaseQueries: number;
};
type Target = { text: string; met: (s: Cost & { rows: number }) => boolean };
type Scenario = Cost & {
  name: string;
  rows: number;
  correct: boolean;
  target: string;
  pass: boolean;
  note: string;
};

const PAGE = 50;
const BULK = 500;
const benchDir = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: string[]) {
  const opts = {
    events: 100_000,
    seed: 1,
    out: resolve(benchDir, "results.json"),
    cpu: true,
    strict: false,
    // On by default: it changes no figure (it hands convex-test's counting
    // code the same documents in the same order; bench/README.md has the
    // check), and without it a 100,000-event run takes 15 minutes and a
    // million-event one many hours.
    fastIndex: true,
    verifyIndex: false,
    fixedClock: false,
    /** Scenario groups to run ("queries", "writes", or a plugin's name); all when unset. */
    only: undefined as string[] | undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === "--events") opts.events = Number(value().replace(/_/g, ""));
    else if (a === "--seed") opts.seed = Number(value());
    else if (a === "--out") opts.out = resolve(value());
    else if (a === "--no-cpu") opts.cpu = false;
    else if (a === "--strict") opts.strict = true;
    else if (a === "--exact-runtime") opts.fastIndex = false;
    else if (a === "--verify-index") opts.verifyIndex = true;
    else if (a === "--fixed-clock") opts.fixedClock = true;
    else if (a === "--only") opts.only = value().split(",");
    else {
      throw new Error(
        `unknown argument ${a} (use --events N, --seed S, --out FILE, --no-cpu, --strict, --exact-runtime, --verify-index, --fixed-clock, --only GROUP,...)`,
      );
    }
  }
  if (opts.only) {
    const groups = ["queries", ...PLUGINS.map((g) => g.name), "writes"];
    const unknown = opts.only.filter((g) => !groups.includes(g));
    if (unknown.length) throw new Error(`--only: unknown group ${unknown.join(", ")} (groups: ${groups.join(", ")})`);
    // A partial run must not overwrite the full results the READMEs quote.
    if (!argv.includes("--out")) throw new Error("--only needs --out FILE: the default results.json holds full runs");
  }
  if (!Number.isInteger(opts.events) || opts.events < 1000) throw new Error("--events must be an integer ≥ 1000");
  return opts;
}

async function metrics(ctx: Ctx): Promise<Cost> {
  const m = await ctx.meta.getTransactionMetrics();
  return {
    documentsRead: m.documentsRead.used,
    bytesRead: m.bytesRead.used,
    documentsWritten: m.documentsWritten.used,
    bytesWritten: m.bytesWritten.used,
    databaseQueries: m.databaseQueries.used,
  };
}

/** Runs `fn` in its own transaction and returns its result with what it alone cost. */
async function measure<T>(t: Runtime, fn: (ctx: Ctx) => Promise<T>): Promise<{ result: T; cost: Cost }> {
  return await t.run(async (ctx) => {
    const m0 = await metrics(ctx);
    const result = await fn(ctx);
    const m1 = await metrics(ctx);
    const cost = Object.fromEntries(
      Object.keys(m0).map((k) => [k, m1[k as keyof Cost] - m0[k as keyof Cost]]),
    ) as Cost;
    return { result, cost };
  });
}

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

function fmtBytes(n: number): string {
  if (n < 10_000) return `${n} B`;
  if (n < 10_000_000) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

function pad(s: string | number, n: number, right = false) {
  const str = String(s);
  return right ? str.padStart(n) : str.padEnd(n);
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (opts.fixedClock) {
    // Cleanup cutoffs ("now" minus N days), export steps (a time budget) and
    // creation times read the clock, so two runs differ by how long they
    // took. For comparing runtimes, a clock that starts at a fixed instant
    // and ticks 1 ms per reading makes a run a function of its inputs alone
    // (the seconds it reports are then readings, not time).
    // Four months after the data's last day, like a run in mid-2026 (the
    // cleanup scenarios delete what is more than 30 to 90 days old).
    let now = Date.UTC(2026, 4, 31);
    Date.now = () => (now += 1);
  }
  const startedAt = Date.now();
  // Taken now, when the sources are loaded, not at the end: src/ may be
  // edited while a long run is going.
  const source = sourceVersion();
  // Sampled after each seeding tenth and each scenario: enough to size the
  // --max-old-space-size a larger run needs.
  let peakRss = 0;
  let peakHeap = 0;
  const sampleMemory = () => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
  };
  sampleMemory();

  // CPU first, while the heap is small: a large heap's GC pauses would land
  // in the timings.
  let cpu: CpuResult[] = [];
  if (opts.cpu) {
    console.log("CPU: timing buildEvent and diffs in plain Node ...");
    cpu = await runCpuBench();
  }

  console.log(`Generating ${opts.events.toLocaleString("en")} events (seed ${opts.seed}) ...`);
  const w = generate(opts.events, opts.seed);
  const t = createRuntime({ fastIndex: opts.fastIndex, verifyIndex: opts.verifyIndex });
  const indexStats = fastIndexStats(t);
  const runtime = !indexStats ? "convex-test" : opts.verifyIndex ? "convex-test + fast index, verified" : "convex-test + fast index";
  console.log(`Runtime: ${runtime}`);
  const model = new Model();

  // Seeding goes straight to the component's logBulk: one insert per event
  // and no per-event query, so it stays linear while convex-test's full
  // scans make anything that queries the table grow with its size.
  const seedStart = Date.now();
  const reportEvery = Math.max(BULK, Math.ceil(w.n / 10 / BULK) * BULK);
  for (let from = 0; from < w.n; from += BULK) {
    const batch = w.rows.slice(from, from + BULK);
    const events = batch.map((row, j) => toInput(w, row, from + j));
    const ids = await t.run((ctx) => ctx.runMutation(auditLogApi.log.logBulk, { events }));
    if (ids.length !== batch.length) throw new Error(`logBulk returned ${ids.length} ids for ${batch.length} events`);
    batch.forEach((row, j) => model.add(row, ids[j]));
    const done = Math.min(from + BULK, w.n);
    if (done % reportEvery === 0 || done === w.n) {
      sampleMemory();
      const s = (Date.now() - seedStart) / 1000;
      console.log(`  seeded ${done.toLocaleString("en")} in ${s.toFixed(1)} s, rss ${fmtBytes(process.memoryUsage().rss)}`);
    }
  }
  const seedingSeconds = (Date.now() - seedStart) / 1000;

  // Query targets, chosen from the data the way a real caller would hit it:
  // the busiest actor and tenant, a resource with a typical number of events,
  // and the busiest resource (the one whose history needs a second page).
  const actorCounts = model.countBy((r) => (r.actor >= 0 ? w.actorIds[r.actor] : undefined));
  const resCounts = model.countBy((r) => (RESOURCE_TYPES[r.resourceType] === "document" ? resourceId(w, r) : undefined));
  const tenantCounts = model.countBy((r) => (r.tenant >= 0 ? w.tenants[r.tenant] : undefined));
  const maxKey = (m: Map<string, number>) => [...m].reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const busyActor = maxKey(actorCounts);
  const busyTenant = maxKey(tenantCounts);
  const hotDoc = maxKey(resCounts);
  const meanDoc = [...resCounts.values()].reduce((a, b) => a + b, 0) / resCounts.size;
  const typicalDoc = [...resCounts].reduce((a, b) => (Math.abs(b[1] - meanDoc) < Math.abs(a[1] - meanDoc) ? b : a))[0];
  const actorIndex = w.actorIds.indexOf(busyActor);
  const tenantIndex = w.tenants.indexOf(busyTenant);
  const docType = RESOURCE_TYPES.indexOf("document");
  const isDoc = (id: string) => (r: Row) => r.resourceType === docType && resourceId(w, r) === id;
  const hotDocTenant = w.rows.find(isDoc(hotDoc))!.tenant;
  const loginLogout = ["user.login", "user.logout"];
  const loginLogoutIdx = loginLogout.map((a) => ACTIONS.findIndex((s) => s.action === a));
  const critical = [SEVERITY_NAMES.indexOf("error"), SEVERITY_NAMES.indexOf("critical")];
  const last24h = { fromTimestamp: w.end - DAY, toTimestamp: w.end };

  console.log(
    `Targets: actor ${busyActor} (${actorCounts.get(busyActor)} events), tenant ${busyTenant} (${tenantCounts.get(busyTenant)}), ` +
      `typical document ${typicalDoc} (${resCounts.get(typicalDoc)}; mean ${meanDoc.toFixed(1)}), hot document ${hotDoc} (${resCounts.get(hotDoc)})`,
  );

  const wanted = (group: string) => !opts.only || opts.only.includes(group);
  const scenarios: Scenario[] = [];
  const record = (name: string, cost: Cost, rows: number, correct: boolean, target: Target, note: string) => {
    const s = { name, ...cost, rows, correct, target: target.text, pass: correct && target.met({ ...cost, rows }), note };
    scenarios.push(s);
    sampleMemory();
    return s;
  };

  const q = auditLogApi.queries;
  type Page = PaginationResult<AuditEvent>;
  /** One page, checked against the model's rows [offset, offset + PAGE). */
  const pageScenario = async (
    name: string,
    note: string,
    call: (ctx: Ctx) => Promise<Page>,
    expectedAll: string[],
    offset = 0,
  ) => {
    const { result, cost } = await measure(t, call);
    const expected = expectedAll.slice(offset, offset + PAGE);
    record(name, cost, result.page.length, sameIds(result.page, expected), readsWithin(2), `${note}; ${expectedAll.length} matching`);
    return result;
  };

  // get: by id, and by id under the wrong tenant (must look absent).
  if (wanted("queries")) {
    const i = Math.floor(w.n / 2);
    const id = model.ids[i];
    const row = model.rows[i];
    const { result, cost } = await measure(t, (ctx) => ctx.runQuery(q.get, { id }));
    const ok = result !== null && result._id === id && result.action === ACTIONS[row.action].action && result.timestamp === row.timestamp;
    record("get", cost, result === null ? 0 : 1, ok, readsWithin(2), "one event by id");
    const other = w.tenants[(Math.max(row.tenant, 0) + 1) % w.tenants.length];
    const scoped = await measure(t, (ctx) => ctx.runQuery(q.get, { id, tenantId: other }));
    record("get.otherTenant", scoped.cost, scoped.result === null ? 0 : 1, scoped.result === null, readsWithin(2), "same id, another tenant: null");
  }

  if (wanted("queries")) {
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

  if (wanted("queries")) {
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
  if (wanted("queries")) {
    const tieActor = w.actorIds.indexOf(TIE_ACTOR);
    const expected = model.expected((r) => r.actor === tieActor && loginLogoutIdx.includes(r.action));
    const total: Cost = { documentsRead: 0, bytesRead: 0, documentsWritten: 0, bytesWritten: 0, databaseQueries: 0 };
    const seen: AuditEvent[] = [];
    let cursor: string | null = null;
    let pages = 0;
    for (;;) {
      const paginationOpts = { numItems: PAGE, cursor };
      const { result, cost } = await measure(t, (ctx): Promise<Page> =>
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

  if (wanted("queries")) {
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

  if (wanted("queries")) {
    const limit = 20;
    const all = model.expected((r) => critical.includes(r.severity)).slice(0, limit);
    const { result, cost } = await measure(t, (ctx) => ctx.runQuery(q.watchCritical, {}));
    record("watchCritical", cost, result.length, sameIds(result, all), readsWithin(2), `default: error + critical, newest ${limit}`);
    const scoped = model.expected((r) => r.tenant === tenantIndex && critical.includes(r.severity)).slice(0, limit);
    const s = await measure(t, (ctx) => ctx.runQuery(q.watchCritical, { tenantId: busyTenant, limit }));
    record("watchCritical.tenant", s.cost, s.result.length, sameIds(s.result, scoped), readsWithin(2), `busiest tenant, newest ${limit}`);
  }

  // Reads of the other capabilities run here, while the table holds exactly the
  // model's rows; the write scenarios below add events the model does not know.
  for (const group of PLUGINS) {
    if (!wanted(group.name)) continue;
    console.log(`Scenarios: ${group.name} ...`);
    await group.run({ t, w, model, pageSize: PAGE, measure: (fn) => measure(t, fn), record });
    sampleMemory();
  }

  // Writes go through the client class, as an app's mutation would call it.
  const auditLog = new AuditLog(auditLogApi, { piiFields: ["email", "phone", "address.street"] });
  const readBack = (ids: string[]) =>
    t.run(async (ctx) => Promise.all(ids.map((id) => ctx.runQuery(q.get, { id }))));
  if (wanted("writes")) {
    const sample = toInput(w, w.rows[0], 0);
    const event = {
      action: "user.login",
      actorId: busyActor,
      tenantId: busyTenant,
      resourceType: "user",
      resourceId: busyActor,
      metadata: sample.metadata,
    };
    const { result: id, cost } = await measure(t, (ctx) => auditLog.log(ctx, event));
    const [doc] = await readBack([id]);
    record("log", cost, 1, doc?.action === "user.login" && doc.actorId === busyActor, writesExactly(1), "one event through AuditLog.log");

    const { before, after } = changePair();
    const change = await measure(t, (ctx) =>
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
    const b = await measure(t, (ctx) => auditLog.logBulk(ctx, bulk as never));
    const docs = await readBack(b.result);
    const bulkOk = new Set(b.result).size === BULK && docs.every((d, j) => d !== null && d.action === bulk[j].action);
    record("logBulk500", b.cost, b.result.length, bulkOk, writesExactly(BULK), `${BULK} events in one call`);

    const key = `bench-${opts.seed}-${w.n}`;
    const first = await measure(t, (ctx) => auditLog.log(ctx, { ...event, idempotencyKey: key }));
    record("log.idempotencyKey", first.cost, 1, typeof first.result === "string", writesExactly(1, 1),
      "new idempotency key: one index lookup, one insert");
    const again = await measure(t, (ctx) => auditLog.log(ctx, { ...event, idempotencyKey: key }));
    record("log.idempotencyKey.duplicate", again.cost, 1, again.result === first.result, writesExactly(0, 1),
      "same key again: returns the first id, writes nothing");
  }
  sampleMemory();

  printTable(scenarios, cpu);
  const failures = scenarios.filter((s) => !s.pass).length + cpu.filter((c) => !c.correct).length;
  const out = {
    events: w.n,
    seed: opts.seed,
    pageSize: PAGE,
    node: process.version,
    source,
    seedingSeconds: Math.round(seedingSeconds * 10) / 10,
    totalSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
    peakRssMiB: Math.round(peakRss / 1024 / 1024),
    peakHeapMiB: Math.round(peakHeap / 1024 / 1024),
    heapLimitMiB: Math.round(v8.getHeapStatistics().heap_size_limit / 1024 / 1024),
    runtime,
    ...(opts.only ? { only: opts.only } : {}),
    fastIndex: indexStats,
    targets: {
      busyActor: { id: busyActor, events: actorCounts.get(busyActor) },
      busyTenant: { id: busyTenant, events: tenantCounts.get(busyTenant) },
      typicalDocument: { id: typicalDoc, events: resCounts.get(typicalDoc), meanPerDocument: Math.round(meanDoc * 100) / 100 },
      hotDocument: { id: hotDoc, events: resCounts.get(hotDoc) },
    },
    scenarios: [
      ...scenarios,
      ...cpu.map((c) => ({
        name: c.name,
        documentsRead: 0,
        bytesRead: 0,
        documentsWritten: 0,
        rows: 1,
        correct: c.correct,
        microseconds: c.microseconds,
        minMicroseconds: c.minMicroseconds,
        runs: c.runs,
        payloadBytes: c.payloadBytes,
        note: c.note,
      })),
    ],
  };
  writeFileSync(opts.out, JSON.stringify(out, null, 2) + "\n");
  if (indexStats) console.log(`\nFast index: ${JSON.stringify(indexStats)}`);
  console.log(`\nWrote ${opts.out} (${w.n.toLocaleString("en")} events, seeding ${out.seedingSeconds} s, total ${out.totalSeconds} s, peak RSS ${out.peakRssMiB} MiB, peak heap ${out.peakHeapMiB} MiB)`);
  console.log(failures === 0 ? "All scenarios PASS." : `${failures} scenario(s) FAIL.`);
  if (opts.strict && failures > 0) process.exitCode = 1;
}

/** Which source the figures describe: the commit, and whether src/ had uncommitted edits. */
function sourceVersion(): { commit: string; srcDirty: boolean } | undefined {
  try {
    const git = (...args: string[]) => execFileSync("git", args, { cwd: benchDir, encoding: "utf8" }).trim();
    return { commit: git("rev-parse", "--short", "HEAD"), srcDirty: git("status", "--porcelain", "--", "../src").length > 0 };
  } catch {
    return undefined; // Not a git checkout (e.g. an unpacked tarball): nothing to report.
  }
}

function printTable(scenarios: Scenario[], cpu: CpuResult[]) {
  const head = [
    pad("scenario", 30), pad("docsRead", 9, true), pad("bytesRead", 11, true), pad("written", 8, true),
    pad("rows", 5, true), pad("correct", 8, true), "  ", pad("target", 24), "result",
  ].join(" ");
  console.log(`\n${head}\n${"-".repeat(head.length + 2)}`);
  for (const s of scenarios) {
    console.log([
      pad(s.name, 30), pad(s.documentsRead, 9, true), pad(fmtBytes(s.bytesRead), 11, true), pad(s.documentsWritten, 8, true),
      pad(s.rows, 5, true), pad(s.correct ? "yes" : "NO", 8, true), "  ", pad(s.target, 24), s.pass ? "PASS" : "FAIL",
    ].join(" "));
  }
  if (cpu.length === 0) return;
  console.log(`\n${pad("cpu scenario (plain Node)", 30)} ${pad("µs median", 10, true)} ${pad("µs min", 8, true)}  ${pad("correct", 8)} note`);
  console.log("-".repeat(110));
  for (const c of cpu) {
    console.log(
      `${pad(c.name, 30)} ${pad(c.microseconds.toFixed(2), 10, true)} ${pad(c.minMicroseconds.toFixed(2), 8, true)}  ` +
        `${pad(c.correct ? "yes" : "NO", 8)} ${c.note}`,
    );
  }
}

await main();
