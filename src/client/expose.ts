/**
 * Public queries for your app to export, with access decided by your `auth`
 * callback and enforced by what it returns: the result scopes every row.
 *
 * - `null` / `undefined`: refused (UNAUTHORIZED).
 * - a string (the viewer's user id), or `{ actorId }`: the viewer's own
 *   events only. `queryByActor` for anyone else is FORBIDDEN, and so are the
 *   queries that would show other people's events (by resource, by tenant,
 *   watchCritical, getStats, detectAnomalies); `get` of someone else's
 *   event reads as missing.
 * - `{ tenantId }`: every query is confined to that tenant's events through
 *   the tenant-first indexes; a tenant argument naming another tenant is
 *   FORBIDDEN.
 * - `{ admin: true }`: everything.
 */
import {
  paginationOptsValidator,
  queryGeneric,
  type GenericDataModel,
  type GenericQueryCtx,
  type PaginationOptions,
} from "convex/server";
import { v } from "convex/values";
import type { ComponentApi } from "../component/_generated/component.js";
import { auditError } from "../shared/errors.js";
import {
  vEvent,
  vEventPage,
  vSearchFilters,
  vSearchPage,
  vSeverity,
  type AuditEvent,
  type EventPage,
  type SearchFilters,
  type SearchPage,
} from "../shared/validators.js";
import { vAnomaly, vAnomalyRule, vStats, type Anomaly, type AuditStats } from "../shared/stats.js";

export type AuditScope =
  | string
  | { actorId: string; tenantId?: undefined; admin?: undefined }
  | { tenantId: string; actorId?: undefined; admin?: undefined }
  | { admin: true; actorId?: undefined; tenantId?: undefined };

export type AuditOperation =
  | { type: "read"; query: "get"; id: string }
  | { type: "read"; query: "queryByResource"; resourceType: string; resourceId: string; tenantId?: string }
  | { type: "read"; query: "queryByActor"; actorId: string; tenantId?: string }
  | { type: "read"; query: "queryByTenant"; tenantId: string }
  | { type: "read"; query: "watchCritical"; tenantId?: string }
  | { type: "read"; query: "search"; filters: SearchFilters }
  | { type: "read"; query: "getStats"; tenantId?: string }
  | { type: "read"; query: "detectAnomalies"; tenantIds: Array<string | undefined> };

export type ExposeOptions<DataModel extends GenericDataModel> = {
  auth: (
    ctx: GenericQueryCtx<DataModel>,
    operation: AuditOperation,
  ) => Promise<AuditScope | null | undefined> | AuditScope | null | undefined;
};

type Resolved = { kind: "admin" } | { kind: "tenant"; tenantId: string } | { kind: "viewer"; actorId: string };

function resolve(scope: AuditScope | null | undefined): Resolved {
  if (scope === null || scope === undefined || scope === "") {
    throw auditError("UNAUTHORIZED", "sign in to read the audit log");
  }
  if (typeof scope === "string") return { kind: "viewer", actorId: scope };
  if (scope.admin === true) return { kind: "admin" };
  if (typeof scope.tenantId === "string" && scope.tenantId !== "") return { kind: "tenant", tenantId: scope.tenantId };
  if (typeof scope.actorId === "string" && scope.actorId !== "") return { kind: "viewer", actorId: scope.actorId };
  throw auditError("UNAUTHORIZED", "the auth callback returned no usable scope");
}

/** The tenant a scoped query must read under; FORBIDDEN if the caller asked for another. */
function tenantFor(scope: Resolved, requested: string | undefined): string | undefined {
  if (scope.kind === "admin") return requested;
  if (scope.kind === "tenant") {
    if (requested !== undefined && requested !== scope.tenantId) {
      throw auditError("FORBIDDEN", "that tenant's audit log is not yours to read", "tenantId");
    }
    return scope.tenantId;
  }
  return requested;
}

function viewerOnly(scope: Resolved, what: string): void {
  if (scope.kind === "viewer") throw auditError("FORBIDDEN", `${what} shows other people's events; your scope is your own`);
}

