/**
 * The client's types, declared once: the contexts it accepts, and the
 * arguments of the AuditLog class's calls. What the component returns is
 * typed from its validators (src/shared/), not here.
 */
import type { Auth, FunctionReference, GenericActionCtx, GenericDataModel, GenericMutationCtx, Scheduler, UserIdentity } from "convex/server";
import type { AnomalyAlert, EventAlert } from "../shared/alerts.js";
import type { ActionCatalog, BuiltinAction } from "../shared/catalog.js";
import type { ReadScope, SearchFilters } from "../shared/filters.js";
import type { ExportFormat, GroupField, ReportField, ReportFormat } from "../shared/report.js";
import type { ActorType, Category, PiiField, RedactionMode, RequestContext, Severity, Status, TimeWindow } from "../shared/validators.js";

// ---- Contexts: anything that can run the component's functions ----------------
// Typed by the action signatures, the narrowest: query and mutation contexts satisfy them too.

export type RunQueryCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery">;
export type RunMutationCtx = Pick<GenericActionCtx<GenericDataModel>, "runMutation"> & {
  auth?: Auth;
  meta?: Partial<Pick<GenericMutationCtx<GenericDataModel>["meta"], "getRequestMetadata" | "getFunctionMetadata">>;
  /** A mutation's scheduler schedules alerts in its own transaction; an action's, once the event is stored. */
  scheduler?: Scheduler;
};
export type RunActionCtx = Pick<GenericActionCtx<GenericDataModel>, "runAction">;
/** Actions, HTTP actions and scheduled functions log through `ctx.runMutation` like mutations do. */
export type ActionCtx = GenericActionCtx<GenericDataModel>;

// ---- Options ------------------------------------------------------------------

export type AuditLogOptions<C extends ActionCatalog | undefined = undefined> = {
  /** Fields to redact wherever they appear in metadata, snapshots and diffs. */
  piiFields?: PiiField[];
  /**
   * Also redact keys and name/value pairs that look like secrets (password, token, apiKey,
   * cvv2, pinCode …), and secrets found by their shape (JWTs, Bearer tokens, private keys,
   * cloud and payment keys, card numbers) in every stored string, summary and errorMessage
   * included. Default true.
   */
  redactDefaults?: boolean;
  /** How `piiFields` are redacted: mask (default), hash (keyed HMAC) or remove. */
  redactionMode?: RedactionMode;
  /** Secret for `hash` mode, at least 16 characters. Keep it in an environment variable. */
  hashKey?: string;
  /** Largest stored event, after redaction, in bytes. Default 64 KiB; at most 1 MiB. */
  maxEventBytes?: number;
  /** Your app's action catalog, from `defineAuditActions`: makes `action` typed. */
  actions?: C;
  /** Fill the actor from `ctx.auth` when a call names none. Default true. */
  actorFromAuth?: boolean;
  /** Fill ip, userAgent, requestId and source from the request. Default true. */
  captureRequestContext?: boolean;
  /**
   * Copy the signed-in identity's claims into the actor: `true` maps `role`,
   * `email`, `name`, `tokenIdentifier` and an organisation claim (`tenantId`,
   * `orgId`, `org_id`, `organizationId`, `activeOrganizationId`) as the
   * event's tenant; a function maps them your way. Default: id and name only.
   */
  actorFromIdentity?: boolean | ((identity: UserIdentity) => IdentityActor);
  /**
   * Refuse (ACTOR_MISMATCH) an event that names an actor other than the
   * signed-in user, or a tenant other than the identity's: an id in a
   * function's arguments is what a browser sent. Events logged with nobody
   * signed in (scheduled jobs, webhooks, system work) may name any actor.
   */
  strictActor?: boolean;
  /** Refuse (INVALID_ACTION) an action in neither `actions` nor the built-in catalog. */
  strictActions?: boolean;
  /** Refuse (INVALID_ARGUMENT) metadata that is not a flat record of strings, numbers, booleans and nulls (seed 003's rule). */
  flatMetadata?: boolean;
  /**
   * Rules whose matching events schedule your function with the event, in
   * the transaction that logs it: a rolled-back mutation alerts no one.
   */
  alerts?: AlertRule[];
  /** Anomaly rules checked by `checkAnomalyAlerts` (from your cron); each calls its function once per window while it fires. */
  anomalyAlerts?: AnomalyAlertRule[];
  /** The transparency log's signing and erasure settings (README, "Integrity"). */
  integrity?: IntegrityOptions;
};

