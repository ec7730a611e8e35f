/**
 * Configuring sinks, and the operator's controls: configure (add or
 * change), pause, resume, backfill from a sequence number, remove. Every
 * argument is checked before anything is read or written (a typed
 * INVALID_ARGUMENT or INVALID_CONFIG, nothing written), and every change is
 * itself an audit event, with who made it.
 *
 * A sink's configuration holds no secret, and refuses what looks like one:
 * a URL with a user or password in it, a query parameter named like a key
 * or token, a `credentials` that is not a function handle. Credentials
 * reach the step from the app's own function (`credentials`), which reads
 * them from the app's environment each time a batch is sent.
 */
import * as server from "convex/server";
import { internal } from "./_generated/api.js";
import type { Id } from "./_generated/dataModel.js";
import type { MutationCtx } from "./_generated/server.js";
import { AuditActions } from "../shared/catalog.js";
import { checkKey, intInRange, isOneOf, oneOf } from "../shared/checks.js";
import {
  DELIVERY_LIMITS,
  RUNNING_SINK_STATUSES,
  SINK_KINDS,
  type RetryPolicy,
  type SinkFormat,
  type SinkTarget,
} from "../shared/delivery.js";
import { auditError } from "../shared/errors.js";
import { isSecretKey } from "../shared/secrets.js";
import type { EventInput, LogOptions } from "../shared/validators.js";
import { ensureCursorKey } from "./cursor.js";
import type { Sink } from "./deliveryBatch.js";
import { logEvents } from "./log.js";
import { stateDoc } from "./sealing.js";

export type SinkArgs = {
  name: string;
  target: SinkTarget;
  format?: string;
  batchEvents?: number;
  retry?: { baseMs?: number; maxMs?: number; maxAttempts?: number };
  timeoutMs?: number;
  credentials?: string;
  fromSeq?: number;
};
export type By = { by?: string; options?: LogOptions };

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function checkSinkName(name: unknown, field = "name"): string {
  const n = checkKey(name, field, DELIVERY_LIMITS.maxNameLength);
  if (!NAME.test(n)) throw auditError("INVALID_ARGUMENT", `${field} may hold letters, digits, '_', '.' and '-', starting with a letter or digit`, field);
  return n;
}

/** An http(s) URL holding no credential: none in its user info, none in a query parameter named like one. */
function checkUrl(value: unknown, field: string): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 2048) throw auditError("INVALID_CONFIG", `${field} must be a URL of at most 2,048 characters`, field);
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    throw auditError("INVALID_CONFIG", `${field} is not a URL`, field);
  }
  if (u.protocol !== "https:" && u.protocol !== "http:") throw auditError("INVALID_CONFIG", `${field} must be an http or https URL`, field);
  if (u.username !== "" || u.password !== "") {
    throw auditError("INVALID_CONFIG", `${field} holds a user or password: credentials never go in a sink's configuration, they come from your credentials function`, field);
  }
  for (const key of u.searchParams.keys()) {
    if (isSecretKey(key)) throw auditError("INVALID_CONFIG", `${field} has a query parameter named like a secret (${key.slice(0, 32)}): pass it as a header from your credentials function`, field);
  }
  return value;
}

