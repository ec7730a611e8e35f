/**
 * What an `exposeAuditLogApi` caller may see: the scope its `auth` callback
 * returns, checked strictly (anything but one of the shapes below is
 * INVALID_CONFIG, never a wider scope), and the rules each query applies.
 *
 * | scope | reads |
 * | --- | --- |
 * | a user id / `{ actorId }` | their own events: by actor (themselves), by resource (their events on it), watchCritical and getStats (their own), search, get |
 * | `{ tenantId }` | that tenant's events, every query |
 * | `{ grant: { resourceType, resourceId, tenantId? } }` | the whole history of that one resource (in that tenant), by resource and get |
 * | `{ admin: true }` | everything |
 */
import { auditError } from "../shared/errors.js";
import type { ReadScope, SearchFilters } from "../shared/filters.js";
import { LIMITS } from "../shared/validators.js";

/** A resource the app has checked the caller may read in full. */
export type ResourceGrant = { resourceType: string; resourceId: string; tenantId?: string };

export type AuditScope =
  | string
  | { actorId: string; tenantId?: undefined; admin?: undefined; grant?: undefined }
  | { tenantId: string; actorId?: undefined; admin?: undefined; grant?: undefined }
  | { grant: ResourceGrant; actorId?: undefined; tenantId?: undefined; admin?: undefined }
  | { admin: true; actorId?: undefined; tenantId?: undefined; grant?: undefined };

export type AuditOperation =
  | { type: "read"; query: "get"; id: string }
  | { type: "read"; query: "queryByResource"; resourceType: string; resourceId: string; tenantId?: string }
  | { type: "read"; query: "queryByActor"; actorId: string; tenantId?: string }
  | { type: "read"; query: "queryByTenant"; tenantId: string }
  | { type: "read"; query: "watchCritical"; tenantId?: string }
  | { type: "read"; query: "search"; filters: SearchFilters }
  | { type: "read"; query: "getStats"; tenantId?: string }
  | { type: "read"; query: "detectAnomalies"; tenantIds: Array<string | undefined> }
  | { type: "read"; query: "getReportExport"; jobId: string }
  // The transparency log: a receipt is of one event in the caller's scope; checkpoints and
  // consistency proofs say only the log's size and roots, which every receipt carries anyway.
  | { type: "read"; query: "proveEvent"; eventId: string }
  | { type: "read"; query: "proveConsistency"; oldSize: number; newSize?: number }
  | { type: "read"; query: "latestCheckpoint" }
  // Report calls write (their own audit event; an export job and its files), so
  // they are not "read": a callback that refuses anything but reads to anonymous
  // callers refuses these too. `filters` are the caller's, before scoping.
  | { type: "report"; mutation: "generateReport"; startDate: number; endDate: number; format: string; filters: SearchFilters }
  | { type: "report"; mutation: "exportReport"; startDate: number; endDate: number; format: string; filters: SearchFilters }
  | { type: "report"; mutation: "cancelReportExport"; jobId: string }
  // Opening the log viewer writes its own audit event (PCI DSS 10.2.1.3).
  | { type: "view"; mutation: "openViewer"; filters: SearchFilters };

export type Resolved =
  | { kind: "admin" }
  | { kind: "tenant"; tenantId: string }
  | { kind: "viewer"; actorId: string }
  | { kind: "grant"; grant: ResourceGrant };

const SCOPE_SHAPES = "a user id, { actorId }, { tenantId }, { grant: { resourceType, resourceId, tenantId? } } or { admin: true }";

/**
 * What the auth callback returned, checked: exactly one of the scope shapes,
 * or nothing (UNAUTHORIZED). Anything else (two keys at once, an empty or
 * overlong id, `admin: "yes"`, a grant with extra fields) is a typed error,
 * never a wider scope.
 */
