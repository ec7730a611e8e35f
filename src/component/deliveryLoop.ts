/**
 * One delivery loop per sink, on loop.ts's rules. A step claims the next
 * batch (deliveryBatch.ts: a mutation, which fixes the batch's range in
 * the ledger), sends it (deliverySend.ts, in an action), then records the
 * answer in one write: on success the cursor moves past the batch and the
 * next step is scheduled at once while a backlog remains; on failure the
 * attempt is counted and the same batch is tried again after an
 * exponential backoff with jitter, until `retry.maxAttempts` failures in a
 * row, or at once for an error no retry can mend (wrong credentials, no
 * such bucket), when the sink is marked failed with its error. A step
 * whose sink was paused, backfilled, changed or removed meanwhile finds
 * another step number and records nothing, so nothing is marked delivered
 * that was not.
 *
 * Delivery is at least once: a batch that arrived but whose answer was
 * lost is sent again, to the same S3 keys (an overwrite) or with the same
 * webhook id and event ids (which a receiver drops). The `log.audit`
 * mirror runs as a mutation (actions cannot call `log.audit`): it reads,
 * logs and moves its cursor in one transaction.
 *
 * The component's cron (background.ts) starts a step for a running sink
 * with work and no step on its way, and resumes one whose step failed or
 * stalled, by `recovery()`.
 */
import type { FunctionHandle } from "convex/server";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import type { ActionCtx, MutationCtx, QueryCtx } from "./_generated/server.js";
import { AuditActions } from "../shared/catalog.js";
import { checkPageSize } from "../shared/checks.js";
import { DELIVERY_LIMITS, RUNNING_SINK_STATUSES, type SinkStatus } from "../shared/delivery.js";
import { openCursor, sealCursor } from "./cursor.js";
import { logEvents } from "./log.js";
import { isCurrentStep, nextStep, recovery, shrunk } from "./loop.js";
import { batchEvents, claimBatch, hasWork, outcomeOf, type Claim, type Outcome, type Sink } from "./deliveryBatch.js";
import { logAudit, scheduleStep } from "./deliveryConfig.js";
import { DeliveryError, scrub, secretsOf, sendBatch } from "./deliverySend.js";
import { latestCheckpointDoc } from "./proofs.js";
import { stateDoc } from "./sealing.js";

const isStep = (sink: Sink | null, seq: number) => isCurrentStep(sink, seq, RUNNING_SINK_STATUSES);

/** The claim: the batch to send, or null (nothing to send: the loop rests until the cron finds work). */
export async function claim(ctx: MutationCtx, { sinkId, seq }: { sinkId: Id<"sinks">; seq: number }): Promise<Claim> {
  const sink = await ctx.db.get(sinkId);
  if (!isStep(sink, seq)) return { stale: true };
  const batch = await claimBatch(ctx, sink!);
  if (batch === null) await ctx.db.patch(sinkId, { job: undefined, seq: seq + 1, updatedAt: Date.now() });
  return { stale: false, batch };
}

/** A delivered batch: the cursor past it, the next step (at once while more waits), attempts reset. */
export async function record(ctx: MutationCtx, { sinkId, seq, outcome }: { sinkId: Id<"sinks">; seq: number; outcome: Outcome }): Promise<boolean> {
  const sink = await ctx.db.get(sinkId);
  // Paused, backfilled, changed or removed since the claim, or a duplicate step: the batch stays undelivered here.
  if (!isStep(sink, seq) || sink!.nextSeq !== outcome.from) return false;
  const s = sink!;
  const now = Date.now();
  const more = outcome.full;
  const job = more ? await scheduleStep(ctx, s, seq + 1) : undefined;
  const m = await ctx.meta.getTransactionMetrics();
  const t = s.totals;
  await ctx.db.patch(sinkId, {
    ...nextStep(s, job, now),
    status: "active",
    nextSeq: outcome.to,
    attempts: 0,
    nextAttemptAt: undefined,
    ...(outcome.lastSeq !== null ? { lastDeliveredSeq: outcome.lastSeq, lastDeliveredAt: now } : {}),
    ...(outcome.checkpoint !== undefined ? { checkpoint: outcome.checkpoint } : {}),
    totals: {
      delivered: t.delivered + outcome.count,
      skipped: t.skipped + outcome.skipped,
      // A step that only wrote a checkpoint delivered no batch of events.
      batches: t.batches + (outcome.to > outcome.from ? 1 : 0),
      requests: t.requests + outcome.requests,
      failures: t.failures,
      bytesSent: t.bytesSent + outcome.bytes,
      // The patch itself reads the sink once more, after the metrics were taken.
      documentsRead: t.documentsRead + outcome.documentsRead + m.documentsRead.used + 1,
    },
  });
  return true;
}

