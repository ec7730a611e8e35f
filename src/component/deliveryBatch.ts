/**
 * A sink's next batch: the sealed events from its cursor on, in seal order,
 * formatted for its kind. The range a batch covers is fixed in the
 * `sinkBatches` ledger the first time it is claimed, so a retried step, a
 * step resumed after a crash, or a backfill sends exactly the same range
 * again: the same S3 object keys, the same webhook id. Nothing is written
 * to the sink itself here; its cursor moves only when the destination
 * has answered (deliveryLoop.ts).
 *
 * Reads: the sink, its ledger entry, the events (through `by_seq`, each
 * once, no look-ahead), one level-0 tile per 256 events for their leaf
 * hashes, and for S3 the newest checkpoint the batch covers.
 */
import { v, type Infer } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import {
  checkpointKey,
  DELIVERY_LIMITS,
  NO_TENANT_PARTITION,
  objectKey,
  utcDay,
  vSinkTarget,
  type SinkFormat,
} from "../shared/delivery.js";
import { toB64 } from "../shared/merkle.js";
import { toOcsf, type OcsfSource } from "../shared/ocsf.js";
import { otlpLogRecord, otlpRequest, type OtlpEvent } from "../shared/otlp.js";
import { eventRecord } from "../shared/sealedExport.js";
import { utf8Length } from "../shared/text.js";
import type { EventDoc } from "./read.js";
import { TileReader } from "./tiles.js";

export type Sink = Doc<"sinks">;

/** One request's worth: an S3 object (its key), a webhook batch (its id) or an OTLP request. */
export const vBatchPart = v.object({ key: v.string(), body: v.string(), lines: v.number() });

/** What the step sends: everything but credentials, which the step fetches from the app. */
/** A batch's range and what it holds: claimed in the batch, reported back in its outcome. */
const rangeFields = {
  from: v.number(),
  to: v.number(),
  /** Events in the batch, and leaves of its range whose events are gone (deleted by retention). */
  count: v.number(),
  skipped: v.number(),
  lastSeq: v.union(v.number(), v.null()),
  /** The batch stopped at its size: more may be waiting. */
  full: v.boolean(),
  documentsRead: v.number(),
};

export const vBatch = v.object({
  sinkId: v.id("sinks"),
  name: v.string(),
  target: vSinkTarget,
  format: v.string(),
  timeoutMs: v.number(),
  credentials: v.optional(v.string()),
  ...rangeFields,
  parts: v.array(vBatchPart),
  checkpoint: v.optional(v.object({ size: v.number(), time: v.number(), root: v.string(), note: v.string(), key: v.string() })),
});
export type Batch = Infer<typeof vBatch>;

/** What a step reports back to `record` when its batch arrived: the range, what it held, what sending it took. */
export const vOutcome = v.object({
  ...rangeFields,
  requests: v.number(),
  bytes: v.number(),
  checkpoint: v.optional(v.object({ size: v.number(), time: v.number() })),
});
export type Outcome = Infer<typeof vOutcome>;

/** A delivered batch's outcome: its range and contents, and the requests and bytes it took. */
export function outcomeOf(batch: Batch, sent: { requests: number; bytes: number }): Outcome {
  return {
    from: batch.from,
    to: batch.to,
    count: batch.count,
    skipped: batch.skipped,
    lastSeq: batch.lastSeq,
    full: batch.full,
    requests: sent.requests,
    bytes: sent.bytes,
    documentsRead: batch.documentsRead,
    ...(batch.checkpoint !== undefined ? { checkpoint: { size: batch.checkpoint.size, time: batch.checkpoint.time } } : {}),
  };
}

export const vClaim = v.union(v.object({ stale: v.literal(true) }), v.object({ stale: v.literal(false), batch: v.union(vBatch, v.null()) }));
export type Claim = Infer<typeof vClaim>;

/** The events of a batch and their lines (or records, for the `log.audit` mirror). */
export type BatchEvents = {
  from: number;
  to: number;
  docs: EventDoc[];
  records: Record<string, unknown>[];
  lines: string[];
  full: boolean;
  /** The ledger entry was created by this claim. */
  fresh: boolean;
};

/** A line of the sink's format: the sealed event (verifiable, as an export's line) or its OCSF record. */
async function formatEvent(reader: TileReader, doc: EventDoc, format: SinkFormat): Promise<Record<string, unknown>> {
  if (format === "ocsf") return toOcsf(doc as unknown as OcsfSource);
  if (format === "otlp") return otlpLogRecord(doc as unknown as OtlpEvent);
  const [leaf] = await reader.leaves(doc.seq!, 1);
  return eventRecord(doc as unknown as Record<string, unknown>, toB64(leaf));
}

/**
 * The events from the sink's cursor: the range of its ledger entry when
 * one starts there (a retry or a backfill), else up to its batch size (and
 * byte budget) of what is sealed, recorded as a new entry. Null when
 * nothing is sealed past the cursor.
 */
