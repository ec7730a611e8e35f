/**
 * Public queries for your app to export, with access decided by your `auth`
 * callback and enforced by what it returns: the result scopes every row.
 *
 * - `null` / `undefined`: refused (UNAUTHORIZED).
 * - a string (the viewer's user id), or `{ actorId }`: the viewer's own
 *   events only. `queryByResource` is their own events on that resource,
 *   `watchCritical` their own events at those severities, `getStats` their
 *   own statistics; `queryByActor` for anyone else, `queryByTenant` and
 *   `detectAnomalies` are FORBIDDEN; `get` of someone else's event reads as
 *   missing.
 * - `{ grant: { resourceType, resourceId, tenantId? } }`: the whole history
 *   of that one resource (the app checked the caller may see it), through
 *   `queryByResource` and `get`; anything else is FORBIDDEN.
 * - `{ tenantId }`: every query is confined to that tenant's events through
 *   the tenant-first indexes; a tenant argument naming another tenant is
 *   FORBIDDEN.
 * - `{ admin: true }`: everything.
 * - anything else: INVALID_CONFIG, never a wider scope.
 *
 * The component confines the reads themselves to the scope, so nothing a
 * scoped caller gets back depends on events outside it. Reports follow the
 * same rules, with the scope forced into their filters: a viewer's report
 * (or export) holds only their own events and names no tenant, a tenant's
 * only that tenant's, and a filter outside the scope is FORBIDDEN, not
 * narrowed.
 * Report calls write (the run's own audit event, an export job), so the auth
 * callback sees them as `{ type: "report", mutation: ... }`, not as reads.
 */
import {
  log,
  mutationGeneric,
  paginationOptsValidator,
  queryGeneric,
  type GenericDataModel,
  type GenericQueryCtx,
  type PaginationOptions,
} from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import { auditError } from "../shared/errors.js";
import { vSearchFilters, vSearchPage, type SearchFilters, type SearchPage } from "../shared/filters.js";
import { vEvent, vEventPage, vSeverity, type AuditEvent, type EventPage } from "../shared/validators.js";
import { vAnomaly, vAnomalyRule, vStats, type Anomaly, type AuditStats } from "../shared/stats.js";
import {
  vExportArgs,
  vReport,
  vReportArgs,
  vReportExport,
  type ExportFormat,
  type GroupField,
  type Report,
  type ReportFormat,
  type ReportExport,
  type ReportField,
} from "../shared/report.js";
import {
  vConsistencyProof,
  vEventProof,
  vLatestCheckpoint,
  type ConsistencyProof,
  type EventProof,
  type LatestCheckpoint,
} from "../shared/integrity.js";
import { AuditLog } from "./auditLog.js";
import {
  checkGrant,
  noTenantForUser,
  notForUsers,
  readScope,
  resolveScope,
  tenantFor,
  type AuditOperation,
  type AuditScope,
  type Resolved,
} from "./scope.js";
import type { ReportFilters } from "./types.js";

export type { AuditOperation, AuditScope, ResourceGrant } from "./scope.js";

/** The AuditLog methods the exposed report calls run through. */
type ReportRunner = Pick<AuditLog, "generateReport" | "exportReport" | "getReportExport" | "cancelReportExport" | "recordView">;

export type ExposeOptions<DataModel extends GenericDataModel> = {
  auth: (
    ctx: GenericQueryCtx<DataModel>,
    operation: AuditOperation,
  ) => Promise<AuditScope | null | undefined> | AuditScope | null | undefined;
  /**
   * The AuditLog whose options (redaction, request context, actor from auth)
   * apply to the events the report calls write. Default: `new AuditLog(component)`.
   */
  auditLog?: ReportRunner;
  /**
   * On Convex Enterprise, send every exposed read (and report run) to
   * Convex's `log.audit`, which records a query each time its result is
   * streamed to a subscriber: the per-read trail this component cannot
   * keep (queries cannot write). A no-op elsewhere.
   */
  mirrorReadsToConvexAudit?: boolean;
};

/**
 * Whether a viewer may see an export job: they asked for it, and what it
 * holds is only their own events. The component records both on the job
 * (`requestedBy`, the normalised `filters`); tenant confinement it checks itself.
 */
