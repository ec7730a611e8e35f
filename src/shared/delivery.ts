/**
 * Delivery sinks: where sealed events go after they are logged (an S3
 * bucket, a webhook, an OpenTelemetry collector, Convex's own `log.audit`).
 * The kinds, their validators and limits are declared here once; the
 * component's loop (component/delivery*.ts) and the client read them.
 *
 * Nothing secret is in any of these: credentials reach the delivery step
 * through a function of the app (`credentials`, a function handle) that
 * reads them from the app's environment when a batch is sent.
 */
import { v, type Infer } from "convex/values";
import { literals, type Category, type Severity } from "./validators.js";

/**
 * One row per kind: how its steps run (an action that sends over HTTP, or a
 * mutation for `log.audit`, which actions cannot call), its batch sizes, and
 * whether it needs credentials from the app.
 */
export const SINK_KINDS = {
  s3: { step: "action", batchEvents: 1000, maxBatchEvents: 5000, credentials: "required", formats: ["event", "ocsf"] },
  webhook: { step: "action", batchEvents: 100, maxBatchEvents: 2000, credentials: "required", formats: ["event", "ocsf"] },
  otlp: { step: "action", batchEvents: 200, maxBatchEvents: 2000, credentials: "optional", formats: ["otlp"] },
  convexAudit: { step: "mutation", batchEvents: 100, maxBatchEvents: 400, credentials: "none", formats: ["event"] },
} as const;
export type SinkKind = keyof typeof SINK_KINDS;
export const SINK_KIND_NAMES = Object.keys(SINK_KINDS) as SinkKind[];

export const SINK_FORMATS = ["event", "ocsf", "otlp"] as const;
export type SinkFormat = (typeof SINK_FORMATS)[number];

export const SINK_STATUSES = ["active", "retrying", "paused", "failed"] as const;
export type SinkStatusName = (typeof SINK_STATUSES)[number];
/** The statuses whose loop runs: a step may be scheduled. */
export const RUNNING_SINK_STATUSES = ["active", "retrying"] as const;

export const DELIVERY_LIMITS = {
  maxSinks: 20,
  maxNameLength: 64,
  /** Text one batch may hold (its lines or its body before gzip): well inside what a function may return. */
  maxBatchBytes: 4 * 1024 * 1024,
  /** `log.audit` takes at most 4 MB per function, 1 MB per log (seed 001). */
  mirrorBatchBytes: 3 * 1024 * 1024,
  mirrorEventBytes: 1_000_000,
  defaultTimeoutMs: 30_000,
  maxTimeoutMs: 300_000,
  retry: { baseMs: 1000, maxMs: 15 * 60_000, maxAttempts: 20 },
  /** Batch ledger entries a removal deletes per transaction (the rest in scheduled follow-ups). */
  purgeBatch: 2000,
  maxListPage: 100,
} as const;

export const vS3Target = v.object({
  kind: v.literal("s3"),
  /** `https://s3.us-east-1.amazonaws.com`, `https://<account>.r2.cloudflarestorage.com`, `http://127.0.0.1:9000` … */
  endpoint: v.string(),
  bucket: v.string(),
  region: v.optional(v.string()),
  /** A key prefix such as `audit/` (the layout under it is fixed). */
  prefix: v.optional(v.string()),
  /** Also partition by tenant: `dt=YYYY-MM-DD/tenant=<id>/`. */
  partitionByTenant: v.optional(v.boolean()),
  /** `path` (`endpoint/bucket/key`, the default: MinIO, R2, GCS) or `virtual` (`bucket.endpoint/key`). */
  addressing: v.optional(v.union(v.literal("path"), v.literal("virtual"))),
  /** Compare the ETag S3 answers with the MD5 of what was sent (off for SSE-KMS buckets, whose ETags are not MD5s). Default true. */
  checkEtag: v.optional(v.boolean()),
});
export const vWebhookTarget = v.object({
  kind: v.literal("webhook"),
  url: v.string(),
  /** Count a 2xx as delivered only with an acknowledgement of exactly what was sent (`webhookAck`). Default false. */
  requireAck: v.optional(v.boolean()),
});
export const vOtlpTarget = v.object({
  kind: v.literal("otlp"),
  /** The collector's logs endpoint, e.g. `https://otel.example.com/v1/logs`. */
  url: v.string(),
  serviceName: v.optional(v.string()),
});
export const vConvexAuditTarget = v.object({ kind: v.literal("convexAudit") });
export const vSinkTarget = v.union(vS3Target, vWebhookTarget, vOtlpTarget, vConvexAuditTarget);
export type SinkTarget = Infer<typeof vSinkTarget>;

export const vRetryPolicy = v.object({ baseMs: v.number(), maxMs: v.number(), maxAttempts: v.number() });
export type RetryPolicy = Infer<typeof vRetryPolicy>;

/** What an app passes to configure a sink (the component checks every field). */
export const vSinkArgs = {
  name: v.string(),
  target: vSinkTarget,
  format: v.optional(v.string()),
  batchEvents: v.optional(v.number()),
  retry: v.optional(v.object({ baseMs: v.optional(v.number()), maxMs: v.optional(v.number()), maxAttempts: v.optional(v.number()) })),
  timeoutMs: v.optional(v.number()),
  /** A function handle (`createFunctionHandle`) of the app's query that returns this sink's credentials. Not a secret. */
  credentials: v.optional(v.string()),
  /** Deliver from this sequence number rather than from the first event (0). */
  fromSeq: v.optional(v.number()),
};

