// @vitest-environment node
/**
 * The S3 layout is queryable by engines built for billions of rows: DuckDB
 * reads the objects a sink delivered to a real S3-compatible server
 * (copied down as `aws s3 sync` would: DuckDB's S3 reader, httpfs, is an
 * extension it downloads, and this test has no network), with Hive
 * partitioning, and gets exactly the counts by day, tenant and action that
 * `getStats` returns from the rollups. Athena, Trino, Spark and ClickHouse
 * read the same layout.
 */
import { DuckDBInstance } from "@duckdb/node-api";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { S3_KEY, startS3, type S3Server } from "../dev/deliveryServers.js";
import { gunzipSync } from "node:zlib";
import { verifyExport } from "../src/cli/verifyExport.js";
import { DAY, events, harness, setEnv, SIGNING, T0, type Harness } from "./support/deliveryHarness.js";

const TENANTS = ["acme", "globex", "initech"];
let s3: S3Server;
let h: Harness;
let dir: string;

beforeAll(async () => {
  s3 = await startS3(["lake"]);
  dir = mkdtempSync(join(tmpdir(), "audit-lake-"));
  setEnv({ lake: S3_KEY });
  h = harness();
  await h.log(events(1500, 3, 6));
  await h.sealAll();
  await h.checkpoint();
  for (;;) if ((await h.t.mutation(h.api.stats.rollup, { settleMs: 0 })).caughtUp) break;
});
afterAll(async () => {
  await s3.close();
  rmSync(dir, { recursive: true, force: true });
});

/** `{day: {tenant: {action: count}}}` with "*" for every tenant. */
type Counts = Record<string, Record<string, Record<string, number>>>;

test("DuckDB over the delivered objects counts by day, tenant and action exactly what getStats does", async () => {
  await h.configure({ name: "lake", target: { kind: "s3", endpoint: s3.url, bucket: "lake", prefix: "audit/", partitionByTenant: true }, batchEvents: 200 });
  const s = await h.settle("lake", 60_000);
  expect([s.status, s.lagEvents]).toEqual(["active", 0]);

  // The bucket, copied down key by key.
  const keys = await s3.list("lake", "audit/");
  expect(keys.filter((k) => k.startsWith("audit/checkpoints/")).length).toBeGreaterThan(0);
  for (const key of keys) {
    const file = join(dir, key);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, await s3.get("lake", key));
  }

  const db = await DuckDBInstance.create(":memory:");
  const c = await db.connect();
  const source = `read_json('${dir}/audit/events/*/*/*.jsonl.gz', format = 'newline_delimited', hive_partitioning = true)`;
  const rows = (await c.runAndReadAll(`SELECT dt::VARCHAR AS dt, tenant, action, count(*)::INTEGER AS n FROM ${source} GROUP BY ALL`)).getRowObjects();
  const lake: Counts = {};
  for (const r of rows) {
    const day = String(r.dt);
    const byTenant = (lake[day] ??= {});
    for (const t of r.tenant === null ? ["*"] : [String(r.tenant), "*"]) {
      const byAction = (byTenant[t] ??= {});
      byAction[String(r.action)] = (byAction[String(r.action)] ?? 0) + Number(r.n);
    }
  }
  // Events without a tenant are under Hive's default partition, which DuckDB reads as NULL, like Spark and Trino.
  expect(rows.some((r) => r.tenant === null)).toBe(true);

  // The log's own events about the sink (configured) are in the lake too: fold them into the rollups.
  for (;;) if ((await h.t.mutation(h.api.stats.rollup, { settleMs: 0 })).caughtUp) break;
  // Every day DuckDB saw, and every day of the workload, through getStats.
  const days = new Set([...Object.keys(lake), ...Array.from({ length: 6 }, (_, i) => new Date(T0 + i * DAY).toISOString().slice(0, 10))]);
  const stats: Counts = {};
  for (const day of days) {
    const from = Date.parse(`${day}T00:00:00Z`);
    for (const t of [...TENANTS, "*"]) {
      const st = await h.t.query(h.api.stats.getStats, { fromTimestamp: from, toTimestamp: from + DAY - 1, topK: 100, ...(t === "*" ? {} : { tenantId: t }) });
      expect(st.pendingEvents).toBe(0);
      if (st.totalCount === 0) continue;
      expect(st.topActions.reduce((n, a) => n + a.count, 0)).toBe(st.totalCount);
      (stats[day] ??= {})[t] = Object.fromEntries(st.topActions.map((a) => [a.action, a.count]));
    }
  }
  expect(lake).toEqual(stats);
  const total = Object.values(lake).reduce((n, d) => n + Object.values(d["*"]).reduce((m, x) => m + x, 0), 0);
  expect(total).toBe(s.sealedSize);

  // Partition pruning: one day, one tenant, read from its own folder.
  const one = (await c.runAndReadAll(`SELECT count(*)::INTEGER AS n FROM ${source} WHERE dt = '2026-05-29' AND tenant = 'acme'`)).getRowObjects()[0].n;
  expect(one).toBe(Object.values(stats["2026-05-29"].acme).reduce((n, x) => n + x, 0));
  c.closeSync();
});

test("the delivered archive verifies offline like an export: its events against the signed checkpoints beside them", async () => {
  // Depends on the bucket copied down by the test above.
  const lines: { seq: number; line: string }[] = [];
  const eventKeys = (await s3.list("lake", "audit/events/")).filter((k) => k.endsWith(".jsonl.gz"));
  const read = (key: string) => gunzipSync(Buffer.from(readFileSync(join(dir, key)))).toString("utf8").split("\n").filter((l) => l.length > 0);
  for (const key of eventKeys) for (const line of read(key)) lines.push({ seq: (JSON.parse(line) as { seq: number }).seq, line });
  lines.sort((a, b) => a.seq - b.seq);
  const checkpoints = (await s3.list("lake", "audit/checkpoints/")).sort().map((k) => readFileSync(join(dir, k), "utf8")).join("");
  const events = lines.map((l) => l.line + "\n").join("");
  const ok = verifyExport({ events, checkpoints, key: SIGNING.verifier });
  expect([ok.exitCode, ok.findings, ok.events]).toEqual([0, [], lines.length]);
  expect(ok.newest?.size).toBe(lines.length);

  // An event altered in the bucket is found, by its sequence number.
  const victim = lines[Math.floor(lines.length / 2)];
  const altered = events.replace(victim.line, victim.line.replace(/"action":"[^"]+"/, '"action":"record.viewed.x"'));
  const bad = verifyExport({ events: altered, checkpoints, key: SIGNING.verifier });
  expect(bad.exitCode).toBe(1);
  expect(bad.findings.map((f) => [f.kind, f.seq])).toContainEqual(["modified", victim.seq]);
});