function checkTarget(t: SinkTarget): SinkTarget {
  switch (t.kind) {
    case "s3": {
      const endpoint = checkUrl(t.endpoint, "target.endpoint").replace(/\/+$/, "");
      if (typeof t.bucket !== "string" || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(t.bucket)) {
        throw auditError("INVALID_CONFIG", "target.bucket must be an S3 bucket name (3–63 lowercase letters, digits, '.' and '-')", "target.bucket");
      }
      const region = t.region ?? "us-east-1";
      if (!/^[a-z0-9-]{1,32}$/.test(region)) throw auditError("INVALID_CONFIG", "target.region must be a region name such as us-east-1 (or auto)", "target.region");
      let prefix = t.prefix ?? "";
      if (prefix.length > 256 || prefix.startsWith("/") || prefix.includes("//") || !/^[\x21-\x7e]*$/.test(prefix)) {
        throw auditError("INVALID_CONFIG", "target.prefix must be printable ASCII without spaces, at most 256 characters, not starting with '/'", "target.prefix");
      }
      if (prefix !== "" && !prefix.endsWith("/")) prefix += "/";
      return {
        kind: "s3",
        endpoint,
        bucket: t.bucket,
        region,
        prefix,
        partitionByTenant: t.partitionByTenant === true,
        addressing: t.addressing === "virtual" ? "virtual" : "path",
        checkEtag: t.checkEtag !== false,
      };
    }
    case "webhook":
      return { kind: "webhook", url: checkUrl(t.url, "target.url"), requireAck: t.requireAck === true };
    case "otlp": {
      if (t.serviceName !== undefined) checkKey(t.serviceName, "target.serviceName", 128);
      return { kind: "otlp", url: checkUrl(t.url, "target.url"), serviceName: t.serviceName ?? "convex-audit-log" };
    }
    case "convexAudit":
      checkMirror();
      return { kind: "convexAudit" };
    default:
      throw auditError("INVALID_CONFIG", `target.kind must be one of ${Object.keys(SINK_KINDS).join(", ")}`, "target.kind");
  }
}

/** Convex's `log.audit`, where this runtime has it. */
export function logAudit(): ((body: unknown) => unknown) | null {
  const log = (server as { log?: { audit?: (body: unknown) => unknown } }).log;
  return typeof log?.audit === "function" ? log.audit.bind(log) : null;
}

/**
 * The mirror is refused at configuration on a runtime without `log.audit`
 * (convex before 1.48, or a backend without the syscall): a clear error
 * once, not a failure at every event. The probe is itself an audit log
 * entry, which on Enterprise records that the mirror was configured.
 */
function checkMirror(): void {
  const audit = logAudit();
  const unavailable = (why: string) =>
    auditError("INVALID_CONFIG", `the log.audit mirror needs Convex's log.audit (Convex Enterprise audit logging): ${why}`, "target.kind");
  if (audit === null) throw unavailable("this runtime's convex/server has no log.audit");
  try {
    audit({ action: AuditActions.AUDIT_SINK_CONFIGURED, fields: { sink: "convexAudit", probe: true } });
  } catch (e) {
    throw unavailable(`it failed (${e instanceof Error ? e.message.slice(0, 200) : String(e)})`);
  }
}

function checkRetry(r: SinkArgs["retry"], prior: RetryPolicy | undefined): RetryPolicy {
  const d = prior ?? DELIVERY_LIMITS.retry;
  const baseMs = intInRange(r?.baseMs ?? d.baseMs, 1, 3_600_000, "retry.baseMs");
  const maxMs = intInRange(r?.maxMs ?? Math.max(d.maxMs, baseMs), baseMs, 86_400_000, "retry.maxMs");
  const maxAttempts = intInRange(r?.maxAttempts ?? d.maxAttempts, 1, 1000, "retry.maxAttempts");
  return { baseMs, maxMs, maxAttempts };
}

export type CheckedSink = {
  name: string;
  target: SinkTarget;
  format: SinkFormat;
  batchEvents: number;
  retry: RetryPolicy;
  timeoutMs: number;
  credentials?: string;
};

