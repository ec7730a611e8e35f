/**
 * The AuditLog class: the app's functions call the component through it.
 * Its methods call the component's functions directly; the types of their
 * arguments are in types.ts, of their results in src/shared/.
 */
import type { FunctionReference, PaginationOptions } from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import { AuditActions, type ActionCatalog } from "../shared/catalog.js";
import { auditError } from "../shared/errors.js";
import { checkFiltersShape, recordedFilters, type SearchFilters, type SearchPage } from "../shared/filters.js";
import { checkBulkSize, checkEventShape, validateEventInput } from "../shared/prepare.js";
import { encodedSize } from "../shared/values.js";
import type { Report, ReportExport } from "../shared/report.js";
import type { CleanupBatchResult, CleanupRun, LegalHold, RetentionPolicies } from "../shared/retention.js";
import type { Anomaly, AuditStats, RollupResult, StatsStatus } from "../shared/stats.js";
import { LIMITS, type AuditEvent, type EventInput, type EventPage, type LogOptions } from "../shared/validators.js";
import type { CheckpointDoc, ConsistencyProof, ErasureResult, EventProof, LatestCheckpoint, SealResult, SealStatus, VerifyReport } from "../shared/integrity.js";
import { checkAlertRules, checkAnomalyAlerts, sendEventAlerts } from "./alerts.js";
import { auditedAction, auditedHttpAction, auditedMutation, type AuditedMutationOptions, type AuditedOptions } from "./audited.js";
import { ingestHandler, type IngestOptions } from "./ingest.js";
import { identityActor, needsIdentity, requestContext, toInput, type InputRules } from "./inputs.js";
import * as integrity from "./integrity.js";
import * as reports from "./reports.js";
import { configureSink, type ConfigureSinkArgs } from "./sinks.js";
import type { SinkStatus } from "../shared/delivery.js";
import { tableTrigger, type TableChange, type TriggerOptions } from "./triggers.js";
import type {
  ActionOf,
  ActorQuery,
  AnomalyRuleInput,
  AuditLogOptions,
  CleanupOptions,
  DetectOptions,
  ExportReportArgs,
  GenerateReportArgs,
  HoldTarget,
  JobRef,
  LogChangeArgs,
  LogEventArgs,
  ResourceQuery,
  RetentionPolicyArgs,
  RollupOptions,
  RunActionCtx,
  RunMutationCtx,
  RunQueryCtx,
  StatsArgs,
  TenantQuery,
  WatchCriticalArgs,
} from "./types.js";