export type IntegrityOptions = {
  /**
   * The note signer key (`npx convex-audit-log keygen`), from an environment variable:
   * `process.env.AUDIT_LOG_SIGNING_KEY`. Several (an array, or separated by spaces or commas)
   * during a rotation: each signs every checkpoint, the first is the current one.
   */
  signingKey?: string | string[];
  /** The checkpoints' origin line; default the key's name. Fixed by the first checkpoint. */
  origin?: string;
  /**
   * Personal fields besides the actor's and the request's (dotted paths from the event's
   * root, e.g. "metadata.email", "after.phone"): committed with salts in every leaf sealed
   * from then on, and removed by `eraseSubject`.
   */
  personalFields?: string[];
};

/** What `actorFromIdentity` returns: the actor's fields and, optionally, the event's tenant. */
export type IdentityActor = Omit<ActorInput, "type"> & { tenantId?: string };

/** A function an alert may call: a mutation or an action taking `{ alert }`. */
export type AlertHandler<A> = FunctionReference<"mutation" | "action", "public" | "internal", { alert: A }>;

export type AlertRule = {
  /** Passed to the handler as `alert.rule`. */
  name: string;
  /** Every given condition must hold. */
  severity?: Severity[];
  actions?: string[];
  categories?: Category[];
  status?: Status;
  tenantId?: string;
  handler: AlertHandler<EventAlert>;
};

export type AnomalyAlertRule = {
  /** Unique: the window is kept per name. */
  name: string;
  rule: AnomalyRuleInput;
  handler: AlertHandler<AnomalyAlert>;
};

/** With a catalog, `action` must be one of its actions or a built-in one. */
export type ActionOf<C> = C extends ActionCatalog ? (keyof C & string) | BuiltinAction : string;

// ---- Writing ------------------------------------------------------------------

export type ActorInput = {
  id?: string;
  type?: ActorType;
  role?: string;
  name?: string;
  email?: string;
  tokenIdentifier?: string;
};

export type LogEventArgs<A extends string = string> = {
  action: A;
  severity?: Severity;
  category?: Category;
  status?: Status;
  errorMessage?: string;
  /** Who did it. Defaults to the authenticated user; `undefined` means "not given". */
  actorId?: string | null;
  actor?: ActorInput;
  tenantId?: string;
  resourceType?: string;
  resourceId?: string;
  summary?: string;
  metadata?: unknown;
  tags?: string[];
  /** Merged over what the request provides (ip, userAgent, requestId, source). */
  context?: RequestContext;
  /** An event with the same (tenantId, idempotencyKey) as a stored one is not stored again. */
  idempotencyKey?: string;
  /** When it happened, in ms since the epoch. Defaults to now; set it when importing. */
  timestamp?: number;
};

export type LogChangeArgs<A extends string = string> = LogEventArgs<A> & {
  before?: unknown;
  after?: unknown;
  /** Compute the structured diff. Default true. */
  generateDiff?: boolean;
};

// ---- Reading ------------------------------------------------------------------

export type TimeWindowArgs = TimeWindow;
/** With `actorId`, only that actor's events on the resource (across tenants; not with `tenantId`). */
export type ResourceQuery = TimeWindowArgs & { resourceType: string; resourceId: string; tenantId?: string; actorId?: string };
export type ActorQuery = TimeWindowArgs & { actorId: string; tenantId?: string; actions?: string[] };
export type TenantQuery = TimeWindowArgs & { tenantId: string };
/** With `actorId`, only that actor's events (across tenants; not with `tenantId`). */
export type WatchCriticalArgs = TimeWindowArgs & { severity?: Severity[]; limit?: number; tenantId?: string; actorId?: string };

export type StatsArgs = {
  /** Inclusive, ms. Default 0 (all time). */
  fromTimestamp?: number;
  /**
   * Inclusive, ms. Default: now. In a query, `Date.now()` does not make the
   * query re-run as time passes: for a live dashboard pass a rounded window.
   */
  toTimestamp?: number;
  /** Only this tenant's events. */
  tenantId?: string;
  /**
   * One actor's own statistics, counted from their events rather than the
   * rollups: at most 10,000 of them in the window (WINDOW_TOO_LARGE past that).
   */
  actorId?: string;
  /** Entries in topActions and topActors: 1 to 100, default 10. */
  topK?: number;
};