function viewersJob(job: ReportExport, actorId: string): boolean {
  const actors = job.filters.actorIds;
  return job.requestedBy === actorId && actors !== undefined && actors.length > 0 && actors.every((a) => a === actorId);
}

/**
 * One exposed read, sent to Convex's `log.audit` (Enterprise): which
 * operation, under which scope, from where. Convex emits it each time the
 * query's result is streamed, cache hits included.
 */
async function mirrorRead(op: AuditOperation, scope: Resolved): Promise<void> {
  const who =
    scope.kind === "viewer" ? { actorId: scope.actorId } : scope.kind === "tenant" ? { tenantId: scope.tenantId } : scope.kind === "grant" ? { ...scope.grant } : {};
  await log.audit({
    action: "audit.log.read",
    operation: op.type === "read" ? op.query : op.mutation,
    scope: scope.kind,
    ...who,
    ip: log.vars.ip,
    userAgent: log.vars.userAgent,
    requestId: log.vars.requestId,
    timestamp: log.vars.now,
  });
}

/** What every report run takes, as the exposed functions receive it. */
type RunArgs = { startDate: number; endDate: number; format: string; includeFields?: string[]; filters?: SearchFilters };

const window = { fromTimestamp: v.optional(v.number()), toTimestamp: v.optional(v.number()) };
// The scope is the auth callback's to decide, never the caller's to pass.
const { scope: _reportScope, ...exposedReportArgs } = vReportArgs;
const { scope: _exportScope, ...exposedExportArgs } = vExportArgs;
const DEFAULT_LIMIT = 50;

