/**
 * `npm run bench:dashboard`: the example dashboard's first load at scale.
 * Seeds N events (default 100,000) into the local runtime, opens the built
 * app in Chromium as each demo identity, waits until every panel has data,
 * and records what each query the page subscribed to read on that load
 * (the runtime meters every query run with getTransactionMetrics).
 *
 *   tsx bench/dashboard.ts [--events N] [--out FILE]
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { repoRoot } from "../example/local/runtime.js";
import { buildApp } from "../example/local/app.js";
import { startLocalRuntime } from "../example/local/server.js";
import type { QueryCost } from "../example/local/sync.js";
import { launchChromium } from "../test/e2e/browser.js";

const benchDir = dirname(fileURLToPath(import.meta.url));

function parseArgs(argv: string[]) {
  const opts = { events: 100_000, out: resolve(benchDir, "dashboard.json") };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = argv[++i];
    if (v === undefined) throw new Error(`${a} needs a value`);
    if (a === "--events") opts.events = Number(v.replace(/[_,]/g, ""));
    else if (a === "--out") opts.out = resolve(v);
    else throw new Error(`unknown argument ${a} (use --events N, --out FILE)`);
  }
  if (!Number.isInteger(opts.events) || opts.events < 0) throw new Error("--events must be a whole number");
  return opts;
}

/** What the page waits for before its first load counts as done, per identity. */
const READY: Record<string, string[]> = {
  root: ['[data-testid="stats-total"]', '[data-testid="anomaly-list"]', '[data-testid="panel-viewer"] [data-testid="audit-row"]'],
  olga: ['[data-testid="stats-total"]', '[data-testid="anomaly-list"]', '[data-testid="panel-viewer"] [data-testid="audit-row"]'],
  ada: ['[data-testid="panel-viewer"] [data-testid="audit-row"]'],
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const distDir = join(repoRoot, "test-results", "bench-app");
  await buildApp(distDir);
  const started = Date.now();
  const runtime = await startLocalRuntime({
    port: 0,
    staticDir: distDir,
    seedEvents: opts.events,
    quiet: true,
    onProgress: (line) => console.log(`  ${line}`),
  });
  const seedingSeconds = (Date.now() - started) / 1000;
  const browser = await launchChromium();
  const loads: { identity: string; queries: QueryCost[]; documentsRead: number; bytesRead: number }[] = [];
  try {
    for (const [identity, selectors] of Object.entries(READY)) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
      await page.goto(`${runtime.url}/?as=${identity}`);
      for (const s of selectors) await page.locator(s).first().waitFor({ timeout: 120_000 });
      // Let the subscriptions settle: the runtime answers every query of a ModifyQuerySet before the next.
      await page.waitForTimeout(1_000);
      const queries = runtime.costs().filter((c) => c.identity?.includes(identity) ?? false);
      const sum = (k: "documentsRead" | "bytesRead") => queries.reduce((a, q) => a + q[k], 0);
      loads.push({ identity, queries, documentsRead: sum("documentsRead"), bytesRead: sum("bytesRead") });
      console.log(`\n${identity}: ${queries.length} queries, ${sum("documentsRead").toLocaleString("en")} documents, ${sum("bytesRead").toLocaleString("en")} bytes`);
      for (const q of queries) console.log(`  ${q.udfPath.padEnd(28)} ${String(q.documentsRead).padStart(6)} docs ${String(q.bytesRead).padStart(9)} B`);
      await page.close();
    }
  } finally {
    await browser.close();
    await runtime.close();
  }
  mkdirSync(dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify({ events: opts.events, node: process.version, seedingSeconds, loads }, null, 2) + "\n");
  console.log(`\nwrote ${opts.out}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
