// @vitest-environment node
/**
 * Delivery sinks against real servers on 127.0.0.1: bad configuration
 * (typed errors, nothing written), and the bad inputs of a running sink —
 * an unreachable endpoint, wrong credentials, a bucket that does not exist,
 * a sink removed during a delivery, receivers that answer 200 to a body cut
 * short, a collector that rejects records — each of which the status names
 * while nothing is marked delivered that was not and logging goes on.
 * Then pause, resume and backfill (the same objects and batch ids again),
 * the cron's part, the `log.audit` mirror, and no secret in any document.
 */
import { log as convexLog, type FunctionReference } from "convex/server";
import { afterAll, beforeAll, describe, expect, test, vi } from "vitest";
import { isAuditLogError } from "../src/shared/errors.js";
import { events, harness, setEnv, type Harness } from "./support/deliveryHarness.js";
import {
  S3_KEY,
  startFaultProxy,
  startOtlpReceiver,
  startS3,
  startWebhookReceiver,
  type S3Server,
} from "../dev/deliveryServers.js";

const SECRET = "whsec_" + btoa("delivery-test-secret-0123456789ab");
const OTLP_TOKEN = "otlp-token-very-secret-42";
const WRONG = { accessKeyId: "S3RVER", secretAccessKey: "not-the-secret-key-9f8e7d" };
const UNKNOWN = { accessKeyId: "AKIAUNKNOWNKEY123456", secretAccessKey: "unknown-secret-key-1a2b3c" };
const CREDS = {
  archive: S3_KEY,
  wrongsecret: WRONG,
  unknownkey: UNKNOWN,
  hooks: { secret: SECRET },
  otel: { headers: { authorization: `Bearer ${OTLP_TOKEN}` } },
};
/** Every sink's credentials by name, also under the names `archive0`, `archive1` … that single tests use. */
const setCreds = (creds: Record<string, unknown>) =>
  setEnv(Object.fromEntries(Object.entries(creds).flatMap(([k, v]) => [[k, v], ...Array.from({ length: 30 }, (_, i) => [`${k}${i}`, v])])));
const RETRY = { baseMs: 1, maxMs: 5, maxAttempts: 3 };

let s3: S3Server;
let h: Harness;
const closers: Array<() => Promise<void>> = [];
const later = (c: () => Promise<void>) => closers.push(c);

beforeAll(async () => {
  s3 = await startS3(["audit", "other"]);
  later(s3.close);
  setCreds(CREDS);
  h = harness();
  await h.log(events(40, 5, 2));
  await h.sealAll();
  await h.checkpoint();
});
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

const sinkCount = () => h.t.run(async (ctx) => (await ctx.runQuery(h.api.sinks.list, { paginationOpts: { numItems: 100, cursor: null } })).page.length);
const eventCount = () => h.t.run(async (ctx) => (await ctx.runQuery(h.api.queries.queryByResource, { resourceType: "auditSink", resourceId: "x", paginationOpts: { numItems: 10, cursor: null } })).page.length);

async function refused(args: Parameters<Harness["configure"]>[0], code: string, path?: string) {
  const before = [await sinkCount(), await eventCount()];
  const err = await h.configure(args).then(
    () => null,
    (e: unknown) => e,
  );
  expect(isAuditLogError(err, code as never), `${JSON.stringify(args.target)}: ${String(err)}`).toBe(true);
  if (path !== undefined) expect((err as { data: { path?: string } }).data.path).toBe(path);
  expect([await sinkCount(), await eventCount()]).toEqual(before);
}