type Paged<T> = T & { paginationOpts: PaginationOptions };
type Limited<T> = T & { limit?: number };
type Page<T> = { page: T[]; isDone: boolean; continueCursor: string };
/** Only the fields a job reference has: callers may pass a whole job. */
const jobRef = ({ jobId, tenantId }: JobRef): JobRef => (tenantId === undefined ? { jobId } : { jobId, tenantId });

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
  private readonly rules: InputRules;

  constructor(
    public readonly component: ComponentApi,
    public readonly options: AuditLogOptions<C> = {},
  ) {
    checkAlertRules(options.alerts, options.anomalyAlerts);
    this.rules = {
      catalog: options.actions,
      actorFromAuth: options.actorFromAuth !== false,
      actorFromIdentity: options.actorFromIdentity,
      strictActions: options.strictActions === true,
      strictActor: options.strictActor === true,
      flatMetadata: options.flatMetadata === true,
    };
    this.logOptions = {};
    if (options.piiFields !== undefined) this.logOptions.piiFields = options.piiFields;
    if (options.redactDefaults !== undefined) this.logOptions.redactDefaults = options.redactDefaults;
    if (options.redactionMode !== undefined) this.logOptions.redactionMode = options.redactionMode;
    if (options.hashKey !== undefined) this.logOptions.hashKey = options.hashKey;
    if (options.maxEventBytes !== undefined) this.logOptions.maxEventBytes = options.maxEventBytes;
  }

  /** Records one event, in the caller's transaction when called from a mutation. */
  async log(ctx: RunMutationCtx, event: LogEventArgs<ActionOf<C>>): Promise<string> {
    return (await this.write(ctx, [event], false))[0];
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
    return await this.write(ctx, events, true);
  }

  /**
   * Stores events (one through `log.log`, several through `log.logBulk`,
   * with `extra` redaction for this call), then schedules the alerts they
   * match, in the caller's transaction.
   */
  private async write(ctx: RunMutationCtx, events: LogChangeArgs[], bulk: boolean, extra: Partial<LogOptions> = {}): Promise<string[]> {
    const inputs = await this.toInputs(ctx, events);
    const options = { ...this.logOptions, ...extra };
    let ids: string[];
    if (!bulk) {
      ids = [await ctx.runMutation(this.component.log.log, { event: inputs[0], options })];
    } else {
      checkBulkSize(inputs.map((e) => encodedSize(e)));
      ids = await ctx.runMutation(this.component.log.logBulk, { events: inputs, options });
    }
    if (this.options.alerts !== undefined && this.options.alerts.length > 0) {
      await sendEventAlerts(ctx, this.options.alerts, inputs, ids, this.options.redactDefaults !== false);
    }
    return ids;
  }

  /**
   * Logs a change with this call's own extra redaction (what `trigger`'s
   * per-table `piiFields` use): the AuditLog's fields and these.
   */
  async logChangeWith(ctx: RunMutationCtx, event: LogChangeArgs<ActionOf<C>>, redact: Pick<LogOptions, "piiFields">): Promise<string> {
    const piiFields = [...(this.logOptions.piiFields ?? []), ...(redact.piiFields ?? [])];
    return (await this.write(ctx, [event], false, piiFields.length > 0 ? { piiFields } : {}))[0];
  }

  /**
   * A convex-helpers `Triggers` function for one table: every insert,
   * update (patch or replace) and delete through the wrapped `ctx.db` is
   * logged with its diff and the acting user, in the same transaction.
   * `triggers.register("projects", auditLog.trigger({ resourceType: "projects" }))`.
   */
  trigger<Doc extends object = Record<string, unknown>>(options: TriggerOptions<Doc>): (ctx: RunMutationCtx, change: TableChange<Doc>) => Promise<void> {
    return tableTrigger<Doc>(this as never, options);
  }

  /**
   * Your `mutation` builder (or a convex-helpers `customMutation`) whose
   * mutations record their failures: `onFailure: "commit"` commits the
   * failure and resolves to `{ auditFailure }` (`throwIfAuditFailure` throws
   * the original error again); `"throw"` throws it, and nothing can be
   * committed. See README "Failures that survive rollback".
   */
  auditedMutation<B extends (def: never) => unknown>(builder: B, options: AuditedMutationOptions): B {
    return auditedMutation(this, builder, options);
  }

  /** Your `action` builder whose actions record a failure (committed) before throwing it on. */
  auditedAction<B extends (def: never) => unknown>(builder: B, options: AuditedOptions = {}): B {
    return auditedAction(this, builder, options);
  }

  /** Your `httpAction` whose handlers record a thrown error or a 5xx answer. */
  auditedHttpAction<B extends (handler: never) => unknown>(builder: B, options: AuditedOptions & { name?: string } = {}): B {
    return auditedHttpAction(this, builder, options);
  }

  /**
   * An HTTP action handler that stores events a trusted server delivers
   * signed (the BetterAuth plugin's `httpSink`):
   * `http.route({ path: "/audit/ingest", method: "POST", handler: httpAction(auditLog.ingestHandler({ secret: () => process.env.AUDIT_INGEST_SECRET })) })`.
   */
  ingestHandler(options: IngestOptions): (ctx: RunMutationCtx, request: Request) => Promise<Response> {
    return ingestHandler(this, options);
  }

  /**
   * Checks the `anomalyAlerts` rules now and calls the function of each
   * rule that fires, at most once per its window. Call it from a mutation
   * your cron runs (every minute, say); returns the rules that alerted.
   */
  async checkAnomalyAlerts(ctx: RunMutationCtx & RunQueryCtx, args: { now?: number } = {}): Promise<string[]> {
    return await checkAnomalyAlerts(this.component, ctx, this.options.anomalyAlerts ?? [], args.now ?? Date.now());
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

  /**
   * Events matching every filter, newest first (by relevance with a free-text
   * `query`). A page may hold fewer than `limit` rows when its scan budget ran
   * out: keep paging with `continueCursor` until `isDone`.
   */
  async search(
    ctx: RunQueryCtx,
    args: { filters?: SearchFilters; pagination?: { limit?: number; cursor?: string | null }; scanBudget?: number } = {},
  ): Promise<SearchPage> {
    checkFiltersShape(args.filters);
    return await ctx.runQuery(this.component.search.search, {
      filters: args.filters ?? {},
      paginationOpts: { numItems: args.pagination?.limit ?? DEFAULT_LIMIT, cursor: args.pagination?.cursor ?? null },
      scanBudget: args.scanBudget,
    });
  }

  // ---- Statistics and anomalies ------------------------------------------------

  /**
   * Exact counts for any window: total, by severity, category and status,
   * top actions and actors. Reads rollup buckets (at most a few per level)
   * plus the events the rollup has not reached yet, never the whole window.
   *
   * ```ts
   * const stats = await auditLog.getStats(ctx, { fromTimestamp: Date.now() - 24 * 60 * 60 * 1000 });
   * ```
   */
  async getStats(ctx: RunQueryCtx, args: StatsArgs = {}): Promise<AuditStats> {
    return await ctx.runQuery(this.component.stats.getStats, args);
  }

  /**
   * Checks rules against the recent log and returns the ones that fired, each
   * with its count and top contributing actors.
   *
   * ```ts
   * await auditLog.detectAnomalies(ctx, [{ action: "user.login.failed", threshold: 5, windowMinutes: 5 }]);
   * ```
   */
  async detectAnomalies(ctx: RunQueryCtx, rules: AnomalyRuleInput[], options: DetectOptions = {}): Promise<Anomaly[]> {
    const { tenantId, ...rest } = options;
    // The option's tenant applies to every rule that names none.
    const scoped = rules.map((r) => (tenantId === undefined || r.tenantId !== undefined ? { ...r } : { ...r, tenantId }));
    return await ctx.runQuery(this.component.anomalies.detectAnomalies, { rules: scoped, ...rest });
  }

  /**
   * Runs one batch of the statistics rollup now (a cron in the component
   * already runs it every minute). Call until `caughtUp` after a large import.
   */
  async rollupStats(ctx: RunMutationCtx, options: RollupOptions = {}): Promise<RollupResult> {
    return await ctx.runMutation(this.component.stats.rollup, options);
  }

  /** How far the rollup has got: `rolledUpThrough` is the `_creationTime` it has folded up to. */
  async statsStatus(ctx: RunQueryCtx): Promise<StatsStatus> {
    return await ctx.runQuery(this.component.stats.status, {});
  }

  // ---- Integrity (the transparency log) -------------------------------------------

  /**
   * One sealing step now (the component's cron already seals every minute):
   * for tests, imports, and anything that needs the newest events sealed.
   * `settleMs: 0` seals events the moment they exist. Call until `caughtUp`.
   */
  async seal(ctx: RunMutationCtx, options: { maxEvents?: number; settleMs?: number } = {}): Promise<SealResult> {
    return await ctx.runMutation(this.component.integrity.seal, { ...options, personalFields: this.options.integrity?.personalFields });
  }

  /**
   * Signs the tree's head with `integrity.signingKey` and keeps the checkpoint
   * (after one more sealing step). Call it from a cron in your app, every
   * minute: a checkpoint is written even when nothing arrived, so a verifier
   * can tell the newest events were not cut off.
   */
  async checkpoint(ctx: RunMutationCtx): Promise<CheckpointDoc> {
    return await integrity.checkpoint(this.component, ctx, this.options.integrity);
  }

  /** The sealing loop's state: tree size and root, last step, the longest wait between log and seal. */
  async sealStatus(ctx: RunQueryCtx): Promise<SealStatus> {
    return await ctx.runQuery(this.component.integrity.status, {});
  }

  /** The newest signed checkpoint, with the verifier keys that signed checkpoints; null before the first. */
  async latestCheckpoint(ctx: RunQueryCtx): Promise<LatestCheckpoint | null> {
    return await ctx.runQuery(this.component.integrity.latestCheckpoint, {});
  }

  /** Checkpoints, smallest size first: an export's `checkpoints.jsonl` is these, one per line. */
  async checkpoints(ctx: RunQueryCtx, args: { paginationOpts: PaginationOptions }): Promise<Page<CheckpointDoc>> {
    return await ctx.runQuery(this.component.integrity.checkpoints, { paginationOpts: { numItems: args.paginationOpts.numItems, cursor: args.paginationOpts.cursor } });
  }

  /**
   * A receipt for one event: its inclusion proof against the latest checkpoint,
   * checkable offline (`verifyReceipt`). With `tenantId`, NOT_FOUND unless the
   * event is that tenant's; NOT_SEALED until it is sealed and a checkpoint covers it.
   */
  async proveEvent(ctx: RunQueryCtx, eventId: string, scope: { tenantId?: string; actorId?: string } = {}): Promise<EventProof> {
    return await ctx.runQuery(this.component.integrity.proveEvent, { eventId, scope });
  }

  /** That the tree of `oldSize` leaves is a prefix of the one at `newSize` (a checkpoint's size; default the latest). */
  async proveConsistency(ctx: RunQueryCtx, oldSize: number, newSize?: number): Promise<ConsistencyProof> {
    return await ctx.runQuery(this.component.integrity.proveConsistency, newSize === undefined ? { oldSize } : { oldSize, newSize });
  }

  /** Checks every leaf in a range against its event (each read once) and reports what does not match. From an action. */
  async verify(ctx: RunActionCtx, args: { fromSeq?: number; toSeq?: number } = {}): Promise<VerifyReport> {
    return await ctx.runAction(this.component.integrity.verify, args);
  }

  /**
   * Erases a person (GDPR article 17) from the log, one batch per call: their
   * events lose the actor's and the request's personal fields and the
   * configured `integrity.personalFields` (sealed events keep commitments, so
   * every proof stays valid), and the statistics' keys lose their id. Call
   * again with `continueCursor` until `isDone` (from an action for many events).
   */
  async eraseSubject(ctx: RunMutationCtx, args: { actorId: string; cursor?: string | null }): Promise<ErasureResult> {
    return await ctx.runMutation(this.component.integrity.eraseSubject, { ...args, personalFields: this.options.integrity?.personalFields });
  }

  // ---- Delivery sinks -------------------------------------------------------------

  /**
   * Adds a sink (S3, webhook, OpenTelemetry, Convex's `log.audit`) or
   * changes one: its loop delivers every sealed event, in order, from then
   * on (README "Delivery"). `credentials` is your query that returns the
   * secrets from your environment; nothing secret is stored.
   */
  async configureSink(ctx: RunMutationCtx, args: ConfigureSinkArgs): Promise<{ created: boolean }> {
    const { by, ...rest } = await this.withBy(ctx, args);
    return await configureSink(this.component, ctx, rest, by, this.logOptions);
  }

  /** Stops a sink's deliveries (the step in flight records nothing). False if it was paused already. */
  async pauseSink(ctx: RunMutationCtx, args: { name: string; by?: string }): Promise<boolean> {
    return await ctx.runMutation(this.component.sinks.pause, { ...(await this.withBy(ctx, args)), options: this.logOptions });
  }

  /** Starts a paused or failed sink again from its cursor. False if it was running. */
  async resumeSink(ctx: RunMutationCtx, args: { name: string; by?: string }): Promise<boolean> {
    return await ctx.runMutation(this.component.sinks.resume, { ...(await this.withBy(ctx, args)), options: this.logOptions });
  }

  /** Sends everything again from `fromSeq` (from the start of the batch holding it, so the same objects and ids). */
  async backfillSink(ctx: RunMutationCtx, args: { name: string; fromSeq: number; by?: string }): Promise<{ nextSeq: number }> {
    return await ctx.runMutation(this.component.sinks.backfill, { ...(await this.withBy(ctx, args)), options: this.logOptions });
  }

  /** Removes a sink and its ledger. False if there was none of that name. */
  async removeSink(ctx: RunMutationCtx, args: { name: string; by?: string }): Promise<boolean> {
    return await ctx.runMutation(this.component.sinks.remove, { ...(await this.withBy(ctx, args)), options: this.logOptions });
  }

  /** A delivery step now for running sinks (one by name, or all) rather than at the next cron tick. */
  async deliverNow(ctx: RunMutationCtx, args: { name?: string } = {}): Promise<number> {
    return await ctx.runMutation(this.component.sinks.deliver, args);
  }

  /** Every sink with its status and lag. Pass `now` (rounded) from a reactive query. */
  async sinks(ctx: RunQueryCtx, args: { paginationOpts: PaginationOptions; now?: number }): Promise<Page<SinkStatus>> {
    return await ctx.runQuery(this.component.sinks.list, { paginationOpts: { numItems: args.paginationOpts.numItems, cursor: args.paginationOpts.cursor }, now: args.now });
  }

  /** One sink's status and lag, or null. */
  async sinkStatus(ctx: RunQueryCtx, args: { name: string; now?: number }): Promise<SinkStatus | null> {
    return await ctx.runQuery(this.component.sinks.get, args);
  }

  // ---- Reports -------------------------------------------------------------------

  /**
   * A report of every event in [startDate, endDate] matching `filters`, built
   * in one transaction: at most 10,000 rows (REPORT_TOO_LARGE otherwise; use
   * `exportReport`). The run is itself logged as `audit.report.generated`, so
   * `ctx` must be a mutation's or an action's.
   */
  async generateReport(ctx: RunMutationCtx & RunQueryCtx, args: GenerateReportArgs): Promise<Report> {
    checkFiltersShape(args.filters);
    return await reports.generateReport(this.component, ctx, args, (e) => this.oneInput(ctx, e), this.logOptions);
  }

  /**
   * Exports a range of any size to file storage in the background (CSV or
   * JSON Lines) and returns the job id; follow it with `getReportExport`.
   */
  async exportReport(ctx: RunMutationCtx, args: ExportReportArgs): Promise<string> {
    checkFiltersShape(args.filters);
    return await reports.exportReport(this.component, ctx, args, (e) => this.oneInput(ctx, e), this.logOptions);
  }

  /** An export's status and progress; once done, the URLs of its file parts. Null if absent or another tenant's. */
  async getReportExport(ctx: RunQueryCtx, args: JobRef): Promise<ReportExport | null> {
    return await ctx.runQuery(this.component.reports.getExport, jobRef(args));
  }

  /**
   * Stops a running export and deletes what it wrote; the cancellation is
   * logged with the caller as actor. False if it was not running.
   */
  async cancelReportExport(ctx: RunMutationCtx, args: JobRef & { requestedBy?: string }): Promise<boolean> {
    const requestEvent = await this.oneInput(ctx, { action: AuditActions.AUDIT_EXPORT_CANCELED, actorId: args.requestedBy });
    return await ctx.runMutation(this.component.reports.cancelExport, { ...jobRef(args), requestEvent, options: this.logOptions });
  }

  /**
   * Restarts a running export from its last recorded part, e.g. when
   * `updatedAt` has not moved for several minutes (the component's cron does
   * the same on its own after ten). Safe to call at any time. False if not running.
   */
  async resumeReportExport(ctx: RunMutationCtx, args: JobRef): Promise<boolean> {
    return await ctx.runMutation(this.component.reports.resumeExport, jobRef(args));
  }

  /** One part of a finished export's file, as bytes (from an action). */
  async readReportPart(ctx: RunActionCtx, args: JobRef & { part: number }): Promise<ArrayBuffer | null> {
    return await ctx.runAction(this.component.reports.readPart, { ...jobRef(args), part: args.part });
  }

  /** A finished export's whole file as a streamed Response, for an HTTP action. */
  async reportFileResponse(ctx: RunActionCtx & RunQueryCtx, args: JobRef): Promise<Response | null> {
    return await reports.reportFileResponse(this.component, ctx, jobRef(args));
  }

  // ---- Retention -----------------------------------------------------------------

  /**
   * Deletes up to `batchSize` expired events and returns how many it deleted.
   * Each call continues where the previous call with the same arguments
   * stopped, so repeated calls sweep the whole log; 0 does not mean nothing
   * is left. `cleanupBatch` or `startCleanup` run to completion.
   */
  async cleanup(ctx: RunMutationCtx, args: CleanupOptions = {}): Promise<number> {
    return (await ctx.runMutation(this.component.retention.cleanup, args)).deleted;
  }

  /** One batch of a cleanup run you drive: start with `cursor: null`, pass `continueCursor` back until `isDone`. */
  async cleanupBatch(ctx: RunMutationCtx, args: CleanupOptions & { cursor: string | null }): Promise<CleanupBatchResult> {
    return await ctx.runMutation(this.component.retention.cleanup, args);
  }

  /** Starts a background run that deletes everything expired, batch by batch; one run at a time. */
  async startCleanup(ctx: RunMutationCtx, args: CleanupOptions = {}): Promise<{ runId: string; alreadyRunning: boolean }> {
    return await ctx.runMutation(this.component.retention.startCleanup, args);
  }

  /** Stops a background run after its current batch. False if it had already finished. */
  async cancelCleanup(ctx: RunMutationCtx, args: { runId: string }): Promise<boolean> {
    return await ctx.runMutation(this.component.retention.cancelCleanup, { runId: args.runId });
  }

  /** A background run's progress and totals. */
  async getCleanupRun(ctx: RunQueryCtx, args: { runId: string }): Promise<CleanupRun | null> {
    return await ctx.runQuery(this.component.retention.getCleanupRun, { runId: args.runId });
  }

  /** Background runs, newest first. */
  async listCleanupRuns(ctx: RunQueryCtx, args: { paginationOpts: PaginationOptions }): Promise<Page<CleanupRun>> {
    return await ctx.runQuery(this.component.retention.listCleanupRuns, args);
  }

  /** Sets (or with `days: null` removes) the retention of a category, an action, or the default. */
  async setRetentionPolicy(ctx: RunMutationCtx, args: RetentionPolicyArgs & { by?: string }): Promise<void> {
    await ctx.runMutation(this.component.retention.setRetentionPolicy, { ...(await this.withBy(ctx, args)), options: this.logOptions });
  }

  async getRetentionPolicies(ctx: RunQueryCtx): Promise<RetentionPolicies> {
    return await ctx.runQuery(this.component.retention.getRetentionPolicies, {});
  }

  /** Places a legal hold: no event of that tenant, actor or resource is deleted until it is released. */
  async placeHold(ctx: RunMutationCtx, args: HoldTarget & { reason?: string; by?: string }): Promise<string> {
    return await ctx.runMutation(this.component.retention.placeHold, { ...(await this.withBy(ctx, args)), options: this.logOptions });
  }

  async releaseHold(ctx: RunMutationCtx, args: { holdId: string; by?: string }): Promise<boolean> {
    return await ctx.runMutation(this.component.retention.releaseHold, { ...(await this.withBy(ctx, args)), options: this.logOptions });
  }

  /** Active holds (all with `includeReleased`), newest first. */
  async listHolds(ctx: RunQueryCtx, args: { paginationOpts: PaginationOptions; includeReleased?: boolean }): Promise<Page<LegalHold>> {
    return await ctx.runQuery(this.component.retention.listHolds, args);
  }

  // ---- Access to the log itself ------------------------------------------------

  /**
   * Records that someone opened a view of the audit log (`audit.log.viewed`):
   * who (the `viewer` you pass, else the authenticated user), under which
   * scope, with which filters. The exposed `openViewer` calls it.
   */
  async recordView(
    ctx: RunMutationCtx,
    args: {
      filters?: SearchFilters;
      view?: string;
      scope?: string;
      tenantId?: string;
      viewer?: string;
      resource?: { resourceType: string; resourceId: string };
    } = {},
  ): Promise<string> {
    const filters = await recordedFilters((args.filters ?? {}) as Record<string, unknown>);
    return await this.log(ctx, {
      action: AuditActions.AUDIT_LOG_VIEWED,
      ...(args.viewer !== undefined ? { actorId: args.viewer } : {}),
      ...(args.tenantId !== undefined ? { tenantId: args.tenantId } : {}),
      summary: `Audit log opened${args.view ? ` (${args.view.slice(0, 64)})` : ""}`,
      // The resource a grant opened goes in metadata, not resourceId: the view is not an event of that resource's history.
      metadata: {
        filters,
        ...(args.scope !== undefined ? { scope: args.scope } : {}),
        ...(args.view !== undefined ? { view: args.view.slice(0, 128) } : {}),
        ...(args.resource !== undefined ? { resource: args.resource } : {}),
      },
    } as LogEventArgs<ActionOf<C>>);
  }

  /** Who changes a policy or a hold: the caller's `by`, else the authenticated user. */
  private async withBy<T extends { by?: string }>(ctx: RunMutationCtx, args: T): Promise<T> {
    if (args.by !== undefined || ctx.auth === undefined || !this.rules.actorFromAuth) return args;
    const identity = await ctx.auth.getUserIdentity();
    return identity === null ? args : { ...args, by: identity.subject };
  }

  private async oneInput(ctx: RunMutationCtx, event: LogChangeArgs): Promise<EventInput> {
    const [input] = await this.toInputs(ctx, [event]);
    return input;
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
    // Shape first: a null, a typo'd field or a wrong type is a typed error, before anything reads the events.
    events.forEach((event, i) => checkEventShape(event, events.length > 1 ? `events[${i}]` : ""));
    const identity = needsIdentity(events, this.rules) && ctx.auth ? await ctx.auth.getUserIdentity() : null;
    const signedIn = identityActor(identity, this.rules);
    const request = this.options.captureRequestContext === false ? undefined : await requestContext(ctx);
    return events.map((event, i) => {
      const at = events.length > 1 ? `events[${i}]` : "";
      const input = toInput(event, signedIn, request, this.rules, at);
      validateEventInput(input, at);
      return input;
    });
  }
}