export async function batchEvents(ctx: MutationCtx, sink: Sink): Promise<BatchEvents | null> {
  const from = sink.nextSeq;
  const entry = await ctx.db
    .query("sinkBatches")
    .withIndex("by_sink_from", (q) => q.eq("sink", sink._id).eq("from", from))
    .first();
  const mirror = sink.target.kind === "convexAudit";
  const limit = Math.max(1, Math.floor(sink.batchEvents * (sink.scale ?? 1)));
  const byteLimit = (mirror ? DELIVERY_LIMITS.mirrorBatchBytes : DELIVERY_LIMITS.maxBatchBytes) * (sink.scale ?? 1);
  const range = ctx.db.query("events").withIndex("by_seq", (q) => (entry === null ? q.gte("seq", from) : q.gte("seq", from).lt("seq", entry.to)));
  const reader = new TileReader(ctx);
  const out: BatchEvents = { from, to: entry?.to ?? from, docs: [], records: [], lines: [], full: false, fresh: entry === null };
  let bytes = 0;
  for await (const doc of range) {
    const record = await formatEvent(reader, doc, sink.format);
    const line = JSON.stringify(record) + "\n";
    out.docs.push(doc);
    out.records.push(record);
    out.lines.push(line);
    bytes += utf8Length(line);
    // At its size the batch stops without reading the next event (a look-ahead would cost one read per batch,
    // 1% of a webhook's 100): `full` then means more may be waiting, and a step that finds none rests.
    if (entry === null && (out.docs.length >= limit || bytes >= byteLimit)) {
      out.full = true;
      break;
    }
  }
  if (entry === null) {
    if (out.docs.length === 0) return null;
    out.to = out.docs[out.docs.length - 1].seq! + 1;
    await ctx.db.insert("sinkBatches", { sink: sink._id, from, to: out.to, createdAt: Date.now() });
  }
  return out;
}

/** The newest checkpoint a batch up to `to` covers, when it is newer than the one the sink wrote last. */
async function newerCheckpoint(ctx: QueryCtx, sink: Sink, to: number) {
  const cp = await ctx.db
    .query("checkpoints")
    .withIndex("by_size", (q) => q.lte("size", to))
    .order("desc")
    .first();
  if (cp === null || cp.size === 0) return undefined;
  const last = sink.checkpoint;
  if (last !== undefined && (cp.size < last.size || (cp.size === last.size && cp.time <= last.time))) return undefined;
  return cp;
}

/** S3: one object per partition (day, and tenant when configured), in the order the batch meets them. */
function s3Parts(sink: Sink, ev: BatchEvents): Batch["parts"] {
  if (sink.target.kind !== "s3") return [];
  const byTenant = sink.target.partitionByTenant === true;
  const prefix = sink.target.prefix ?? "";
  const groups = new Map<string, { day: string; tenant: string | null; lines: string[] }>();
  ev.docs.forEach((doc, i) => {
    const day = utcDay(doc.timestamp);
    const tenant = byTenant ? (doc.tenantId ?? NO_TENANT_PARTITION) : null;
    const k = JSON.stringify([day, tenant]);
    let g = groups.get(k);
    if (g === undefined) groups.set(k, (g = { day, tenant, lines: [] }));
    g.lines.push(ev.lines[i]);
  });
  return [...groups.values()].map((g) => ({
    key: objectKey(prefix, g.day, g.tenant, ev.from, ev.to, sink.format),
    body: g.lines.join(""),
    lines: g.lines.length,
  }));
}

/** The batch id a webhook receiver sees (`webhook-id`): the sink and the range, the same on every retry. */
export const webhookId = (name: string, from: number, to: number) => `${name}:${from}-${to - 1}`;

/** The parts of an HTTP sink's batch, and for S3 the checkpoint to write beside them. Null when there is nothing to send. */
export async function claimBatch(ctx: MutationCtx, sink: Sink): Promise<Batch | null> {
  const ev = await batchEvents(ctx, sink);
  const t = sink.target;
  const checkpoint = t.kind === "s3" ? await newerCheckpoint(ctx, sink, ev?.to ?? sink.nextSeq) : undefined;
  if (ev === null && checkpoint === undefined) return null;
  const from = ev?.from ?? sink.nextSeq;
  const to = ev?.to ?? sink.nextSeq;
  const docs = ev?.docs ?? [];
  let parts: Batch["parts"] = [];
  if (ev !== null && docs.length > 0) {
    if (t.kind === "s3") parts = s3Parts(sink, ev);
    else if (t.kind === "webhook") parts = [{ key: webhookId(sink.name, from, to), body: ev.lines.join(""), lines: docs.length }];
    else if (t.kind === "otlp") parts = [{ key: "", body: otlpRequest(ev.records, t.serviceName ?? "convex-audit-log"), lines: docs.length }];
  }
  const m = await ctx.meta.getTransactionMetrics();
  return {
    sinkId: sink._id,
    name: sink.name,
    target: sink.target,
    format: sink.format,
    timeoutMs: sink.timeoutMs,
    ...(sink.credentials !== undefined ? { credentials: sink.credentials } : {}),
    from,
    to,
    count: docs.length,
    skipped: to - from - new Set(docs.map((d) => d.seq)).size,
    lastSeq: docs.length > 0 ? docs[docs.length - 1].seq! : null,
    full: ev?.full ?? false,
    parts,
    ...(checkpoint !== undefined && t.kind === "s3"
      ? { checkpoint: { size: checkpoint.size, time: checkpoint.time, root: checkpoint.root, note: checkpoint.note, key: checkpointKey(t.prefix ?? "", checkpoint.size) } }
      : {}),
    documentsRead: m.documentsRead.used,
  };
}

/** Whether the cron should start a step: events sealed past the cursor, or (S3) a newer checkpoint to write. */
export async function hasWork(ctx: QueryCtx, sink: Sink, sealedSize: number, latest: Doc<"checkpoints"> | null): Promise<boolean> {
  if (sealedSize > sink.nextSeq) return true;
  if (sink.target.kind !== "s3" || latest === null || latest.size > sink.nextSeq) return false;
  const last = sink.checkpoint;
  return last === undefined || latest.size > last.size || (latest.size === last.size && latest.time > last.time);
}
