/**
 * Delivery sinks (issue [delivery]): every sealed event of the seeded log
 * delivered to a real server on 127.0.0.1, started and stopped here
 * (dev/deliveryServers.ts), by a sink configured with its kind's default
 * batch size (SINK_KINDS: S3 1,000 events, webhook 100):
 *
 * - `deliver_s3`: s3rver; gzipped JSON Lines objects signed with SigV4,
 *   and the checkpoint beside them.
 * - `deliver_webhook`: the webhook receiver, which checks each batch's
 *   Standard Webhooks signature and acknowledges what arrived.
 *
 * The steps are driven from here, as `deliverStep` runs them: the claim
 * (deliveryLoop.ts's handler) in one measured transaction, `sendBatch`
 * (deliverySend.ts) over HTTP with the credentials the app's function would
 * return, the record in another measured transaction. The bench's runtime
 * has no app module to answer a credentials handle, and the measured route
 * counts each transaction exactly; the sink's own `totals.documentsRead`
 * (each batch's getTransactionMetrics) is compared with it in the note.
 * The step a record schedules for the next batch is canceled in the same
 * transaction (after the measurement), so convex-test's timers never run a
 * step beside the bench's.
 *
 * Checked against the log: every seq 0..size-1 arrives exactly once (`lost`,
 * `duplicateObjects`), in order within each object or batch; each S3 line
 * equals its sealed event (canonical JSON, seal and leaf hash recomputed)
 * and sits under its event's day; every event of the model arrived.
 *
 * Runs after integrity (which seals and checkpoints the log; with `--only
 * delivery` this group seals it and writes the checkpoint itself) and before
 * retention. Adding a sink logs one event and removing it another
 * (unsealed, newer than any cutoff, so retention's model check is
 * unaffected); the sinks are removed at the end, so no later cron tick
 * finds them.
 */
import { AuditLog } from "../src/client/index.js";
import { S3_KEY, startS3, startWebhookReceiver } from "../dev/deliveryServers.js";
import { SINK_KINDS, utcDay, type SinkTarget } from "../src/shared/delivery.js";
import { canonicalJson, eventJson, eventLeafHash, type Json, type SealInfo } from "../src/shared/leaf.js";
import { toB64 } from "../src/shared/merkle.js";
import { generateKey } from "../src/shared/note.js";
import { outcomeOf, type Batch } from "../src/component/deliveryBatch.js";
import { configureSink, removeSink, sinkByName } from "../src/component/deliveryConfig.js";
import { claim, record as recordBatch } from "../src/component/deliveryLoop.js";
import { sendBatch } from "../src/component/deliverySend.js";
import type { MutationCtx } from "../src/component/_generated/server.js";
import type { Id } from "../src/component/_generated/dataModel.js";
import type { BenchEnv, Cost, ScenarioGroup, Target } from "./plugins.js";
import { costOf, auditLogApi } from "./runtime.js";

const api = auditLogApi;
/** The bar: documents the claim and record transactions read, per event delivered. */
export const DELIVERY_READS_PER_EVENT = 1.05;
const BUCKET = "audit-bench";
const PREFIX = "audit/";
const SECRET = "whsec_" + btoa("bench-webhook-secret-0123456789ab");
/** Never called: the bench hands sendBatch the credentials itself. A sink of either kind must name one. */
const CREDENTIALS_HANDLE = "function://;bench/credentials:get";

const zero = (): Cost => ({ documentsRead: 0, bytesRead: 0, documentsWritten: 0, bytesWritten: 0, databaseQueries: 0 });
const add = (a: Cost, b: Cost) => {
  for (const k of Object.keys(a) as (keyof Cost)[]) a[k] += b[k];
};
const fmt = (n: number) => n.toLocaleString("en");

type Runtime = BenchEnv["t"];
type EventDoc = Record<string, unknown> & { _id: string; seq: number; seal: SealInfo; action: string; timestamp: number };

/** A transaction in the component (convex-test's runInComponent, untyped in its .d.ts). The result stays in JS: no round trip. */
async function inComponent<R>(t: Runtime, fn: (ctx: MutationCtx) => Promise<R>): Promise<R> {
  const run = (t as unknown as { runInComponent(name: string, f: (ctx: MutationCtx) => Promise<null>): Promise<null> }).runInComponent;
  let out: { r: R } | undefined;
  await run("auditLog", async (ctx) => {
    out = { r: await fn(ctx) };
    return null;
  });
  return out!.r;
}