export const vSinkError = v.object({
  code: v.string(),
  message: v.string(),
  at: v.number(),
  httpStatus: v.optional(v.number()),
  retryable: v.boolean(),
});
export type SinkError = Infer<typeof vSinkError>;

export const vSinkTotals = v.object({
  /** Events delivered (counted again when a backfill sends them again). */
  delivered: v.number(),
  /** Leaves in delivered ranges whose events were gone (deleted by retention before delivery). */
  skipped: v.number(),
  batches: v.number(),
  /** HTTP requests (or `log.audit` calls) that were answered as delivered, and that failed. */
  requests: v.number(),
  failures: v.number(),
  /** Bytes sent in bodies that were delivered (compressed, for S3). */
  bytesSent: v.number(),
  /** Documents the batches read, measured by each with `getTransactionMetrics`. */
  documentsRead: v.number(),
});
export type SinkTotals = Infer<typeof vSinkTotals>;

/** The `sinks` table. Written by configuration calls and by the sink's own loop, never on the log path. */
export const sinkFields = {
  name: v.string(),
  target: vSinkTarget,
  format: literals(SINK_FORMATS),
  batchEvents: v.number(),
  retry: vRetryPolicy,
  timeoutMs: v.number(),
  credentials: v.optional(v.string()),
  status: literals(SINK_STATUSES),
  /** The loop's fields (component/loop.ts). */
  seq: v.number(),
  updatedAt: v.number(),
  job: v.optional(v.id("_scheduled_functions")),
  scale: v.optional(v.number()),
  /** The cursor: the first sequence number not delivered yet. */
  nextSeq: v.number(),
  /** Failed attempts in a row (0 after a delivery). */
  attempts: v.number(),
  lastDeliveredSeq: v.optional(v.number()),
  lastDeliveredAt: v.optional(v.number()),
  lastError: v.optional(vSinkError),
  nextAttemptAt: v.optional(v.number()),
  /** The newest checkpoint written beside the objects (S3). */
  checkpoint: v.optional(v.object({ size: v.number(), time: v.number() })),
  totals: vSinkTotals,
  createdAt: v.number(),
};

/** A sink as callers see it: its configuration and status, with its lag. No credentials (there are none to show). */
export const vSinkStatus = v.object({
  name: v.string(),
  target: vSinkTarget,
  format: literals(SINK_FORMATS),
  batchEvents: v.number(),
  retry: vRetryPolicy,
  status: literals(SINK_STATUSES),
  nextSeq: v.number(),
  lastDeliveredSeq: v.union(v.number(), v.null()),
  lastDeliveredAt: v.union(v.number(), v.null()),
  lastError: v.union(vSinkError, v.null()),
  attempts: v.number(),
  nextAttemptAt: v.union(v.number(), v.null()),
  checkpoint: v.union(v.object({ size: v.number(), time: v.number() }), v.null()),
  /** Sealed events not delivered yet. */
  lagEvents: v.number(),
  /** Seconds since the oldest undelivered sealed event was logged (0 when there is none). */
  lagSeconds: v.number(),
  /** The transparency log's size: every sealed event, delivered or not. */
  sealedSize: v.number(),
  totals: vSinkTotals,
  hasCredentials: v.boolean(),
  /** A step is scheduled (a retry's after its backoff) or running. */
  stepPending: v.boolean(),
  createdAt: v.number(),
  updatedAt: v.number(),
});
export type SinkStatus = Infer<typeof vSinkStatus>;

/** The credentials an app's function returns, by kind: read in the delivery step, never stored. */
export type S3Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
export type WebhookCredentials = { secret: string };
export type OtlpCredentials = { headers?: Record<string, string> };
export type SinkCredentials = S3Credentials | WebhookCredentials | OtlpCredentials;

/** The Hive partition value of events without a tenant, as Hive and Spark write it. */
export const NO_TENANT_PARTITION = "__HIVE_DEFAULT_PARTITION__";

/** Sequence numbers in object keys: 12 digits, so keys sort in seal order. */
export const seqKey = (n: number) => String(n).padStart(12, "0");

/** The UTC day of a timestamp, `YYYY-MM-DD` (a Hive `dt=` partition). */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Where a range of events of one partition goes: deterministic, so a retried PUT overwrites the same object. */
export function objectKey(prefix: string, day: string, tenant: string | null, from: number, to: number, format: SinkFormat): string {
  const part = tenant === null ? "" : `tenant=${encodeURIComponent(tenant)}/`;
  return `${prefix}events/dt=${day}/${part}${format === "ocsf" ? "ocsf" : "events"}-${seqKey(from)}-${seqKey(to - 1)}.jsonl.gz`;
}

/** A checkpoint beside the objects: by size, so a newer checkpoint at the same size replaces it. */
export function checkpointKey(prefix: string, size: number): string {
  return `${prefix}checkpoints/checkpoint-${seqKey(size)}.json`;
}

/** A stored event as the formats read it (ocsf.ts, otlp.ts): the fields, with `seq` once sealed. */
export type DeliveredEvent = {
  _id: string;
  _creationTime: number;
  action: string;
  category: Category;
  severity: Severity;
  status: "success" | "failure";
  timestamp: number;
  actorId?: string;
  actor?: { type?: string; name?: string; email?: string; role?: string };
  tenantId?: string;
  resourceType?: string;
  resourceId?: string;
  summary?: string;
  errorMessage?: string;
  tags?: string[];
  metadata?: unknown;
  changes?: unknown;
  context?: { ip?: string; userAgent?: string; requestId?: string; sessionId?: string; source?: string };
  seq?: number;
};