export function resolveScope(scope: unknown): Resolved {
  if (scope === null || scope === undefined || scope === "") {
    throw auditError("UNAUTHORIZED", "sign in to read the audit log");
  }
  const bad = (what: string) => auditError("INVALID_CONFIG", `the auth callback returned ${what}; a scope is ${SCOPE_SHAPES}`);
  const id = (value: unknown, what: string) => {
    if (typeof value !== "string" || value.length === 0 || value.length > LIMITS.maxIdLength) throw bad(`an unusable ${what}`);
    return value;
  };
  if (typeof scope === "string") return { kind: "viewer", actorId: id(scope, "user id") };
  if (typeof scope !== "object" || Array.isArray(scope)) throw bad(`a ${typeof scope}`);
  const fields = Object.entries(scope as Record<string, unknown>).filter(([, value]) => value !== undefined);
  if (fields.length !== 1) throw bad(`an object with ${fields.map(([k]) => k).join(" and ") || "no fields"}`);
  const [[key, value]] = fields;
  if (key === "admin" && value === true) return { kind: "admin" };
  if (key === "tenantId") return { kind: "tenant", tenantId: id(value, "tenantId") };
  if (key === "actorId") return { kind: "viewer", actorId: id(value, "actorId") };
  if (key === "grant" && typeof value === "object" && value !== null && !Array.isArray(value)) {
    const g = Object.fromEntries(Object.entries(value as Record<string, unknown>).filter(([, x]) => x !== undefined));
    const extra = Object.keys(g).find((k) => !["resourceType", "resourceId", "tenantId"].includes(k));
    if (extra !== undefined) throw bad(`a grant with ${extra}`);
    const grant: ResourceGrant = { resourceType: id(g.resourceType, "grant.resourceType"), resourceId: id(g.resourceId, "grant.resourceId") };
    if (g.tenantId !== undefined) grant.tenantId = id(g.tenantId, "grant.tenantId");
    return { kind: "grant", grant };
  }
  throw bad(`{ ${key} }`);
}

/** The scope the component confines a search or a report to (none for an admin); a grant cannot search. */
export function readScope(scope: Resolved, what = "search"): ReadScope | undefined {
  if (scope.kind === "viewer") return { actorId: scope.actorId };
  if (scope.kind === "tenant") return { tenantId: scope.tenantId };
  if (scope.kind === "grant") throw auditError("FORBIDDEN", `a grant reads one resource's history; ${what} is not part of it`);
  return undefined;
}

/** The tenant a scoped query must read under; FORBIDDEN if the caller asked for another. */
export function tenantFor(scope: Resolved, requested: string | undefined, path = "tenantId"): string | undefined {
  if (scope.kind === "tenant") {
    if (requested !== undefined && requested !== scope.tenantId) {
      throw auditError("FORBIDDEN", "that tenant's audit log is not yours to read", path);
    }
    return scope.tenantId;
  }
  return requested;
}

/** Refuses what neither a user nor a grant may read (another tenant's log, everyone's anomalies). */
export function notForUsers(scope: Resolved, what: string): void {
  if (scope.kind === "viewer") throw auditError("FORBIDDEN", `${what} shows other people's events; your scope is your own`);
  if (scope.kind === "grant") throw auditError("FORBIDDEN", `a grant reads one resource's history; ${what} is not part of it`);
}

/**
 * A user's reads that are about their own events across tenants (by
 * resource, watchCritical): a tenant argument is FORBIDDEN rather than
 * silently ignored or widened.
 */
export function noTenantForUser(scope: Resolved, requested: string | undefined, what: string): void {
  if (scope.kind === "viewer" && requested !== undefined) {
    throw auditError("FORBIDDEN", `${what} under a user's scope reads their own events in every tenant; leave tenantId out`, "tenantId");
  }
}

/** A grant covers exactly its resource (and its tenant): anything else is FORBIDDEN. */
export function checkGrant(scope: Resolved, resourceType: string, resourceId: string, tenantId: string | undefined): string | undefined {
  if (scope.kind !== "grant") return tenantId;
  const g = scope.grant;
  if (g.resourceType !== resourceType || g.resourceId !== resourceId) {
    throw auditError("FORBIDDEN", "the grant is for another resource", "resourceId");
  }
  if (g.tenantId !== undefined && tenantId !== undefined && tenantId !== g.tenantId) {
    throw auditError("FORBIDDEN", "the grant is for that resource in another tenant", "tenantId");
  }
  return g.tenantId ?? tenantId;
}