const window = { fromTimestamp: v.optional(v.number()), toTimestamp: v.optional(v.number()) };
const DEFAULT_LIMIT = 50;

export function exposeAuditLogApi<DataModel extends GenericDataModel = GenericDataModel>(
  component: ComponentApi,
  options: ExposeOptions<DataModel>,
) {
  const scopeOf = async (ctx: GenericQueryCtx<DataModel>, op: AuditOperation) => resolve(await options.auth(ctx, op));
  const q = component.queries;
  const pageOpts = (limit: number | undefined): PaginationOptions => ({ numItems: limit ?? DEFAULT_LIMIT, cursor: null });

  const byResource = async (
    ctx: GenericQueryCtx<DataModel>,
    args: { resourceType: string; resourceId: string; tenantId?: string; fromTimestamp?: number; toTimestamp?: number },
    paginationOpts: PaginationOptions,
  ): Promise<EventPage> => {
    const scope = await scopeOf(ctx, { type: "read", query: "queryByResource", ...args });
    viewerOnly(scope, "a resource's history");
    return await ctx.runQuery(q.queryByResource, { ...args, tenantId: tenantFor(scope, args.tenantId), paginationOpts });
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
    return await ctx.runQuery(q.queryByActor, { ...args, tenantId: tenantFor(scope, args.tenantId), paginationOpts });
  };
  const byTenant = async (
    ctx: GenericQueryCtx<DataModel>,
    args: { tenantId: string; fromTimestamp?: number; toTimestamp?: number },
    paginationOpts: PaginationOptions,
  ): Promise<EventPage> => {
    const scope = await scopeOf(ctx, { type: "read", query: "queryByTenant", tenantId: args.tenantId });
    viewerOnly(scope, "a tenant's log");
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
        const event = await ctx.runQuery(q.get, { id, tenantId: scope.kind === "tenant" ? scope.tenantId : undefined });
        if (event !== null && scope.kind === "viewer" && event.actorId !== scope.actorId) return null;
        return event;
      },
    }),
    /** search, confined to the caller's scope: a viewer searches their own events only. */
    search: queryGeneric({
      args: { filters: vSearchFilters, paginationOpts: paginationOptsValidator, scanBudget: v.optional(v.number()) },
      returns: vSearchPage,
      handler: async (ctx, { filters, paginationOpts, scanBudget }): Promise<SearchPage> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "search", filters });
        const scoped: SearchFilters = { ...filters, tenantId: tenantFor(scope, filters.tenantId) };
        if (scope.kind === "viewer") {
          if (filters.actorIds !== undefined && filters.actorIds.some((a) => a !== scope.actorId)) {
            throw auditError("FORBIDDEN", "you may search only your own activity", "filters.actorIds");
          }
          scoped.actorIds = [scope.actorId];
        }
        if (scoped.tenantId === undefined) delete scoped.tenantId;
        return await ctx.runQuery(component.search.search, { filters: scoped, paginationOpts, scanBudget });
      },
    }),
    /** Statistics for a window: a tenant scope sees its own tenant's, a viewer none (FORBIDDEN). */
    getStats: queryGeneric({
      args: { fromTimestamp: v.optional(v.number()), toTimestamp: v.optional(v.number()), tenantId: v.optional(v.string()), topK: v.optional(v.number()) },
      returns: vStats,
      handler: async (ctx, args): Promise<AuditStats> => {
        const scope = await scopeOf(ctx as GenericQueryCtx<DataModel>, { type: "read", query: "getStats", tenantId: args.tenantId });
        viewerOnly(scope, "getStats");
        return await ctx.runQuery(component.stats.getStats, { ...args, tenantId: tenantFor(scope, args.tenantId) });
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
        viewerOnly(scope, "detectAnomalies");
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
        viewerOnly(scope, "watchCritical");
        return await ctx.runQuery(q.watchCritical, { ...args, tenantId: tenantFor(scope, args.tenantId) });
      },
    }),
  };
}