/** The wait before attempt n + 1: base · 2^(n-1), at most maxMs, "equal jitter" (half fixed, half random), at least what Retry-After asked. */
export function backoffMs(attempts: number, retry: Sink["retry"], retryAfterMs?: number): number {
  const ceiling = Math.min(retry.maxMs, retry.baseMs * 2 ** Math.min(attempts - 1, 40));
  const wait = ceiling / 2 + Math.random() * (ceiling / 2);
  return Math.round(Math.min(retry.maxMs, Math.max(wait, retryAfterMs ?? 0)));
}

export type Failure = { code: string; message: string; retryable: boolean; httpStatus?: number; retryAfterMs?: number; documentsRead?: number };

/** A failed attempt: retried after a backoff, or the sink marked failed (and that logged). */
export async function fail(ctx: MutationCtx, { sinkId, seq, failure }: { sinkId: Id<"sinks">; seq: number; failure: Failure }): Promise<boolean> {
  const sink = await ctx.db.get(sinkId);
  if (!isStep(sink, seq)) return false;
  const s = sink!;
  const now = Date.now();
  const attempts = s.attempts + 1;
  const lastError = {
    code: failure.code,
    message: failure.message,
    at: now,
    retryable: failure.retryable,
    ...(failure.httpStatus !== undefined ? { httpStatus: failure.httpStatus } : {}),
  };
  const totals = { ...s.totals, failures: s.totals.failures + 1, documentsRead: s.totals.documentsRead + (failure.documentsRead ?? 0) };
  if (!failure.retryable || attempts >= s.retry.maxAttempts) {
    await ctx.db.patch(sinkId, { status: "failed", attempts, lastError, totals, job: undefined, seq: seq + 1, nextAttemptAt: undefined, updatedAt: now });
    await logEvents(
      ctx,
      [
        {
          action: AuditActions.AUDIT_SINK_FAILED,
          actor: { type: "system" },
          status: "failure",
          resourceType: "auditSink",
          resourceId: s.name,
          errorMessage: `${failure.code}: ${failure.message}`.slice(0, 4000),
          summary: `Audit log sink ${s.name} stopped at seq ${s.nextSeq} after ${attempts} failed attempt(s)`,
          metadata: { sink: s.name, nextSeq: s.nextSeq, attempts, code: failure.code, retryable: failure.retryable },
        },
      ],
      {},
      () => "",
    );
    return true;
  }
  const delay = backoffMs(attempts, s.retry, failure.retryAfterMs);
  const job = await scheduleStep(ctx, s, seq + 1, delay);
  await ctx.db.patch(sinkId, { status: "retrying", attempts, lastError, totals, job, seq: seq + 1, scale: shrunk(s.scale), nextAttemptAt: now + delay, updatedAt: now });
  return true;
}

/** A DeliveryError, or anything else thrown, as a failure fit to store (no credential in its text). */
function failureOf(e: unknown, secrets: string[]): Failure {
  if (e instanceof DeliveryError) {
    return {
      code: e.code,
      message: scrub(e.message, secrets),
      retryable: e.retryable,
      ...(e.httpStatus !== undefined ? { httpStatus: e.httpStatus } : {}),
      ...(e.retryAfterMs !== undefined ? { retryAfterMs: e.retryAfterMs } : {}),
    };
  }
  return { code: "STEP_FAILED", message: scrub(e instanceof Error ? e.message : String(e), secrets), retryable: true };
}

/**
 * One step of an HTTP sink (an action). It never throws: whatever goes
 * wrong after the claim is recorded as the attempt's failure.
 */
