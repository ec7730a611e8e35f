/**
 * The AuditLog class and the types of its calls. Its own module so that
 * expose.ts can use it without importing the package's barrel (index.ts),
 * which re-exports expose.ts.
 */
import type {
  Auth,
  FunctionReference,
  GenericActionCtx,
  GenericDataModel,
  GenericMutationCtx,
  PaginationOptions,
} from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import { lookupAction, type ActionCatalog, type BuiltinAction } from "../shared/catalog.js";
import { auditError } from "../shared/errors.js";
import { validateEventInput } from "../shared/prepare.js";
import * as retention from "./retention.js";
import * as stats from "./stats.js";
import type { Anomaly, AuditStats } from "../shared/stats.js";
import * as reports from "./reports.js";
import type { Report, ReportExport } from "../shared/report.js";
import { LIMITS, type ActorType, type AuditEvent, type Category, type EventInput, type EventPage, type LogOptions, type PiiField, type RedactionMode, type RequestContext, type Severity, type Status } from "../shared/validators.js";
import { type SearchFilters, type SearchPage } from "../shared/filters.js";

/** Contexts this client accepts: anything that can run the component's functions. */
// Typed by the action signatures, the narrowest: query and mutation contexts satisfy them too.
export type RunMutationCtx = Pick<GenericActionCtx<GenericDataModel>, "runMutation"> & {
  auth?: Auth;
  meta?: Partial<Pick<GenericMutationCtx<GenericDataModel>["meta"], "getRequestMetadata" | "getFunctionMetadata">>;
};
export type RunQueryCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery">;
export type RunActionCtx = Pick<GenericActionCtx<GenericDataModel>, "runAction">;

export type AuditLogOptions<C extends ActionCatalog | undefined = undefined> = {
  /** Fields to redact wherever they appear in metadata, snapshots and diffs. */
  piiFields?: PiiField[];
  /** Also redact keys that look like secrets (password, token, apiKey ...). Default true. */
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
};

/** With a catalog, `action` must be one of its actions or a built-in one. */
export type ActionOf<C> = C extends ActionCatalog ? (keyof C & string) | BuiltinAction : string;