export function exposeAuditLogApi<DataModel extends GenericDataModel = GenericDataModel>(
  component: ComponentApi,
  options: ExposeOptions<DataModel>,
) {
  const scopeOf = async (ctx: GenericQueryCtx<DataModel>, op: AuditOperation) => {
    const scope = resolveScope(await options.auth(ctx, op));
    if (options.mirrorReadsToConvexAudit) await mirrorRead(op, scope);
    return scope;
  };
  const reports: ReportRunner = options.auditLog ?? new AuditLog(component);
  /** The caller, as the report's own events name them: a viewer by the scope's id, others by their auth identity (AuditLog's default). */
  const requester = (scope: Resolved) => (scope.kind === "viewer" ? scope.actorId : undefined);
  /**
   * A report run's arguments for the client, within the caller's scope: the
   * scope forced into the filters, the caller as requester. Format, columns
   * and group stay as given (strings): the component checks them and answers
   * a bad one with its typed INVALID_ARGUMENT, before anything is written.
   */
  const scopedRun = async <A extends RunArgs>(
    ctx: GenericQueryCtx<DataModel>,
    mutation: "generateReport" | "exportReport",
    { filters = {}, ...args }: A,
  ) => {
    const { startDate, endDate, format } = args;
    const scope = await scopeOf(ctx, { type: "report", mutation, startDate, endDate, format, filters });
    // The component forces the scope into the filters and refuses (FORBIDDEN) any outside it.
    return {
      ...args,
      includeFields: args.includeFields as ReportField[] | undefined,
      filters: filters as ReportFilters,
      scope: readScope(scope, "a report"),
      requestedBy: requester(scope),
    };
  };
  const jobRef = (scope: Resolved, jobId: string) => ({ jobId, tenantId: scope.kind === "tenant" ? scope.tenantId : undefined });
  /** An export job the scope may see, or null (absent, another tenant's, someone else's): scoped callers learn nothing. */
  const visibleJob = async (ctx: GenericQueryCtx<DataModel>, scope: Resolved, jobId: string): Promise<ReportExport | null> => {
    if (scope.kind === "grant") return null;
    const job = await reports.getReportExport(ctx, jobRef(scope, jobId));
    if (job === null || (scope.kind === "viewer" && !viewersJob(job, scope.actorId))) return null;
    return job;
  };
  const q = component.queries;
  const pageOpts = (limit: number | undefined): PaginationOptions => ({ numItems: limit ?? DEFAULT_LIMIT, cursor: null });

  const byResource = async (
    ctx: GenericQueryCtx<DataModel>,
    args: { resourceType: string; resourceId: string; tenantId?: string; fromTimestamp?: number; toTimestamp?: number },
    paginationOpts: PaginationOptions,
  ): Promise<EventPage> => {
    const scope = await scopeOf(ctx, { type: "read", query: "queryByResource", ...args });
    if (scope.kind === "viewer") {
      // A user's view of a shared history: their own events on it (by_actor_resource), in every tenant.
      noTenantForUser(scope, args.tenantId, "a resource's history");
      return await ctx.runQuery(q.queryByResource, { ...args, actorId: scope.actorId, paginationOpts });
    }
    const tenantId = checkGrant(scope, args.resourceType, args.resourceId, tenantFor(scope, args.tenantId));
    return await ctx.runQuery(q.queryByResource, { ...args, tenantId, paginationOpts });
  };
  const byActor = async (
    ctx: GenericQueryCtx<DataModel>,
    args: { actorId: string; tenantId?: string; actions?: string[]; fromTimestamp?: number; toTimestamp?: number },
    paginationOpts: PaginationOptions,
  ): Promise<EventPage> => {
    const scope = await scopeOf(ctx, { type: "read", query: "queryByActor", actorId: args.actorId, tenantId: args.tenantId });
    if (scope.kind === "viewer" && scope.actorId !== args.actorId) {
      throw auditError("FORBIDDEN", "you may read only your own activity", "actorId");
    }
    if (scope.kind === "grant") notForUsers(scope, "an actor's activity");
    return await ctx.runQuery(q.queryByActor, { ...args, tenantId: tenantFor(scope, args.tenantId), paginationOpts });
  };
  const byTenant = async (
    ctx: GenericQueryCtx<DataModel>,
    args: { tenantId: string; fromTimestamp?: number; toTimestamp?: number },
    paginationOpts: PaginationOptions,
  ): Promise<EventPage> => {
    const scope = await scopeOf(ctx, { type: "read", query: "queryByTenant", tenantId: args.tenantId });
    notForUsers(scope, "a tenant's log");
    return await ctx.runQuery(q.queryByTenant, { ...args, tenantId: tenantFor(scope, args.tenantId)!, paginationOpts });
  };

  const resourceArgs = { resourceType: v.string(), resourceId: v.string(), tenantId: v.optional(v.string()), ...window };
  const actorArgs = { actorId: v.string(), tenantId: v.optional(v.string()), actions: v.optional(v.array(v.string())), ...window };
  const tenantArgs = { tenantId: v.string(), ...window };

  return {
    /** Newest events about a resource (`limit`, default 50). */
    queryByResource: queryGeneric({
      args: { ...resourceArgs, limit: v.optional(v.number()) },
      returns: v.array(vEvent),
      handler: async (ctx, { limit, ...args }): Promise<AuditEvent[]> =>
        (await byResource(ctx as GenericQueryCtx<DataModel>, args, pageOpts(limit))).page,
    }),
    /** Newest events by an actor (`limit`, default 50). */
    queryByActor: queryGeneric({
      args: { ...actorArgs, limit: v.optional(v.number()) },
      returns: v.array(vEvent),
      handler: async (ctx, { limit, ...args }): Promise<AuditEvent[]> =>
        (await byActor(ctx as GenericQueryCtx<DataModel>, args, pageOpts(limit))).page,
    }),
    /** Newest events of a tenant (`limit`, default 50). */
    queryByTenant: queryGeneric({
      args: { ...tenantArgs, limit: v.optional(v.number()) },
      returns: v.array(vEvent),
      handler: async (ctx, { limit, ...args }): Promise<AuditEvent[]> =>
        (await byTenant(ctx as GenericQueryCtx<DataModel>, args, pageOpts(limit))).page,
    }),
    /** Paginated forms, for `usePaginatedQuery`. */
    listByResource: queryGeneric({
      args: { ...resourceArgs, paginationOpts: paginationOptsValidator },
      returns: vEventPage,
      handler: async (ctx, { paginationOpts, ...args }) =>
        await byResource(ctx as GenericQueryCtx<DataModel>, args, paginationOpts),
    }),
    listByActor: queryGeneric({
      args: { ...actorArgs, paginationOpts: paginationOptsValidator },
      returns: vEventPage,
      handler: async (ctx, { paginationOpts, ...args }) =>
        await byActor(ctx as GenericQueryCtx<DataModel>, args, paginationOpts),
    }),
    listByTenant: queryGeneric({
      args: { ...tenantArgs, paginationOpts: paginationOptsValidator },
      returns: vEventPage,
      handler: async (ctx, { paginationOpts, ...args }) =>
        await byTenant(ctx as GenericQueryCtx<DataModel>, args, paginationOpts),
    }),
    get: queryGeneric({
      args: { id: v.string() },
      returns: v.union(vEvent, v.null()),
      handler: async (ctx, { id }): Promise<AuditEvent | null> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "get", id });
        const tenantId = scope.kind === "tenant" ? scope.tenantId : scope.kind === "grant" ? scope.grant.tenantId : undefined;
        const event = await ctx.runQuery(q.get, { id, tenantId });
        if (event === null) return null;
        if (scope.kind === "viewer" && event.actorId !== scope.actorId) return null;
        if (scope.kind === "grant" && (event.resourceType !== scope.grant.resourceType || event.resourceId !== scope.grant.resourceId)) return null;
        return event;
      },
    }),
    /** search, confined to the caller's scope: a viewer searches their own events only. */
    search: queryGeneric({
      args: { filters: vSearchFilters, paginationOpts: paginationOptsValidator, scanBudget: v.optional(v.number()) },
      returns: vSearchPage,
      handler: async (ctx, { filters, paginationOpts, scanBudget }): Promise<SearchPage> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "search", filters });
        // The component forces the scope into the filters, refuses any outside it, and reads only the scope's ranges.
        return await ctx.runQuery(component.search.search, { filters, paginationOpts, scanBudget, scope: readScope(scope) });
      },
    }),
    /** Statistics for a window: a tenant scope sees its own tenant's, a viewer none (FORBIDDEN). */
    getStats: queryGeneric({
      args: { fromTimestamp: v.optional(v.number()), toTimestamp: v.optional(v.number()), tenantId: v.optional(v.string()), topK: v.optional(v.number()) },
      returns: vStats,
      handler: async (ctx, args): Promise<AuditStats> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "getStats", tenantId: args.tenantId });
        if (scope.kind === "grant") notForUsers(scope, "getStats");
        // A user's own statistics, counted from their events; a tenant's from its rollups.
        const actorId = scope.kind === "viewer" ? scope.actorId : undefined;
        const stats = await ctx.runQuery(component.stats.getStats, { ...args, tenantId: tenantFor(scope, args.tenantId), actorId });
        // How far the rollup loop has got is about everyone's events: diagnostics for admins only.
        return scope.kind === "admin" ? stats : { ...stats, rolledUpThrough: null, pendingEvents: 0 };
      },
    }),
    /** Anomaly rules: under a tenant scope every rule is confined to that tenant. */
    detectAnomalies: queryGeneric({
      args: { rules: v.array(vAnomalyRule), now: v.optional(v.number()), topActors: v.optional(v.number()) },
      returns: v.array(vAnomaly),
      handler: async (ctx, { rules, ...rest }): Promise<Anomaly[]> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, {
          type: "read",
          query: "detectAnomalies",
          tenantIds: rules.map((r) => r.tenantId),
        });
        notForUsers(scope, "detectAnomalies");
        const scoped = rules.map((r) => {
          const tenantId = tenantFor(scope, r.tenantId);
          return tenantId === undefined ? r : { ...r, tenantId };
        });
        return await ctx.runQuery(component.anomalies.detectAnomalies, { rules: scoped, ...rest });
      },
    }),
    watchCritical: queryGeneric({
      args: { severity: v.optional(v.array(vSeverity)), limit: v.optional(v.number()), tenantId: v.optional(v.string()), ...window },
      returns: v.array(vEvent),
      handler: async (ctx, args): Promise<AuditEvent[]> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "watchCritical", tenantId: args.tenantId });
        if (scope.kind === "grant") notForUsers(scope, "watchCritical");
        if (scope.kind === "viewer") {
          noTenantForUser(scope, args.tenantId, "watchCritical");
          return await ctx.runQuery(q.watchCritical, { ...args, actorId: scope.actorId });
        }
        return await ctx.runQuery(q.watchCritical, { ...args, tenantId: tenantFor(scope, args.tenantId) });
      },
    }),
    /**
     * AuditLog.generateReport within the caller's scope (forced into the
     * filters), logged as audit.report.generated with the caller as actor.
     */
    generateReport: mutationGeneric({
      args: exposedReportArgs,
      returns: vReport,
      handler: async (ctx, args): Promise<Report> => {
        const run = await scopedRun(ctx as GenericQueryCtx<DataModel>, "generateReport", args);
        return await reports.generateReport(ctx, {
          ...run,
          format: run.format as ReportFormat,
          groupBy: run.groupBy as GroupField | undefined,
        });
      },
    }),
    /**
     * AuditLog.exportReport within the caller's scope; returns the job id.
     * The job records the scope: its tenant (a tenant scope's, forced in) and
     * who asked, which getReportExport and cancelReportExport check.
     */
    exportReport: mutationGeneric({
      args: exposedExportArgs,
      returns: v.string(),
      handler: async (ctx, args): Promise<string> => {
        const run = await scopedRun(ctx as GenericQueryCtx<DataModel>, "exportReport", args);
        return await reports.exportReport(ctx, { ...run, format: run.format as ExportFormat });
      },
    }),
    /** An export's progress, then its file URLs (reactive). Null when absent or not the caller's to see. */
    getReportExport: queryGeneric({
      args: { jobId: v.string() },
      returns: v.union(vReportExport, v.null()),
      handler: async (ctx, { jobId }): Promise<ReportExport | null> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "getReportExport", jobId });
        return await visibleJob(ctx as GenericQueryCtx<DataModel>, scope, jobId);
      },
    }),
    /** A receipt for one event in the caller's scope (NOT_FOUND for any other), checkable offline with `verifyReceipt`. */
    proveEvent: queryGeneric({
      args: { eventId: v.string() },
      returns: vEventProof,
      handler: async (ctx, { eventId }): Promise<EventProof> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "proveEvent", eventId });
        return await ctx.runQuery(component.integrity.proveEvent, { eventId, scope: readScope(scope) });
      },
    }),
    /** That an older tree (a checkpoint the caller kept) is a prefix of a newer one. */
    proveConsistency: queryGeneric({
      args: { oldSize: v.number(), newSize: v.optional(v.number()) },
      returns: vConsistencyProof,
      handler: async (ctx, args): Promise<ConsistencyProof> => {
        await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "proveConsistency", ...args });
        return await ctx.runQuery(component.integrity.proveConsistency, args);
      },
    }),
    /** The newest signed checkpoint (for the viewer's seal and a dashboard's age of the log's last seal). */
    latestCheckpoint: queryGeneric({
      args: {},
      returns: v.union(vLatestCheckpoint, v.null()),
      handler: async (ctx): Promise<LatestCheckpoint | null> => {
        await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "latestCheckpoint" });
        return await ctx.runQuery(component.integrity.latestCheckpoint, {});
      },
    }),
    /** Stops a running export the caller may see. False when it was not running, or is not theirs. */
    cancelReportExport: mutationGeneric({
      args: { jobId: v.string() },
      returns: v.boolean(),
      handler: async (ctx, { jobId }): Promise<boolean> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "report", mutation: "cancelReportExport", jobId });
        // Checked in this transaction: the job cannot change hands between the check and the cancel.
        if ((await visibleJob(ctx as GenericQueryCtx<DataModel>, scope, jobId)) === null) return false;
        return await reports.cancelReportExport(ctx, { ...jobRef(scope, jobId), requestedBy: requester(scope) });
      },
    }),
    /**
     * Records that the caller opened the log viewer (`audit.log.viewed`, PCI
     * DSS 10.2.1.3): `<AuditLogViewer onOpen={api.auditLog.openViewer}>`
     * calls it once per session and per filter. Reactive reads are not
     * logged one by one (queries cannot write); this is the record of access.
     */
    openViewer: mutationGeneric({
      args: { filters: v.optional(vSearchFilters), view: v.optional(v.string()) },
      returns: v.string(),
      handler: async (ctx, { filters = {}, view }): Promise<string> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "view", mutation: "openViewer", filters });
        const scoped = scope.kind === "grant" ? undefined : readScope(scope);
        return await reports.recordView(ctx, {
          filters,
          view,
          scope: scope.kind,
          tenantId: scoped?.tenantId ?? (scope.kind === "grant" ? scope.grant.tenantId : undefined),
          viewer: requester(scope),
          resource: scope.kind === "grant" ? scope.grant : undefined,
        });
      },
    }),
  };
}