/** `fn` in its own component transaction, with what it alone cost (as run.ts's measure); `after` runs in it, unmeasured. */
async function measured<R>(t: Runtime, fn: (ctx: MutationCtx) => Promise<R>, after?: (ctx: MutationCtx) => Promise<void>): Promise<{ result: R; cost: Cost }> {
  return await inComponent(t, async (ctx) => {
    const m0 = await costOf(ctx);
    const result = await fn(ctx);
    const m1 = await costOf(ctx);
    await after?.(ctx);
    const cost = Object.fromEntries(Object.keys(m0).map((k) => [k, m1[k as keyof Cost] - m0[k as keyof Cost]])) as Cost;
    return { result, cost };
  });
}

/** The sink's scheduled step, canceled: the bench runs the steps itself. */
async function cancelStep(ctx: MutationCtx, sinkId: Id<"sinks">): Promise<void> {
  const job = (await ctx.db.get(sinkId))?.job;
  if (job !== undefined && (await ctx.db.system.get(job))?.state.kind === "pending") await ctx.scheduler.cancel(job);
}

/** Every sealed event, by seq (read straight from the table, 4,000 per transaction, as integrity's model does). */
async function sealedEvents(t: Runtime, size: number): Promise<EventDoc[]> {
  const out: EventDoc[] = [];
  for (let from = 0; from < size; from += 4000) {
    const docs = await inComponent(t, (ctx) =>
      ctx.db
        .query("events")
        .withIndex("by_seq", (q) => q.gte("seq", from).lt("seq", Math.min(size, from + 4000)))
        .collect(),
    );
    out.push(...(docs as unknown as EventDoc[]));
  }
  return out;
}

type Run = {
  sinkId: Id<"sinks">;
  claimCost: Cost;
  recordCost: Cost;
  batches: number;
  delivered: number;
  requests: number;
  bytes: number;
  /** Documents read as each batch measured them itself (claim and record), summed. */
  batchDocumentsRead: number;
  /** The claim's own figure (batch.documentsRead) differed from the measured one. */
  claimMismatches: number;
  maxBatchReads: number;
  maxParts: number;
  seconds: number;
  finalSeq: number;
  totals: { delivered: number; documentsRead: number; batches: number; requests: number; bytesSent: number };
  problems: string[];
};

/** Configures a sink, then runs its steps until a batch is not full (the loop then rests until the cron finds more). */
async function deliverAll(t: Runtime, name: string, target: SinkTarget, creds: unknown): Promise<Run> {
  const started = Date.now();
  const sinkId = await inComponent(t, async (ctx) => {
    await configureSink(ctx, { name, target, credentials: CREDENTIALS_HANDLE });
    const sink = (await sinkByName(ctx, name))!;
    await cancelStep(ctx, sink._id);
    return sink._id;
  });
  const run: Run = {
    sinkId,
    claimCost: zero(),
    recordCost: zero(),
    batches: 0,
    delivered: 0,
    requests: 0,
    bytes: 0,
    batchDocumentsRead: 0,
    claimMismatches: 0,
    maxBatchReads: 0,
    maxParts: 0,
    seconds: 0,
    finalSeq: 0,
    totals: { delivered: 0, documentsRead: 0, batches: 0, requests: 0, bytesSent: 0 },
    problems: [],
  };
  let seq = 0;
  for (;;) {
    const c = await measured(t, (ctx) => claim(ctx, { sinkId, seq }));
    if (c.result.stale) {
      run.problems.push(`step ${seq} found stale`);
      break;
    }
    const batch: Batch | null = c.result.batch;
    add(run.claimCost, c.cost);
    if (batch === null) break;
    if (batch.documentsRead !== c.cost.documentsRead) run.claimMismatches++;
    const sent = await sendBatch(batch, creds);
    const outcome = outcomeOf(batch, sent);
    const r = await measured(
      t,
      (ctx) => recordBatch(ctx, { sinkId, seq, outcome }),
      (ctx) => cancelStep(ctx, sinkId),
    );
    add(run.recordCost, r.cost);
    if (!r.result) {
      run.problems.push(`record of step ${seq} refused`);
      break;
    }
    run.batches++;
    run.delivered += batch.count;
    run.requests += sent.requests;
    run.bytes += sent.bytes;
    run.maxBatchReads = Math.max(run.maxBatchReads, c.cost.documentsRead + r.cost.documentsRead);
    run.maxParts = Math.max(run.maxParts, batch.parts.length);
    seq++;
    if (!batch.full) break;
  }
  const sink = await inComponent(t, async (ctx) => (await ctx.db.get(sinkId))!);
  run.totals = sink.totals;
  run.batchDocumentsRead = sink.totals.documentsRead;
  run.finalSeq = sink.nextSeq;
  if (sink.status !== "active") run.problems.push(`sink ${sink.status}: ${JSON.stringify(sink.lastError ?? null)}`);
  run.seconds = (Date.now() - started) / 1000;
  return run;
}