export type ActorInput = {
  id?: string;
  type?: ActorType;
  role?: string;
  name?: string;
  email?: string;
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

export type TimeWindowArgs = { fromTimestamp?: number; toTimestamp?: number };
type Paged<T> = T & { paginationOpts: PaginationOptions };
type Limited<T> = T & { limit?: number };

export type ResourceQuery = TimeWindowArgs & { resourceType: string; resourceId: string; tenantId?: string };
export type ActorQuery = TimeWindowArgs & { actorId: string; tenantId?: string; actions?: string[] };
export type TenantQuery = TimeWindowArgs & { tenantId: string };
export type WatchCriticalArgs = TimeWindowArgs & { severity?: Severity[]; limit?: number; tenantId?: string };

const DEFAULT_LIMIT = 50;

/**
 * The audit log, as your app's functions use it.
 *
 * ```ts
 * export const auditLog = new AuditLog(components.auditLog, { piiFields: ["email"] });
 * ```
 */
export class AuditLog<C extends ActionCatalog | undefined = undefined> {
  private readonly logOptions: LogOptions;

  constructor(
    public readonly component: ComponentApi,
    public readonly options: AuditLogOptions<C> = {},
  ) {
    this.logOptions = {};
    if (options.piiFields !== undefined) this.logOptions.piiFields = options.piiFields;
    if (options.redactDefaults !== undefined) this.logOptions.redactDefaults = options.redactDefaults;
    if (options.redactionMode !== undefined) this.logOptions.redactionMode = options.redactionMode;
    if (options.hashKey !== undefined) this.logOptions.hashKey = options.hashKey;
    if (options.maxEventBytes !== undefined) this.logOptions.maxEventBytes = options.maxEventBytes;
  }

  /** Records one event, in the caller's transaction when called from a mutation. */
  async log(ctx: RunMutationCtx, event: LogEventArgs<ActionOf<C>>): Promise<string> {
    const [input] = await this.toInputs(ctx, [event]);
    return await ctx.runMutation(this.component.log.log, { event: input, options: this.logOptions });
  }

  /** Records a change with its before/after states and a structured diff. */
  async logChange(ctx: RunMutationCtx, event: LogChangeArgs<ActionOf<C>>): Promise<string> {
    return await this.log(ctx, event);
  }

  /** Records up to 500 events atomically: all are stored, or none. */
  async logBulk(ctx: RunMutationCtx, events: LogChangeArgs<ActionOf<C>>[]): Promise<string[]> {
    if (events.length > LIMITS.maxBulk) {
      throw auditError("TOO_MANY_EVENTS", `logBulk takes at most ${LIMITS.maxBulk} events; got ${events.length}`, "events");
    }
    if (events.length === 0) return [];
    const inputs = await this.toInputs(ctx, events);
    return await ctx.runMutation(this.component.log.logBulk, { events: inputs, options: this.logOptions });
  }

  /** One event by id, or null. With `tenantId`, null unless it belongs to that tenant. */
  async get(ctx: RunQueryCtx, args: { id: string; tenantId?: string }): Promise<AuditEvent | null> {
    return await ctx.runQuery(this.component.queries.get, args);
  }

  /** Events about one resource, newest first. With `paginationOpts`, a page with a cursor. */
  queryByResource(ctx: RunQueryCtx, args: Limited<ResourceQuery>): Promise<AuditEvent[]>;
  queryByResource(ctx: RunQueryCtx, args: Paged<ResourceQuery>): Promise<EventPage>;
  async queryByResource(ctx: RunQueryCtx, args: Limited<ResourceQuery> | Paged<ResourceQuery>) {
    return await this.page(ctx, this.component.queries.queryByResource, args);
  }

  /** Events by one actor, newest first, optionally only some actions. */
  queryByActor(ctx: RunQueryCtx, args: Limited<ActorQuery>): Promise<AuditEvent[]>;
  queryByActor(ctx: RunQueryCtx, args: Paged<ActorQuery>): Promise<EventPage>;
  async queryByActor(ctx: RunQueryCtx, args: Limited<ActorQuery> | Paged<ActorQuery>) {
    return await this.page(ctx, this.component.queries.queryByActor, args);
  }

  /** Every event of one tenant (organisation), newest first. */
  queryByTenant(ctx: RunQueryCtx, args: Limited<TenantQuery>): Promise<AuditEvent[]>;
  queryByTenant(ctx: RunQueryCtx, args: Paged<TenantQuery>): Promise<EventPage>;
  async queryByTenant(ctx: RunQueryCtx, args: Limited<TenantQuery> | Paged<TenantQuery>) {
    return await this.page(ctx, this.component.queries.queryByTenant, args);
  }

  /** The newest events at the given severities (default error and critical); reactive in queries. */
  async watchCritical(ctx: RunQueryCtx, args: WatchCriticalArgs = {}): Promise<AuditEvent[]> {
    return await ctx.runQuery(this.component.queries.watchCritical, args);
  }

  // [scale:search] methods for search go here.
  /**
   * Events matching every filter, newest first (by relevance with a free-text
   * `query`). A page may hold fewer than `limit` rows when its scan budget ran
   * out: keep paging with `continueCursor` until `isDone`.
   */
  async search(
    ctx: RunQueryCtx,
    args: { filters?: SearchFilters; pagination?: { limit?: number; cursor?: string | null }; scanBudget?: number } = {},
  ): Promise<SearchPage> {
    return await ctx.runQuery(this.component.search.search, {
      filters: args.filters ?? {},
      paginationOpts: { numItems: args.pagination?.limit ?? DEFAULT_LIMIT, cursor: args.pagination?.cursor ?? null },
      scanBudget: args.scanBudget,
    });
  }

  // [scale:stats] methods for getStats and detectAnomalies go here.
  /**
   * Exact counts for any window: total, by severity, category and status,
   * top actions and actors. Reads rollup buckets (at most a few per level)
   * plus the events the rollup has not reached yet, never the whole window.
   *
   * ```ts
   * const stats = await auditLog.getStats(ctx, { fromTimestamp: Date.now() - 24 * 60 * 60 * 1000 });
   * ```
   */
  async getStats(ctx: RunQueryCtx, args: stats.StatsArgs = {}): Promise<AuditStats> {
    return await stats.getStats(this.component, ctx, args);
  }

  /**
   * Checks rules against the recent log and returns the ones that fired, each
   * with its count and top contributing actors.
   *
   * ```ts
   * await auditLog.detectAnomalies(ctx, [{ action: "user.login.failed", threshold: 5, windowMinutes: 5 }]);
   * ```
   */
  async detectAnomalies(
    ctx: RunQueryCtx,
    rules: stats.AnomalyRuleInput[],
    options: stats.DetectOptions = {},
  ): Promise<Anomaly[]> {
    return await stats.detectAnomalies(this.component, ctx, rules, options);
  }

  /**
   * Runs one batch of the statistics rollup now (a cron in the component
   * already runs it every minute). Call until `caughtUp` after a large import.
   */
  async rollupStats(ctx: RunMutationCtx, options: stats.RollupOptions = {}): Promise<stats.RollupResult> {
    return await stats.rollupStats(this.component, ctx, options);
  }

  /** How far the rollup has got: `rolledUpThrough` is the `_creationTime` it has folded up to. */
  async statsStatus(ctx: RunQueryCtx): Promise<stats.StatsStatus> {
    return await stats.statsStatus(this.component, ctx);
  }

  // [scale:report] methods for generateReport go here.
  /**
   * A report of every event in [startDate, endDate] matching `filters`, built
   * in one transaction: at most 10,000 rows (REPORT_TOO_LARGE otherwise; use
   * `exportReport`). The run is itself logged as `audit.report.generated`, so
   * `ctx` must be a mutation's or an action's.
   */
  async generateReport(ctx: RunMutationCtx & RunQueryCtx, args: reports.GenerateReportArgs): Promise<Report> {
    return await reports.generateReport(this.component, ctx, args, (e) => this.reportEvent(ctx, e), this.logOptions);
  }

  /**
   * Exports a range of any size to file storage in the background (CSV or
   * JSON Lines) and returns the job id; follow it with `getReportExport`.
   */
  async exportReport(ctx: RunMutationCtx, args: reports.ExportReportArgs): Promise<string> {
    return await reports.exportReport(this.component, ctx, args, (e) => this.reportEvent(ctx, e), this.logOptions);
  }

  /** An export's status and progress; once done, the URLs of its file parts. Null if absent or another tenant's. */
  async getReportExport(ctx: RunQueryCtx, args: reports.JobRef): Promise<ReportExport | null> {
    return await reports.getReportExport(this.component, ctx, args);
  }

  /** Stops a running export and deletes what it wrote. False if it was not running. */
  async cancelReportExport(ctx: RunMutationCtx, args: reports.JobRef): Promise<boolean> {
    return await reports.cancelReportExport(this.component, ctx, args);
  }

  /**
   * Restarts a running export from its last recorded part, e.g. when
   * `updatedAt` has not moved for several minutes (a step that timed out is
   * not retried by Convex). Safe to call at any time. False if not running.
   */
  async resumeReportExport(ctx: RunMutationCtx, args: reports.JobRef): Promise<boolean> {
    return await reports.resumeReportExport(this.component, ctx, args);
  }

  /** One part of a finished export's file, as bytes (from an action). */
  async readReportPart(ctx: RunActionCtx, args: reports.JobRef & { part: number }): Promise<ArrayBuffer | null> {
    return await reports.readReportPart(this.component, ctx, args);
  }

  /** A finished export's whole file as a streamed Response, for an HTTP action. */
  async reportFileResponse(ctx: RunActionCtx & RunQueryCtx, args: reports.JobRef): Promise<Response | null> {
    return await reports.reportFileResponse(this.component, ctx, args);
  }

  private async reportEvent(ctx: RunMutationCtx, event: LogChangeArgs): Promise<EventInput> {
    const [input] = await this.toInputs(ctx, [event]);
    return input;
  }

  // [scale:retention] methods for cleanup, policies and legal holds go here.

  /**
   * Deletes up to `batchSize` expired events (the seed's call) and returns how
   * many it deleted. Each call continues where the previous call with the same
   * arguments stopped, so repeated calls sweep the whole log; 0 does not mean
   * nothing is left. `cleanupBatch` or `startCleanup` run to completion.
   */
  async cleanup(ctx: RunMutationCtx, args: retention.CleanupOptions = {}): Promise<number> {
    return await retention.cleanup(this.component, ctx, args);
  }

  /** One batch of a cleanup run you drive: start with `cursor: null`, pass `continueCursor` back until `isDone`. */
  async cleanupBatch(
    ctx: RunMutationCtx,
    args: retention.CleanupOptions & { cursor: string | null },
  ): Promise<retention.CleanupBatchResult> {
    return await retention.cleanupBatch(this.component, ctx, args);
  }

  /** Starts a background run that deletes everything expired, batch by batch; one run at a time. */
  async startCleanup(ctx: RunMutationCtx, args: retention.CleanupOptions = {}): Promise<{ runId: string; alreadyRunning: boolean }> {
    return await retention.startCleanup(this.component, ctx, args);
  }

  /** Stops a background run after its current batch. False if it had already finished. */
  async cancelCleanup(ctx: RunMutationCtx, args: { runId: string }): Promise<boolean> {
    return await retention.cancelCleanup(this.component, ctx, args.runId);
  }

  /** A background run's progress and totals. */
  async getCleanupRun(ctx: RunQueryCtx, args: { runId: string }): Promise<retention.CleanupRun | null> {
    return await retention.getCleanupRun(this.component, ctx, args.runId);
  }

  /** Background runs, newest first. */
  async listCleanupRuns(ctx: RunQueryCtx, args: { paginationOpts: PaginationOptions }) {
    return await retention.listCleanupRuns(this.component, ctx, args.paginationOpts);
  }

  /** Sets (or with `days: null` removes) the retention of a category, an action, or the default. */
  async setRetentionPolicy(ctx: RunMutationCtx, args: retention.RetentionPolicyArgs & { by?: string }): Promise<void> {
    await retention.setRetentionPolicy(this.component, ctx, args);
  }

  async getRetentionPolicies(ctx: RunQueryCtx): Promise<retention.RetentionPolicies> {
    return await retention.getRetentionPolicies(this.component, ctx);
  }

  /** Places a legal hold: no event of that tenant, actor or resource is deleted until it is released. */
  async placeHold(ctx: RunMutationCtx, args: retention.HoldTarget & { reason?: string; by?: string }): Promise<string> {
    return await retention.placeHold(this.component, ctx, args);
  }

  async releaseHold(ctx: RunMutationCtx, args: { holdId: string; by?: string }): Promise<boolean> {
    return await retention.releaseHold(this.component, ctx, args);
  }

  /** Active holds (all with `includeReleased`), newest first. */
  async listHolds(ctx: RunQueryCtx, args: { paginationOpts: PaginationOptions; includeReleased?: boolean }) {
    return await retention.listHolds(this.component, ctx, args);
  }

  private async page<A extends object>(
    ctx: RunQueryCtx,
    fn: FunctionReference<"query", "internal", A & { paginationOpts: PaginationOptions }, EventPage>,
    args: Limited<A> | Paged<A>,
  ): Promise<AuditEvent[] | EventPage> {
    // The overloads above type the arguments; one generic call serves every query shape.
    const run = ctx.runQuery as unknown as (f: typeof fn, a: object) => Promise<EventPage>;
    if ("paginationOpts" in args && args.paginationOpts !== undefined) return await run(fn, args);
    const { limit, ...rest } = args as Limited<A>;
    const result = await run(fn, { ...rest, paginationOpts: { numItems: limit ?? DEFAULT_LIMIT, cursor: null } });
    return result.page;
  }

  private async toInputs(ctx: RunMutationCtx, events: LogChangeArgs[]): Promise<EventInput[]> {
    const needsActor = events.some((e) => (e.actorId ?? e.actor?.id) == null);
    const identity =
      needsActor && this.options.actorFromAuth !== false && ctx.auth
        ? await ctx.auth.getUserIdentity()
        : null;
    const request = this.options.captureRequestContext === false ? undefined : await requestContext(ctx);
    return events.map((event, i) => {
      const input = toInput(event, identity, request, this.options.actions);
      validateEventInput(input, events.length > 1 ? `events[${i}]` : "");
      return input;
    });
  }
}

type Identity = { subject: string; name?: string } | null;

function toInput(
  event: LogChangeArgs,
  identity: Identity,
  request: RequestContext | undefined,
  catalog: ActionCatalog | undefined,
): EventInput {
  if (typeof event !== "object" || event === null) {
    throw auditError("INVALID_ARGUMENT", "an event must be an object", "event");
  }
  const { actorId, actor, context, metadata, before, after, ...rest } = event;
  const input: EventInput = { ...rest } as EventInput;
  for (const key of Object.keys(input) as (keyof EventInput)[]) {
    if (input[key] === undefined) delete input[key];
  }
  const info = typeof event.action === "string" ? lookupAction(event.action, catalog) : undefined;
  if (input.category === undefined && info) input.category = info.category;
  if (input.severity === undefined && info) input.severity = info.severity;

  const explicitId = actorId ?? actor?.id ?? undefined;
  const actorFields = { ...actor };
  delete actorFields.id;
  if (explicitId !== undefined) {
    input.actorId = explicitId;
  } else if (identity) {
    input.actorId = identity.subject;
    actorFields.type ??= "user";
    if (actorFields.name === undefined && identity.name !== undefined) actorFields.name = identity.name;
  }
  const cleanActor = Object.fromEntries(Object.entries(actorFields).filter(([, v]) => v !== undefined));
  if (Object.keys(cleanActor).length > 0) input.actor = cleanActor;

  const ctxFields = Object.fromEntries(
    Object.entries({ ...request, ...context }).filter(([, v]) => v !== undefined && v !== null),
  );
  if (Object.keys(ctxFields).length > 0) input.context = ctxFields;
  if (metadata !== undefined) input.metadata = metadata;
  if (before !== undefined) input.before = before;
  if (after !== undefined) input.after = after;
  return input;
}

async function requestContext(ctx: RunMutationCtx): Promise<RequestContext | undefined> {
  const meta = ctx.meta;
  if (meta?.getRequestMetadata === undefined) return undefined;
  const out: RequestContext = {};
  try {
    const m = await meta.getRequestMetadata();
    if (m.ip) out.ip = m.ip;
    if (m.userAgent) out.userAgent = m.userAgent.slice(0, LIMITS.maxContextFieldLength);
    if (m.requestId) out.requestId = m.requestId;
  } catch {
    // Not every runtime has request metadata (e.g. older backends); the event is still logged.
  }
  try {
    const fn = await meta.getFunctionMetadata?.();
    if (fn?.name) out.source = fn.name;
  } catch {
    // As above.
  }
  return out;
}

/** Actions, HTTP actions and scheduled functions log through `ctx.runMutation` like mutations do. */
export type ActionCtx = GenericActionCtx<GenericDataModel>;