export type AnomalyRuleInput = {
  /** The action to watch, e.g. "user.login.failed". */
  action: string;
  /**
   * Threshold rules fire at `count >= threshold` (per group with `groupBy`).
   * With `baseline`, a minimum count below which the rule never fires (default 1).
   */
  threshold?: number;
  /** The window ending now: 1 to 1,440 minutes (a day). */
  windowMinutes: number;
  /** Apply the threshold to each actor's or each tenant's count instead of the total. */
  groupBy?: "actor" | "tenant";
  /** Only this tenant's events. */
  tenantId?: string;
  /** Compare with the same window over the last `periods` periods: fires at count > mean + k·stddev. */
  baseline?: { periods: number; k?: number; periodMinutes?: number };
  /** Returned with the anomaly. */
  name?: string;
};

export type DetectOptions = {
  /** The end of every window, for reproducible checks. Default: now. */
  now?: number;
  /** Applied to every rule that names no tenant. */
  tenantId?: string;
  /** Contributors listed per anomaly: 1 to 20, default 5. */
  topActors?: number;
};

export type RollupOptions = {
  /** Events per batch, 1 to 10,000. Default 2,000. */
  maxEvents?: number;
  /**
   * Leave events younger than this to the tail (default 15 s): a mutation that
   * is still running may yet commit an event with an older `_creationTime`.
   * 0 is only safe when nothing is logging (tests, imports).
   */
  settleMs?: number;
};

// ---- Reports ------------------------------------------------------------------

/** A time as milliseconds since the epoch, or a Date. */
export type DateLike = number | Date;

/** Every search filter except the window (startDate/endDate) and the free-text `query`. */
export type ReportFilters = Omit<SearchFilters, "fromTimestamp" | "toTimestamp" | "query">;

export type GenerateReportArgs = {
  /** Inclusive, in ms or a Date. */
  startDate: DateLike;
  /** Inclusive, in ms or a Date. */
  endDate: DateLike;
  format: ReportFormat;
  /** Columns in order; default DEFAULT_REPORT_FIELDS. */
  includeFields?: ReportField[];
  groupBy?: GroupField;
  filters?: ReportFilters;
  /** Start the CSV with a UTF-8 byte order mark, for Excel. Default false. */
  bom?: boolean;
  /** Who asked, for the report's own audit event. Default: the authenticated user. */
  requestedBy?: string;
  /**
   * Confine the report to one actor's or one tenant's events (what
   * `exposeAuditLogApi` passes for its callers): the scope is forced into the
   * filters, a filter outside it is FORBIDDEN, and the report's own event
   * goes to the scope's log.
   */
  scope?: ReadScope;
};

export type ExportReportArgs = Omit<GenerateReportArgs, "format" | "groupBy"> & {
  format: ExportFormat;
  /** Largest file part in bytes; default and maximum 8 MiB. */
  partBytes?: number;
};

export type JobRef = { jobId: string; tenantId?: string };

// ---- Retention ----------------------------------------------------------------

export type CleanupOptions = {
  /**
   * Delete events whose `timestamp` is more than this many days old (an integer,
   * 1 to 36,500). Stored policies still apply on top: a call never deletes an
   * event a policy keeps longer. Leave it out to apply the stored policies only.
   */
  olderThanDays?: number;
  /** Severities never deleted, e.g. `["critical"]`. */
  preserveSeverity?: Severity[];
  /** Documents read per call (1 to 4,000; default 100 for `cleanup`, 1,000 for a background run). */
  batchSize?: number;
};

export type RetentionPolicyArgs =
  | { category: Category; action?: never; days: number | null }
  | { action: string; category?: never; days: number | null }
  | { category?: never; action?: never; days: number | null };

export type HoldTarget =
  | { tenantId: string; actorId?: never; resourceType?: never; resourceId?: never }
  | { actorId: string; tenantId?: never; resourceType?: never; resourceId?: never }
  | { resourceType: string; resourceId: string; tenantId?: never; actorId?: never };