export async function deliverStep(ctx: ActionCtx, { sinkId, seq }: { sinkId: Id<"sinks">; seq: number }): Promise<null> {
  const c = await ctx.runMutation(internal.sinks.claim, { sinkId, seq });
  if (c.stale || c.batch === null) return null;
  const batch = c.batch;
  let creds: unknown = undefined;
  try {
    if (batch.credentials !== undefined) {
      try {
        creds = await ctx.runQuery(batch.credentials as FunctionHandle<"query">, { sink: batch.name, kind: batch.target.kind });
      } catch (e) {
        throw new DeliveryError("CREDENTIALS", `the app's credentials function failed: ${e instanceof Error ? e.message : String(e)}`, true);
      }
    }
    const sent = batch.parts.length > 0 || batch.checkpoint !== undefined ? await sendBatch(batch, creds) : { requests: 0, bytes: 0 };
    await ctx.runMutation(internal.sinks.record, { sinkId, seq, outcome: outcomeOf(batch, sent) });
  } catch (e) {
    await ctx.runMutation(internal.sinks.fail, { sinkId, seq, failure: { ...failureOf(e, secretsOf(creds)), documentsRead: batch.documentsRead } });
  }
  return null;
}

/** An event too large for one `log.audit` entry (1 MB) is mirrored as a reference to its leaf. */
function mirrorBody(record: Record<string, unknown>): Record<string, unknown> {
  if (JSON.stringify(record).length <= DELIVERY_LIMITS.mirrorEventBytes) return record;
  const { seq, leafHash, _id, action, timestamp } = record;
  return { seq, leafHash, _id, action, timestamp, truncated: true };
}

/**
 * One step of the `log.audit` mirror (a mutation): the events, one
 * `log.audit` call each, and the cursor, in one transaction, which commits
 * only once Convex has persisted the logs (seed 001).
 */
export async function mirrorStep(ctx: MutationCtx, { sinkId, seq }: { sinkId: Id<"sinks">; seq: number }): Promise<null> {
  const sink = await ctx.db.get(sinkId);
  if (!isStep(sink, seq)) return null;
  const s = sink!;
  const ev = await batchEvents(ctx, s);
  if (ev === null) {
    await ctx.db.patch(sinkId, { job: undefined, seq: seq + 1, updatedAt: Date.now() });
    return null;
  }
  const audit = logAudit();
  try {
    if (audit === null) throw new DeliveryError("UNAVAILABLE", "this runtime has no log.audit", false);
    for (const r of ev.records) audit(mirrorBody(r));
  } catch (e) {
    await fail(ctx, { sinkId, seq, failure: failureOf(e, []) });
    return null;
  }
  const m = await ctx.meta.getTransactionMetrics();
  await record(ctx, {
    sinkId,
    seq,
    outcome: {
      from: ev.from,
      to: ev.to,
      count: ev.docs.length,
      skipped: ev.to - ev.from - ev.docs.length,
      lastSeq: ev.docs.length > 0 ? ev.docs[ev.docs.length - 1].seq! : null,
      full: ev.full,
      requests: ev.records.length,
      bytes: ev.lines.reduce((n, l) => n + l.length, 0),
      // The reads so far; record adds its own (none beyond the sink, already counted).
      documentsRead: m.documentsRead.used,
    },
  });
  return null;
}

/**
 * The cron's part (background.ts): a running sink with work and no step on
 * its way gets one; a step that failed or went quiet is resumed at half
 * size; one that stalled at the smallest size is marked failed.
 */
export async function recoverSinks(ctx: MutationCtx, now: number): Promise<number> {
  let started = 0;
  const sealedSize = (await stateDoc(ctx))?.size ?? 0;
  const latest = await latestCheckpointDoc(ctx);
  for (const status of RUNNING_SINK_STATUSES) {
    const sinks = await ctx.db
      .query("sinks")
      .withIndex("by_status", (q) => q.eq("status", status))
      .take(DELIVERY_LIMITS.maxSinks);
    for (const sink of sinks) {
      if (sink.job === undefined) {
        if (!(await hasWork(ctx, sink, sealedSize, latest))) continue;
        const seq = sink.seq + 1;
        await ctx.db.patch(sink._id, { seq, job: await scheduleStep(ctx, sink, seq), updatedAt: now });
        started++;
        continue;
      }
      const action = await recovery(ctx, sink, now);
      if (action === "wait") continue;
      if (action === "resume") {
        await ctx.db.patch(sink._id, { job: await scheduleStep(ctx, sink, sink.seq), scale: shrunk(sink.scale), updatedAt: now });
        started++;
      } else {
        await fail(ctx, {
          sinkId: sink._id,
          seq: sink.seq,
          failure: { code: "STALLED", message: "the sink's steps kept failing or stopped without a word, at the smallest batch size", retryable: false },
        });
      }
    }
  }
  return started;
}