describe("configuration", () => {
  const s3t = (over: object = {}) => ({ kind: "s3" as const, endpoint: "http://127.0.0.1:9", bucket: "audit", ...over });
  test("bad configuration is a typed error and writes nothing", async () => {
    await refused({ name: "x", target: s3t({ endpoint: "https://key:secret@s3.example.com" }) }, "INVALID_CONFIG", "target.endpoint");
    await refused({ name: "x", target: s3t({ endpoint: "https://s3.example.com/?X-Amz-Signature=abc" }) }, "INVALID_CONFIG", "target.endpoint");
    await refused({ name: "x", target: { kind: "webhook", url: "https://hooks.example.com/in?token=abc" } }, "INVALID_CONFIG", "target.url");
    await refused({ name: "x", target: { kind: "webhook", url: "ftp://hooks.example.com/" } }, "INVALID_CONFIG", "target.url");
    await refused({ name: "x", target: s3t({ bucket: "Not_A_Bucket" }) }, "INVALID_CONFIG", "target.bucket");
    await refused({ name: "x", target: s3t({ prefix: "/abs" }) }, "INVALID_CONFIG", "target.prefix");
    await refused({ name: "bad name!", target: s3t() }, "INVALID_ARGUMENT", "name");
    await refused({ name: "x", target: s3t(), batchEvents: 0 }, "INVALID_ARGUMENT", "batchEvents");
    await refused({ name: "x", target: s3t(), batchEvents: 5001 }, "INVALID_ARGUMENT", "batchEvents");
    await refused({ name: "x", target: s3t(), format: "otlp" }, "INVALID_CONFIG", "format");
    await refused({ name: "x", target: s3t(), retry: { baseMs: 10, maxMs: 5 } }, "INVALID_ARGUMENT", "retry.maxMs");
    await refused({ name: "x", target: s3t(), timeoutMs: 10 }, "INVALID_ARGUMENT", "timeoutMs");
    await refused({ name: "x", target: s3t(), fromSeq: 41 }, "INVALID_ARGUMENT", "fromSeq");
    // An S3 or webhook sink needs the app's credentials function; the mirror takes none.
    await refused({ name: "x", target: s3t(), withCredentials: false }, "INVALID_CONFIG", "credentials");
    await refused({ name: "x", target: { kind: "convexAudit" } }, "INVALID_CONFIG", "credentials");
  });

  test("credentials given as a value (the secret itself) are refused without being echoed or stored", async () => {
    const err = await h.t
      .mutation(h.api.sinks.configure, { name: "x", target: s3t(), credentials: S3_KEY.secretAccessKey })
      .then(() => null, (e: unknown) => e);
    expect(isAuditLogError(err, "INVALID_CONFIG")).toBe(true);
    expect(JSON.stringify((err as { data: unknown }).data)).not.toContain(S3_KEY.secretAccessKey);
    expect(await sinkCount()).toBe(0);
  });

  test("the log.audit mirror is refused at configuration where the runtime's log.audit fails, and works where it does not", async () => {
    const spy = vi.spyOn(convexLog, "audit").mockImplementation(() => {
      throw new Error("unknown syscall 1.0/auditLog");
    });
    await refused({ name: "mirror", target: { kind: "convexAudit" }, withCredentials: false }, "INVALID_CONFIG", "target.kind");
    spy.mockRestore();
    const bodies: Array<Record<string, unknown>> = [];
    const ok = vi.spyOn(convexLog, "audit").mockImplementation(((body: Record<string, unknown>) => {
      bodies.push(body);
    }) as never);
    try {
      await h.configure({ name: "mirror", target: { kind: "convexAudit" }, withCredentials: false, batchEvents: 7 });
      const s = await h.settle("mirror");
      expect([s.status, s.nextSeq, s.totals.delivered]).toEqual(["active", 40, 40]);
      const mirrored = bodies.filter((b) => typeof b.seq === "number");
      // One log.audit per event, in seal order, each with its id and leaf hash; the probe at configuration besides.
      expect(mirrored.map((b) => b.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
      expect(mirrored.every((b) => typeof b._id === "string" && typeof b.leafHash === "string")).toBe(true);
      expect(bodies.filter((b) => b.action === "audit.sink.configured" && (b.fields as { probe?: boolean })?.probe)).toHaveLength(1);
    } finally {
      ok.mockRestore();
      await h.t.mutation(h.api.sinks.remove, { name: "mirror" });
    }
  });
});

describe("a running sink's bad inputs: the status says so, nothing is marked delivered that was not", () => {
  test("an unreachable endpoint: retried with backoff, then failed, while logging goes on", async () => {
    await h.configure({ name: "archive0", target: { kind: "s3", endpoint: "http://127.0.0.1:9", bucket: "audit" }, retry: RETRY });
    const mid = await h.status("archive0");
    // Logging never waits for a sink: events are written while it fails.
    await h.log(events(5, 9, 1));
    const s = await h.settle("archive0");
    expect([s.status, s.nextSeq, s.lastDeliveredSeq, s.attempts, s.lastError?.code]).toEqual(["failed", 0, null, 3, "UNREACHABLE"]);
    expect(s.lastError?.message).toMatch(/127\.0\.0\.1:9 could not be reached/);
    expect(s.totals.failures).toBe(3);
    expect(["active", "retrying"]).toContain(mid.status);
    expect(s.lagEvents).toBe(40);
    expect(s.lagSeconds).toBeGreaterThanOrEqual(0);
  });

  test("wrong credentials: a wrong secret, an unknown key: failed at once with S3's answer", async () => {
    const proxy = await startFaultProxy(s3.url, { s3Key: S3_KEY });
    later(proxy.close);
    await h.configure({ name: "wrongsecret", target: { kind: "s3", endpoint: proxy.url, bucket: "audit", prefix: "wrong/" }, retry: RETRY });
    await h.configure({ name: "unknownkey", target: { kind: "s3", endpoint: proxy.url, bucket: "audit", prefix: "wrong/" }, retry: RETRY });
    const a = await h.settle("wrongsecret");
    const b = await h.settle("unknownkey");
    expect([a.status, a.nextSeq, a.attempts, a.lastError?.code, a.lastError?.httpStatus]).toEqual(["failed", 0, 1, "FORBIDDEN", 403]);
    expect(a.lastError?.message).toContain("SignatureDoesNotMatch");
    expect([b.status, b.lastError?.code]).toEqual(["failed", "FORBIDDEN"]);
    expect(b.lastError?.message).toContain("InvalidAccessKeyId");
    expect(await s3.list("audit", "wrong/")).toEqual([]);
    // A sink changed (its credentials fixed, say) starts again from its cursor.
    setCreds({ ...CREDS, wrongsecret: S3_KEY, unknownkey: UNKNOWN });
    await h.configure({ name: "wrongsecret", target: { kind: "s3", endpoint: proxy.url, bucket: "audit", prefix: "wrong/" } });
    expect((await h.settle("wrongsecret")).status).toBe("active");
    expect((await h.status("wrongsecret")).nextSeq).toBe(40);
    setCreds(CREDS);
  });

  test("a bucket that does not exist: failed, NO_SUCH_BUCKET", async () => {
    await h.configure({ name: "archive1", target: { kind: "s3", endpoint: s3.url, bucket: "missing-bucket" }, retry: RETRY });
    const s = await h.settle("archive1");
    expect([s.status, s.nextSeq, s.lastError?.code, s.lastError?.httpStatus, s.lastError?.retryable]).toEqual(["failed", 0, "NO_SUCH_BUCKET", 404, false]);
  });

  test("a sink removed during a delivery: the step in flight records nothing, the ledger goes with it", async () => {
    let removed = false;
    const proxy = await startFaultProxy(s3.url, {
      onRequest: async () => {
        if (removed) return;
        removed = true;
        expect(await h.t.mutation(h.api.sinks.remove, { name: "archive2" })).toBe(true);
      },
    });
    later(proxy.close);
    await h.configure({ name: "archive2", target: { kind: "s3", endpoint: proxy.url, bucket: "audit", prefix: "removed/" }, batchEvents: 10 });
    for (let i = 0; i < 100 && proxy.log.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await h.t.finishInProgressScheduledFunctions();
    expect(await h.t.query(h.api.sinks.get, { name: "archive2" })).toBeNull();
    expect(proxy.log.length).toBe(1);
    const ledger = await (h.t as unknown as { runInComponent: (n: string, f: (ctx: { db: { query: (t: string) => { collect: () => Promise<unknown[]> } } }) => Promise<unknown[]>) => Promise<unknown[]> }).runInComponent(
      "auditLog",
      async (ctx) => await ctx.db.query("sinkBatches").collect(),
    );
    expect(ledger.filter((e) => (e as { sink: string }).sink === undefined)).toEqual([]);
  });

  test("S3 that answers 200 to a body cut short: the ETag tells, the batch is sent again whole", async () => {
    const proxy = await startFaultProxy(s3.url);
    later(proxy.close);
    proxy.plan((n) => (n === 0 ? "truncate" : "pass"));
    await h.configure({ name: "archive3", target: { kind: "s3", endpoint: proxy.url, bucket: "audit", prefix: "cut/" }, batchEvents: 40, retry: { ...RETRY, maxAttempts: 5 } });
    const s = await h.settle("archive3");
    expect(proxy.log[0]).toMatchObject({ fault: "truncate", upstream: 200 });
    expect([s.status, s.nextSeq, s.totals.failures, s.lastError?.code]).toEqual(["active", 40, 1, "TRUNCATED"]);
    expect(s.lastError?.message).toMatch(/ETag .* not the MD5/);
    const objects = await s3.objects("audit", "cut/events/");
    expect([...objects.values()].flat().map((e) => e.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  test("a webhook receiver that answers 200 to a cut body: its acknowledgement tells; without one, requireAck holds the batch back", async () => {
    const hook = await startWebhookReceiver(SECRET);
    later(hook.close);
    const proxy = await startFaultProxy(hook.url.replace(/\/audit$/, ""));
    later(proxy.close);
    proxy.plan((n) => (n === 1 ? "truncate" : "pass"));
    await h.configure({ name: "hooks", target: { kind: "webhook", url: `${proxy.url}/audit` }, batchEvents: 15, retry: { ...RETRY, maxAttempts: 5 } });
    const s = await h.settle("hooks");
    expect([s.status, s.nextSeq, s.totals.failures, s.lastError?.code]).toEqual(["active", 40, 1, "TRUNCATED"]);
    expect(hook.refused).toBe(1);
    expect(hook.received.flatMap((b) => b.seqs)).toEqual(Array.from({ length: 40 }, (_, i) => i));

    const bare = await startWebhookReceiver(SECRET, { ack: false });
    later(bare.close);
    await h.configure({ name: "hooks0", target: { kind: "webhook", url: bare.url, requireAck: true }, retry: RETRY });
    const b = await h.settle("hooks0");
    expect([b.status, b.nextSeq, b.lastError?.code]).toEqual(["failed", 0, "TRUNCATED"]);
    expect(b.lastError?.message).toContain("without an acknowledgement");
    expect(bare.received.length).toBe(3);
  });

  test("a receiver that refuses the signature, a collector that rejects the records: failed at once", async () => {
    const wrong = await startWebhookReceiver(SECRET, { status: 401 });
    later(wrong.close);
    await h.configure({ name: "hooks1", target: { kind: "webhook", url: wrong.url }, retry: RETRY });
    const w = await h.settle("hooks1");
    expect([w.status, w.attempts, w.lastError?.code, w.lastError?.httpStatus]).toEqual(["failed", 1, "FORBIDDEN", 401]);
    const otel = await startOtlpReceiver({ reject: true });
    later(otel.close);
    await h.configure({ name: "otel", target: { kind: "otlp", url: otel.url }, retry: RETRY });
    const o = await h.settle("otel");
    expect([o.status, o.nextSeq, o.lastError?.code]).toEqual(["failed", 0, "REJECTED"]);
    expect(o.lastError?.message).toContain("rejected");
    expect(otel.headers[0].authorization).toBe(`Bearer ${OTLP_TOKEN}`);
  });

  test("no secret is in any document, after all of the above", async () => {
    const secrets = [S3_KEY.secretAccessKey, WRONG.secretAccessKey, UNKNOWN.secretAccessKey, UNKNOWN.accessKeyId, SECRET, SECRET.slice(6), OTLP_TOKEN];
    const dump = async (runner: (f: (ctx: { db: { query: (t: string) => { collect: () => Promise<unknown[]> }; system: { query: (t: string) => { collect: () => Promise<unknown[]> } } } }) => Promise<unknown>) => Promise<unknown>, tables: string[]) =>
      JSON.stringify(
        await runner(async (ctx) => ({
          ...Object.fromEntries(await Promise.all(tables.map(async (t) => [t, await ctx.db.query(t).collect()]))),
          _scheduled_functions: await ctx.db.system.query("_scheduled_functions").collect(),
        })),
      );
    const { default: componentSchema } = await import("../src/component/schema.js");
    const { default: appSchema } = await import("../example/convex/schema.js");
    const component = await dump((f) => (h.t as unknown as { runInComponent: (n: string, g: typeof f) => Promise<unknown> }).runInComponent("auditLog", f), Object.keys(componentSchema.tables));
    const app = await dump((f) => h.t.run(f as never), Object.keys(appSchema.tables));
    expect(component).toContain("wrongsecret");
    expect(component).toContain("function://");
    for (const s of secrets) {
      expect(component.includes(s), `a secret in the component's documents`).toBe(false);
      expect(app.includes(s), `a secret in the app's documents`).toBe(false);
    }
  });
});

describe("the operator's controls", () => {
  test("pause holds deliveries back while the log grows; resume catches up; backfill sends the same objects and batch ids again", async () => {
    const hook = await startWebhookReceiver(SECRET);
    later(hook.close);
    await h.configure({ name: "archive4", target: { kind: "s3", endpoint: s3.url, bucket: "other", prefix: "ops/", partitionByTenant: true }, batchEvents: 12 });
    await h.configure({ name: "hooks2", target: { kind: "webhook", url: hook.url }, batchEvents: 12 });
    await h.settle("archive4");
    await h.settle("hooks2");
    const size = (await h.status("archive4")).sealedSize;
    const keys = await s3.list("other", "ops/events/");
    const ids = hook.received.map((b) => b.id);
    expect(await h.t.mutation(h.api.sinks.pause, { name: "hooks2", by: "ops" })).toBe(true);
    expect(await h.t.mutation(h.api.sinks.pause, { name: "hooks2", by: "ops" })).toBe(false);
    await h.log(events(6, 21, 1));
    await h.sealAll();
    const paused = await h.settle("hooks2");
    // What was sealed meanwhile: the 6 events, and the log's own events about the sinks (configured, paused …).
    const grown = paused.sealedSize - size;
    expect(grown).toBeGreaterThanOrEqual(6);
    expect([paused.status, paused.lagEvents, paused.nextSeq]).toEqual(["paused", grown, size]);
    expect(await h.t.mutation(h.api.sinks.resume, { name: "hooks2", by: "ops" })).toBe(true);
    const resumed = await h.settle("hooks2");
    expect([resumed.status, resumed.nextSeq, resumed.lagEvents]).toEqual(["active", size + grown, 0]);
    await h.settle("archive4");

    // Backfill from the middle of a batch: from that batch's start, the same ranges.
    const before = hook.received.length;
    expect(await h.t.mutation(h.api.sinks.backfill, { name: "hooks2", fromSeq: 17, by: "ops" })).toEqual({ nextSeq: 12 });
    await h.settle("hooks2");
    const again = hook.received.slice(before).map((b) => b.id);
    expect(again.slice(0, ids.length - 1)).toEqual(ids.slice(1));
    const keysBefore = await s3.list("other", "ops/events/");
    expect(await h.t.mutation(h.api.sinks.backfill, { name: "archive4", fromSeq: 0 })).toEqual({ nextSeq: 0 });
    const s = await h.settle("archive4");
    expect(s.nextSeq).toBe(s.sealedSize);
    expect(await s3.list("other", "ops/events/")).toEqual(keysBefore);
    // The objects of the first delivery are still there, under the same keys (overwritten, not doubled).
    expect(keysBefore).toEqual(expect.arrayContaining(keys));
    const seqs = [...(await s3.objects("other", "ops/events/")).values()].flat().map((e) => e.seq as number);
    expect(seqs.sort((a, b) => a - b)).toEqual(Array.from({ length: s.nextSeq }, (_, i) => i));
    await expect(h.t.mutation(h.api.sinks.backfill, { name: "archive4", fromSeq: s.sealedSize + 1 })).rejects.toThrow(/fromSeq/);
    await expect(h.t.mutation(h.api.sinks.pause, { name: "nope" })).rejects.toThrow(/no sink named/);
    // Every change is on the record.
    const page = await h.t.query(h.api.queries.queryByResource, { resourceType: "auditSink", resourceId: "hooks2", paginationOpts: { numItems: 20, cursor: null } });
    expect(page.page.map((e) => e.action).reverse()).toEqual(["audit.sink.configured", "audit.sink.paused", "audit.sink.resumed", "audit.sink.backfilled"]);
    expect(page.page.every((e) => e.actorId === "ops")).toBe(true);
  });

  test("the cron starts a step for a sink with work and none on its way, and resumes one whose step vanished", async () => {
    const hook = await startWebhookReceiver(SECRET);
    later(hook.close);
    await h.configure({ name: "hooks3", target: { kind: "webhook", url: hook.url }, batchEvents: 100 });
    await h.settle("hooks3");
    await h.log(events(3, 31, 1));
    await h.sealAll();
    // The component's cron, by its path inside the component (internal functions are not in its public API).
    const tick = () => h.t.mutation((h.api as unknown as { background: { tick: FunctionReference<"mutation", "internal", Record<string, never>, { sinks: number }> } }).background.tick, {});
    expect((await h.status("hooks3")).stepPending).toBe(false);
    expect((await tick()).sinks).toBeGreaterThanOrEqual(1);
    const s = await h.settle("hooks3");
    expect(s.lagEvents).toBe(0);
    expect((await tick()).sinks).toBe(0);
  });
});
