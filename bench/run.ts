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
 *
 * This file is the driver: options, seeding, the clock and memory samples,
 * and the results file. The scenarios themselves are groups, one module
 * each, listed in plugins.ts (the core reads and writes are core.ts).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import v8 from "node:v8";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { runCpuBench, type CpuResult } from "./cpu.js";
import { generate, toInput } from "../dev/workload.js";
import { Model } from "./model.js";
import { SCENARIO_GROUPS, type Cost, type Ctx, type Target } from "./plugins.js";
import { costOf, auditLogApi, createRuntime, fastIndexStats, type Runtime } from "./runtime.js";
import { chooseTargets, describeTargets, targetsRecord } from "./targets.js";

type Scenario = Cost & {
  name: string;
  rows: number;
  correct: boolean;
  target: string;
  pass: boolean;
  note: string;
};

const PAGE = 50;
/** Events per logBulk call while seeding. */
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
    /** Scenario groups to run, by name (plugins.ts); all when unset. */
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
    const groups = SCENARIO_GROUPS.map((g) => g.name);
    const unknown = opts.only.filter((g) => !groups.includes(g));
    if (unknown.length) throw new Error(`--only: unknown group ${unknown.join(", ")} (groups: ${groups.join(", ")})`);
    // A partial run must not overwrite the full results the READMEs quote.
    if (!argv.includes("--out")) throw new Error("--only needs --out FILE: the default results.json holds full runs");
  }
  if (!Number.isInteger(opts.events) || opts.events < 1000) throw new Error("--events must be an integer ≥ 1000");
  return opts;
}


/** Runs `fn` in its own transaction and returns its result with what it alone cost. */
async function measure<T>(t: Runtime, fn: (ctx: Ctx) => Promise<T>): Promise<{ result: T; cost: Cost }> {
  return await t.run(async (ctx) => {
    const m0 = await costOf(ctx);
    const result = await fn(ctx);
    const m1 = await costOf(ctx);
    const cost = Object.fromEntries(
      Object.keys(m0).map((k) => [k, m1[k as keyof Cost] - m0[k as keyof Cost]]),
    ) as Cost;
    return { result, cost };
  });
}

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
  // In a deployment the component's first cron tick makes its cursor key within a minute, and
  // every call that seals a cursor then reads it. A cleanup with nothing to expire makes it here.
  await t.run((ctx) => ctx.runMutation(auditLogApi.retention.cleanup, { cursor: null }));

  const targets = chooseTargets(w, model);
  console.log(describeTargets(targets));

  const wanted = (group: string) => !opts.only || opts.only.includes(group);
  const scenarios: Scenario[] = [];
  const record = (name: string, cost: Cost, rows: number, correct: boolean, target: Target, note: string) => {
    const s = { name, ...cost, rows, correct, target: target.text, pass: correct && target.met({ ...cost, rows }), note };
    scenarios.push(s);
    sampleMemory();
    return s;
  };

  for (const group of SCENARIO_GROUPS) {
    if (!wanted(group.name)) continue;
    console.log(`Scenarios: ${group.name} ...`);
    await group.run({ t, w, seed: opts.seed, model, targets, pageSize: PAGE, measure: (fn) => measure(t, fn), record });
    sampleMemory();
  }

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
    targets: targetsRecord(targets),
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