/** Every field checked, defaults filled; throws before anything is written. */
export function checkSinkArgs(args: SinkArgs, prior?: Sink): CheckedSink {
  const name = checkSinkName(args.name);
  if (typeof args.target !== "object" || args.target === null) throw auditError("INVALID_CONFIG", "target is required", "target");
  const kindName = oneOf(args.target.kind, Object.keys(SINK_KINDS) as (keyof typeof SINK_KINDS)[], "target.kind", "INVALID_CONFIG");
  const kind = SINK_KINDS[kindName];
  if (prior !== undefined && prior.target.kind !== kindName) {
    throw auditError("INVALID_CONFIG", `sink ${name} is a ${prior.target.kind} sink; remove it to make a ${kindName} sink of that name`, "target.kind");
  }
  const target = checkTarget(args.target);
  const format = oneOf(args.format ?? prior?.format ?? kind.formats[0], kind.formats as readonly SinkFormat[], "format", "INVALID_CONFIG");
  const batchEvents = intInRange(args.batchEvents ?? prior?.batchEvents ?? kind.batchEvents, 1, kind.maxBatchEvents, "batchEvents");
  const timeoutMs = intInRange(args.timeoutMs ?? prior?.timeoutMs ?? DELIVERY_LIMITS.defaultTimeoutMs, 100, DELIVERY_LIMITS.maxTimeoutMs, "timeoutMs");
  const retry = checkRetry(args.retry, prior?.retry);
  const credentials = args.credentials ?? prior?.credentials;
  if (credentials !== undefined) {
    if (typeof credentials !== "string" || !/^function:\/\/[^\s]{1,512}$/.test(credentials)) {
      // The value is not echoed: it may be the very secret that must not be stored.
      throw auditError(
        "INVALID_CONFIG",
        "credentials must be a function handle (createFunctionHandle of your query that returns the credentials), never the credentials themselves",
        "credentials",
      );
    }
    if (kind.credentials === "none") throw auditError("INVALID_CONFIG", `a ${kindName} sink takes no credentials`, "credentials");
  } else if (kind.credentials === "required") {
    throw auditError("INVALID_CONFIG", `a ${kindName} sink needs credentials: a function handle of your query that returns them from your environment`, "credentials");
  }
  return { name, target, format, batchEvents, retry, timeoutMs, ...(credentials !== undefined ? { credentials } : {}) };
}

export async function sinkByName(ctx: MutationCtx, name: string): Promise<Sink | null> {
  return await ctx.db
    .query("sinks")
    .withIndex("by_name", (q) => q.eq("name", name))
    .unique();
}

async function requireSink(ctx: MutationCtx, name: string): Promise<Sink> {
  const sink = await sinkByName(ctx, checkSinkName(name));
  if (sink === null) throw auditError("NOT_FOUND", `no sink named ${JSON.stringify(name)}`, "name");
  return sink;
}

/** The function a sink's steps run: an action that sends over HTTP, or the mirror's mutation. */
export async function scheduleStep(ctx: MutationCtx, sink: Pick<Sink, "_id" | "target">, seq: number, delayMs = 0): Promise<Id<"_scheduled_functions">> {
  return SINK_KINDS[sink.target.kind].step === "mutation"
    ? await ctx.scheduler.runAfter(delayMs, internal.sinks.mirrorStep, { sinkId: sink._id, seq })
    : await ctx.scheduler.runAfter(delayMs, internal.sinks.deliverStep, { sinkId: sink._id, seq });
}

async function cancelJob(ctx: MutationCtx, sink: Sink) {
  if (sink.job === undefined) return;
  const state = (await ctx.db.system.get(sink.job))?.state.kind;
  if (state === "pending") await ctx.scheduler.cancel(sink.job);
}

async function logSinkEvent(ctx: MutationCtx, sink: Pick<Sink, "name" | "target">, event: Omit<EventInput, "actorId" | "actor" | "resourceType" | "resourceId">, by: By) {
  const actor: Pick<EventInput, "actorId" | "actor"> = by.by === undefined ? { actor: { type: "system" } } : { actorId: by.by, actor: { type: "user" } };
  await logEvents(ctx, [{ ...event, ...actor, resourceType: "auditSink", resourceId: sink.name }], by.options ?? {}, () => "");
}

/** Where the sink sends, for the record: the target, which holds no secret. */
const described = (target: SinkTarget) => ({ ...target });