/** The scenario's target: the bar on reads per event (correctness, lost and duplicates, is the row's `correct`). */
const readsTarget: Target = {
  text: `documents read (claim + record) per event delivered ≤ ${DELIVERY_READS_PER_EVENT}`,
  met: (s) => s.rows > 0 && s.documentsRead <= DELIVERY_READS_PER_EVENT * s.rows,
};

/** Seqs 0..size-1 against what arrived: how many never did, and how many arrived more than once. */
function coverage(size: number, seen: Map<number, number>) {
  let lost = 0;
  let repeated = 0;
  for (let s = 0; s < size; s++) {
    const n = seen.get(s) ?? 0;
    if (n === 0) lost++;
    else repeated += n - 1;
  }
  const outside = [...seen.keys()].filter((s) => !(Number.isInteger(s) && s >= 0 && s < size)).length;
  return { lost, repeated, outside };
}

export const deliveryScenarios: ScenarioGroup = {
  name: "delivery",
  run: async (env: BenchEnv) => {
    const { t, model, record } = env;

    // 0. A sealed, checkpointed log (integrity's work in a full run; done here with --only delivery).
    await new Promise((r) => setTimeout(r, 5));
    for (;;) if ((await t.run((ctx) => ctx.runMutation(api.integrity.seal, { settleMs: 0 }))).caughtUp) break;
    let status = await t.run((ctx) => ctx.runQuery(api.integrity.status, {}));
    if (status.latestCheckpoint?.size !== status.size) {
      const key = generateKey("bench.convex-audit-log/log", new Uint8Array(32).fill(7));
      await t.run((ctx) => new AuditLog(api, { integrity: { signingKey: key.signer } }).checkpoint(ctx));
      status = await t.run((ctx) => ctx.runQuery(api.integrity.status, {}));
    }
    const size = status.size;
    const docs = await sealedEvents(t, size);
    const bySeq = new Map(docs.map((d) => [d.seq, d]));
    const modelIds = new Set(model.ids);
    const inLog = docs.filter((d) => modelIds.has(d._id)).length;

    const s3 = await startS3([BUCKET]);
    const hooks = await startWebhookReceiver(SECRET);
    try {
      // 1. S3: every sealed event in gzipped JSON Lines objects, then every object read back.
      const s3Run = await deliverAll(t, "bench-s3", { kind: "s3", endpoint: s3.url, bucket: BUCKET, prefix: PREFIX }, S3_KEY);
      const objects = await s3.objects(BUCKET, `${PREFIX}events/`);
      const keys = [...objects.keys()].sort();
      const seen = new Map<number, number>();
      const holder = new Map<number, string>();
      let duplicateObjects = 0;
      let unordered = 0;
      let wrongContent = 0;
      let wrongKey = 0;
      let lines = 0;
      for (const key of keys) {
        const m = /\/dt=(\d{4}-\d{2}-\d{2})\/events-(\d{12})-(\d{12})\.jsonl\.gz$/.exec(key);
        const recs = objects.get(key)!;
        let dup = false;
        let prev = -1;
        for (const rec of recs) {
          lines++;
          const { seq, leafHash, seal, ...rest } = rec as { seq: number; leafHash: string; seal: SealInfo } & Record<string, unknown>;
          if (holder.has(seq) && holder.get(seq) !== key) dup = true;
          holder.set(seq, key);
          seen.set(seq, (seen.get(seq) ?? 0) + 1);
          if (!(seq > prev)) unordered++;
          prev = seq;
          const doc = bySeq.get(seq);
          if (m === null || seq < Number(m[2]) || seq > Number(m[3]) || (doc !== undefined && utcDay(doc.timestamp) !== m[1])) wrongKey++;
          const leaf = doc === undefined ? null : eventLeafHash(eventJson(doc), doc.seal);
          const same =
            doc !== undefined &&
            leaf !== null &&
            rest._id === doc._id &&
            rest.action === doc.action &&
            canonicalJson(rest as Json) === canonicalJson(eventJson(doc)) &&
            canonicalJson(seal as unknown as Json) === canonicalJson(doc.seal as unknown as Json) &&
            leafHash === toB64(leaf);
          if (!same) wrongContent++;
        }
        if (dup) duplicateObjects++;
      }
      const s3Cov = coverage(size, seen);
      const cpKeys = (await s3.list(BUCKET, `${PREFIX}checkpoints/`)).sort();
      const cp = cpKeys.length === 0 ? null : (JSON.parse((await s3.get(BUCKET, cpKeys[cpKeys.length - 1])).toString("utf8")) as { size: number });
      const s3Ids = new Set<string>();
      for (const recs of objects.values()) for (const r of recs) s3Ids.add(r._id as string);
      const s3ModelMissing = model.ids.filter((id) => !s3Ids.has(id)).length;
      const s3Cost = zero();
      add(s3Cost, s3Run.claimCost);
      add(s3Cost, s3Run.recordCost);
      const s3Correct =
        s3Run.problems.length === 0 &&
        s3Run.delivered === size &&
        s3Run.finalSeq === size &&
        s3Cov.lost === 0 &&
        s3Cov.repeated === 0 &&
        s3Cov.outside === 0 &&
        duplicateObjects === 0 &&
        unordered === 0 &&
        wrongContent === 0 &&
        wrongKey === 0 &&
        lines === size &&
        s3ModelMissing === 0 &&
        s3Run.claimMismatches === 0 &&
        cp?.size === size;
      const s3Row = record(
        "deliver_s3",
        s3Cost,
        s3Run.delivered,
        s3Correct,
        readsTarget,
        `${fmt(s3Run.delivered)} of ${fmt(size)} sealed events to s3rver in ${s3Run.batches} batches of ≤ ${SINK_KINDS.s3.batchEvents} ` +
          `(${keys.length} objects, one per batch and UTC day, ≤ ${s3Run.maxParts} per batch; ${s3Run.requests} PUTs with the checkpoint): ` +
          `${(s3Cost.documentsRead / Math.max(1, s3Run.delivered)).toFixed(4)} docs read per event ` +
          `(claims ${fmt(s3Run.claimCost.documentsRead)}, records ${fmt(s3Run.recordCost.documentsRead)}; the sink's totals say ${fmt(s3Run.batchDocumentsRead)}), ` +
          `${(s3Run.bytes / Math.max(1, s3Run.delivered)).toFixed(1)} bytes sent per event (gzip); ` +
          `read back: lost ${s3Cov.lost}, duplicate objects ${duplicateObjects}, out of order ${unordered}, lines unlike their sealed event ${wrongContent}, ` +
          `under the wrong key ${wrongKey}, model events missing ${s3ModelMissing} (${fmt(inLog)} of ${fmt(size)} sealed are the model's); ` +
          `checkpoint object at size ${cp?.size ?? "none"}; ${s3Run.seconds.toFixed(1)} s` +
          (s3Run.problems.length > 0 ? `; PROBLEMS: ${s3Run.problems.join("; ")}` : ""),
      );
      Object.assign(s3Row, {
        delivered: s3Run.delivered,
        lost: s3Cov.lost,
        duplicateObjects,
        documentsReadPerEvent: round(s3Cost.documentsRead / Math.max(1, s3Run.delivered), 4),
        bytesSentPerEvent: round(s3Run.bytes / Math.max(1, s3Run.delivered), 1),
        batches: s3Run.batches,
        requests: s3Run.requests,
        objects: keys.length,
        bytesSent: s3Run.bytes,
        claimDocumentsRead: s3Run.claimCost.documentsRead,
        recordDocumentsRead: s3Run.recordCost.documentsRead,
        totalsDocumentsRead: s3Run.batchDocumentsRead,
        maxBatchDocumentsRead: s3Run.maxBatchReads,
        seconds: round(s3Run.seconds, 1),
      });

      // 2. Webhook: every sealed event in signed batches; the receiver keeps what verified.
      const hookRun = await deliverAll(t, "bench-webhook", { kind: "webhook", url: hooks.url }, { secret: SECRET });
      const hookSeen = new Map<number, number>();
      const idCount = new Map<string, number>();
      let hookUnordered = 0;
      let wrongId = 0;
      let received = 0;
      for (const b of hooks.received) {
        let prev = -1;
        b.seqs.forEach((seq, i) => {
          received++;
          hookSeen.set(seq, (hookSeen.get(seq) ?? 0) + 1);
          idCount.set(b.ids[i], (idCount.get(b.ids[i]) ?? 0) + 1);
          if (!(seq > prev)) hookUnordered++;
          prev = seq;
          if (bySeq.get(seq)?._id !== b.ids[i]) wrongId++;
        });
      }
      const hookCov = coverage(size, hookSeen);
      const duplicateDeliveries = [...idCount.values()].reduce((n, c) => n + c - 1, 0);
      const hookModelMissing = model.ids.filter((id) => !idCount.has(id)).length;
      const hookCost = zero();
      add(hookCost, hookRun.claimCost);
      add(hookCost, hookRun.recordCost);
      const hookCorrect =
        hookRun.problems.length === 0 &&
        hookRun.delivered === size &&
        hookRun.finalSeq === size &&
        hookCov.lost === 0 &&
        hookCov.repeated === 0 &&
        hookCov.outside === 0 &&
        duplicateDeliveries === 0 &&
        hookUnordered === 0 &&
        wrongId === 0 &&
        received === size &&
        hooks.refused === 0 &&
        hooks.received.length === hookRun.requests &&
        hookModelMissing === 0 &&
        hookRun.claimMismatches === 0;
      const hookRow = record(
        "deliver_webhook",
        hookCost,
        hookRun.delivered,
        hookCorrect,
        readsTarget,
        `${fmt(hookRun.delivered)} of ${fmt(size)} sealed events to the webhook receiver in ${hookRun.batches} signed batches of ≤ ${SINK_KINDS.webhook.batchEvents}: ` +
          `${(hookCost.documentsRead / Math.max(1, hookRun.delivered)).toFixed(4)} docs read per event ` +
          `(claims ${fmt(hookRun.claimCost.documentsRead)}, records ${fmt(hookRun.recordCost.documentsRead)}; the sink's totals say ${fmt(hookRun.batchDocumentsRead)}), ` +
          `${(hookRun.bytes / Math.max(1, hookRun.delivered)).toFixed(1)} bytes sent per event; ` +
          `received: ${hooks.received.length} batches verified, ${hooks.refused} refused, lost ${hookCov.lost}, deliveries of an event id beyond the first ${duplicateDeliveries}, ` +
          `out of order ${hookUnordered}, ids unlike the log's ${wrongId}, model events missing ${hookModelMissing}; ${hookRun.seconds.toFixed(1)} s` +
          (hookRun.problems.length > 0 ? `; PROBLEMS: ${hookRun.problems.join("; ")}` : ""),
      );
      Object.assign(hookRow, {
        delivered: hookRun.delivered,
        lost: hookCov.lost,
        duplicateObjects: duplicateDeliveries,
        documentsReadPerEvent: round(hookCost.documentsRead / Math.max(1, hookRun.delivered), 4),
        bytesSentPerEvent: round(hookRun.bytes / Math.max(1, hookRun.delivered), 1),
        batches: hookRun.batches,
        requests: hookRun.requests,
        bytesSent: hookRun.bytes,
        claimDocumentsRead: hookRun.claimCost.documentsRead,
        recordDocumentsRead: hookRun.recordCost.documentsRead,
        totalsDocumentsRead: hookRun.batchDocumentsRead,
        maxBatchDocumentsRead: hookRun.maxBatchReads,
        seconds: round(hookRun.seconds, 1),
      });

      // 3. The sinks go (their ledgers with them), so nothing later finds a sink with work.
      for (const name of ["bench-s3", "bench-webhook"]) await inComponent(t, (ctx) => removeSink(ctx, { name }));
    } finally {
      await hooks.close();
      await s3.close();
    }
  },
};

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;