/** Starts a step now for a running sink with work and none on its way (tests, the demo, an app that wants no wait). */
export async function deliverNow(ctx: MutationCtx, { name }: { name?: string }): Promise<number> {
  let started = 0;
  const sealedSize = (await stateDoc(ctx))?.size ?? 0;
  const latest = await latestCheckpointDoc(ctx);
  for (const status of RUNNING_SINK_STATUSES) {
    for (const sink of await ctx.db.query("sinks").withIndex("by_status", (q) => q.eq("status", status)).take(DELIVERY_LIMITS.maxSinks)) {
      if ((name !== undefined && sink.name !== name) || sink.job !== undefined) continue;
      // A sink with nothing to send is left alone: an empty step would still write its row and wake its subscribers.
      if (!(await hasWork(ctx, sink, sealedSize, latest))) continue;
      const seq = sink.seq + 1;
      await ctx.db.patch(sink._id, { seq, job: await scheduleStep(ctx, sink, seq), updatedAt: Date.now() });
      started++;
    }
  }
  return started;
}

// ---- Status -------------------------------------------------------------------------

/** A sink's status with its lag: sealed events past its cursor, and how long the oldest of them has waited. */
export async function sinkStatus(ctx: QueryCtx, sink: Sink, sealedSize: number, now: number): Promise<SinkStatus> {
  const oldest =
    sealedSize > sink.nextSeq
      ? await ctx.db
          .query("events")
          .withIndex("by_seq", (q) => q.gte("seq", sink.nextSeq))
          .first()
      : null;
  return {
    name: sink.name,
    target: sink.target,
    format: sink.format,
    batchEvents: sink.batchEvents,
    retry: sink.retry,
    status: sink.status,
    nextSeq: sink.nextSeq,
    lastDeliveredSeq: sink.lastDeliveredSeq ?? null,
    lastDeliveredAt: sink.lastDeliveredAt ?? null,
    lastError: sink.lastError ?? null,
    attempts: sink.attempts,
    nextAttemptAt: sink.nextAttemptAt ?? null,
    checkpoint: sink.checkpoint ?? null,
    lagEvents: Math.max(0, sealedSize - sink.nextSeq),
    lagSeconds: oldest === null ? 0 : Math.max(0, Math.floor((now - oldest._creationTime) / 1000)),
    sealedSize,
    totals: sink.totals,
    hasCredentials: sink.credentials !== undefined,
    stepPending: sink.job !== undefined,
    createdAt: sink.createdAt,
    updatedAt: sink.updatedAt,
  };
}

/** Sinks by name, a page at a time (there are at most 20, but the list is paged like every other). */
export async function listSinks(
  ctx: QueryCtx,
  { paginationOpts, now }: { paginationOpts: { numItems: number; cursor: string | null }; now?: number },
): Promise<{ page: SinkStatus[]; isDone: boolean; continueCursor: string }> {
  const numItems = Math.min(checkPageSize(paginationOpts.numItems), DELIVERY_LIMITS.maxListPage);
  const sealedSize = (await stateDoc(ctx))?.size ?? 0;
  const at = now ?? Date.now();
  const shape = "sinks";
  const cursor = paginationOpts.cursor === null ? null : await openCursor(ctx, "range", shape, paginationOpts.cursor, "paginationOpts.cursor");
  const page = await ctx.db.query("sinks").withIndex("by_name").paginate({ numItems, cursor });
  const statuses = [];
  for (const s of page.page) statuses.push(await sinkStatus(ctx, s, sealedSize, at));
  return { page: statuses, isDone: page.isDone, continueCursor: await sealCursor(ctx, "range", shape, page.continueCursor) };
}

export async function getSink(ctx: QueryCtx, { name, now }: { name: string; now?: number }): Promise<SinkStatus | null> {
  const sink = await ctx.db
    .query("sinks")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
  if (sink === null) return null;
  return await sinkStatus(ctx, sink, (await stateDoc(ctx))?.size ?? 0, now ?? Date.now());
}