/** Adds a sink, or changes one (its cursor kept; a failed sink starts again). Returns whether it was new. */
export async function configureSink(ctx: MutationCtx, args: SinkArgs & By): Promise<{ created: boolean }> {
  const prior = await sinkByName(ctx, checkSinkName(args.name));
  const c = checkSinkArgs(args, prior ?? undefined);
  if (args.by !== undefined) checkKey(args.by, "by");
  const sealed = (await stateDoc(ctx))?.size ?? 0;
  if (args.fromSeq !== undefined) intInRange(args.fromSeq, 0, sealed, "fromSeq", "a sequence number of the log (its sealed size at most)");
  if (prior === null) {
    const count = (await ctx.db.query("sinks").take(DELIVERY_LIMITS.maxSinks)).length;
    if (count >= DELIVERY_LIMITS.maxSinks) throw auditError("INVALID_ARGUMENT", `at most ${DELIVERY_LIMITS.maxSinks} sinks; remove one first`, "name");
  }
  await ensureCursorKey(ctx);
  const now = Date.now();
  const by: By = { by: args.by, options: args.options };
  if (prior === null) {
    const id = await ctx.db.insert("sinks", {
      ...c,
      status: "active",
      seq: 0,
      updatedAt: now,
      nextSeq: args.fromSeq ?? 0,
      attempts: 0,
      totals: { delivered: 0, skipped: 0, batches: 0, requests: 0, failures: 0, bytesSent: 0, documentsRead: 0 },
      createdAt: now,
    });
    await ctx.db.patch(id, { job: await scheduleStep(ctx, { _id: id, target: c.target }, 0) });
  } else {
    // A change is how an operator mends a failed sink (new credentials, a bucket that now exists): it starts again.
    const restart = prior.status === "failed";
    await ctx.db.replace(prior._id, {
      ...Object.fromEntries(Object.entries(prior).filter(([k]) => !k.startsWith("_") && k !== "credentials")),
      ...c,
      ...(restart ? { status: "active", attempts: 0, seq: prior.seq + 1, nextAttemptAt: undefined } : {}),
      ...(args.fromSeq !== undefined ? { nextSeq: args.fromSeq } : {}),
      updatedAt: now,
    } as Omit<Sink, "_id" | "_creationTime">);
    if (restart) {
      await cancelJob(ctx, prior);
      await ctx.db.patch(prior._id, { job: await scheduleStep(ctx, prior, prior.seq + 1) });
    }
  }
  await logSinkEvent(
    ctx,
    c,
    {
      action: AuditActions.AUDIT_SINK_CONFIGURED,
      summary: `Audit log sink ${c.name} ${prior === null ? "added" : "changed"} (${c.target.kind}, ${c.format})`,
      metadata: { sink: c.name, target: described(c.target), format: c.format, batchEvents: c.batchEvents, retry: c.retry, credentials: c.credentials !== undefined, fromSeq: args.fromSeq ?? null },
    },
    by,
  );
  return { created: prior === null };
}

/** Stops the loop after the step in flight (which records nothing once it sees the pause). False if already paused. */
export async function pauseSink(ctx: MutationCtx, args: { name: string } & By): Promise<boolean> {
  const sink = await requireSink(ctx, args.name);
  if (args.by !== undefined) checkKey(args.by, "by");
  if (sink.status === "paused") return false;
  await cancelJob(ctx, sink);
  await ctx.db.patch(sink._id, { status: "paused", job: undefined, seq: sink.seq + 1, nextAttemptAt: undefined, updatedAt: Date.now() });
  await logSinkEvent(ctx, sink, { action: AuditActions.AUDIT_SINK_PAUSED, summary: `Audit log sink ${sink.name} paused at seq ${sink.nextSeq}`, metadata: { sink: sink.name, nextSeq: sink.nextSeq } }, args);
  return true;
}

/** Starts a paused or failed sink again, from its cursor, attempts reset. False if it was running. */
export async function resumeSink(ctx: MutationCtx, args: { name: string } & By): Promise<boolean> {
  const sink = await requireSink(ctx, args.name);
  if (args.by !== undefined) checkKey(args.by, "by");
  if (isOneOf(sink.status, RUNNING_SINK_STATUSES)) return false;
  await cancelJob(ctx, sink);
  const seq = sink.seq + 1;
  await ctx.db.patch(sink._id, { status: "active", attempts: 0, seq, scale: 1, nextAttemptAt: undefined, updatedAt: Date.now(), job: await scheduleStep(ctx, sink, seq) });
  await logSinkEvent(ctx, sink, { action: AuditActions.AUDIT_SINK_RESUMED, summary: `Audit log sink ${sink.name} resumed at seq ${sink.nextSeq}`, metadata: { sink: sink.name, nextSeq: sink.nextSeq, was: sink.status } }, args);
  return true;
}

/**
 * Sends everything again from `fromSeq` (at most the cursor: a backfill goes
 * back, it never skips). It starts at the beginning of the batch holding
 * `fromSeq`, so the objects and webhook ids are the same as the first
 * time: an S3 object is overwritten, not doubled. A paused sink stays
 * paused, with its cursor moved back.
 */
export async function backfillSink(ctx: MutationCtx, args: { name: string; fromSeq: number } & By): Promise<{ nextSeq: number }> {
  const sink = await requireSink(ctx, args.name);
  intInRange(args.fromSeq, 0, sink.nextSeq, "fromSeq", "a sequence number no later than the sink's cursor");
  if (args.by !== undefined) checkKey(args.by, "by");
  const holding = await ctx.db
    .query("sinkBatches")
    .withIndex("by_sink_from", (q) => q.eq("sink", sink._id).lte("from", args.fromSeq))
    .order("desc")
    .first();
  const nextSeq = holding !== null && holding.to > args.fromSeq ? holding.from : args.fromSeq;
  await cancelJob(ctx, sink);
  const running = isOneOf(sink.status, RUNNING_SINK_STATUSES) || sink.status === "failed";
  const seq = sink.seq + 1;
  await ctx.db.patch(sink._id, {
    nextSeq,
    seq,
    attempts: 0,
    nextAttemptAt: undefined,
    updatedAt: Date.now(),
    ...(running ? { status: "active" as const, job: await scheduleStep(ctx, sink, seq) } : { job: undefined }),
  });
  await logSinkEvent(
    ctx,
    sink,
    { action: AuditActions.AUDIT_SINK_BACKFILLED, summary: `Audit log sink ${sink.name} sends again from seq ${nextSeq}`, metadata: { sink: sink.name, fromSeq: args.fromSeq, nextSeq, was: sink.nextSeq } },
    args,
  );
  return { nextSeq };
}

/** Deletes the sink and its ledger (the rest of a long ledger in follow-up calls). A step in flight records nothing. */
export async function removeSink(ctx: MutationCtx, args: { name: string } & By): Promise<boolean> {
  const sink = await sinkByName(ctx, checkSinkName(args.name));
  if (args.by !== undefined) checkKey(args.by, "by");
  if (sink === null) return false;
  await cancelJob(ctx, sink);
  await ctx.db.delete(sink._id);
  await purgeLedger(ctx, { sink: sink._id });
  await logSinkEvent(
    ctx,
    sink,
    { action: AuditActions.AUDIT_SINK_REMOVED, summary: `Audit log sink ${sink.name} removed at seq ${sink.nextSeq}`, metadata: { sink: sink.name, target: described(sink.target), nextSeq: sink.nextSeq } },
    args,
  );
  return true;
}

export async function purgeLedger(ctx: MutationCtx, { sink }: { sink: Id<"sinks"> }): Promise<null> {
  const entries = await ctx.db
    .query("sinkBatches")
    .withIndex("by_sink_from", (q) => q.eq("sink", sink))
    .take(DELIVERY_LIMITS.purgeBatch + 1);
  for (const e of entries.slice(0, DELIVERY_LIMITS.purgeBatch)) await ctx.db.delete(e._id);
  if (entries.length > DELIVERY_LIMITS.purgeBatch) await ctx.scheduler.runAfter(0, internal.sinks.purgeLedger, { sink });
  return null;
}
