/**
 * The filters of `search`, reports and exports, one row each: the event
 * field a filter tests, the values it allows, and how it matches. The
 * argument validator, the component's normalisation and matching, its
 * planner's coverage and the viewer's form all read this table, so a new
 * filter is a row here (plus, if it should drive a read, an index and a
 * planner entry in src/component/search.ts).
 */
import { v, type Infer, type Validator } from "convex/values";
import { checkId, checkWindow, isOneOf } from "./checks.js";
import { auditError } from "./errors.js";
import { sha256Hex, utf8Length } from "./text.js";
import { CATEGORIES, LIMITS, SEVERITIES, STATUSES, vEvent, type AuditEvent } from "./validators.js";

const vList = v.optional(v.array(v.string()));
const vValue = v.optional(v.string());

type FilterRow = {
  /** Where the filter's value is on an event. */
  field: "severity" | "action" | "tags" | "actorId" | "resourceType" | "resourceId" | "tenantId" | "status" | "category";
  /**
   * `anyOf`: a list, the event's field is one of them; `allOf`: a list, the
   * event's array field holds every one; `equals`: one value.
   */
  match: "anyOf" | "allOf" | "equals";
  validator: Validator<unknown, "optional", string>;
  /** The values allowed, when the field is an enumeration. */
  allowed?: readonly string[];
  /** The error code for a value outside `allowed`. */
  code?: "INVALID_SEVERITY";
  /** What the viewer's form calls it. */
  label: string;
};

export const SEARCH_FILTERS = {
  severity: { field: "severity", match: "anyOf", validator: vList, allowed: SEVERITIES, code: "INVALID_SEVERITY", label: "Severity" },
  actions: { field: "action", match: "anyOf", validator: vList, label: "Action" },
  tags: { field: "tags", match: "allOf", validator: vList, label: "Tag" },
  actorIds: { field: "actorId", match: "anyOf", validator: vList, label: "Actor" },
  resourceType: { field: "resourceType", match: "equals", validator: vValue, label: "Resource type" },
  resourceId: { field: "resourceId", match: "equals", validator: vValue, label: "Resource id" },
  tenantId: { field: "tenantId", match: "equals", validator: vValue, label: "Tenant" },
  status: { field: "status", match: "equals", validator: vValue, allowed: STATUSES, label: "Status" },
  category: { field: "category", match: "equals", validator: vValue, allowed: CATEGORIES, label: "Category" },
} as const satisfies Record<string, FilterRow>;
export type FilterName = keyof typeof SEARCH_FILTERS;
export const FILTER_NAMES = Object.keys(SEARCH_FILTERS) as FilterName[];

type FilterValidators = { [K in FilterName]: (typeof SEARCH_FILTERS)[K]["validator"] };
const filterValidators = Object.fromEntries(FILTER_NAMES.map((k) => [k, SEARCH_FILTERS[k].validator])) as FilterValidators;

/** Filters of `search` (and of reports): every field optional, all combined with AND. */
export const vSearchFilters = v.object({
  ...filterValidators,
  fromTimestamp: v.optional(v.number()),
  toTimestamp: v.optional(v.number()),
  /** Words to find in the action, summary, resource, actor and tags (a search index). */
  query: v.optional(v.string()),
});
export type SearchFilters = Infer<typeof vSearchFilters>;

export const vSearchPage = v.object({
  page: v.array(vEvent),
  isDone: v.boolean(),
  continueCursor: v.string(),
  /** Documents this page read, including rows that did not match. */
  scanned: v.number(),
  /** Which index the planner read, and whether it covered every filter. */
  plan: v.object({ index: v.string(), ranges: v.number(), covered: v.boolean() }),
});
export type SearchPage = Infer<typeof vSearchPage>;

export const FILTER_LIMITS = {
  /** Values in one list filter. */
  maxValues: LIMITS.maxFilterValues,
  maxValueLength: LIMITS.maxIdLength,
  maxQueryLength: LIMITS.maxSearchQueryLength,
} as const;

const isList = (name: FilterName) => SEARCH_FILTERS[name].match !== "equals";

/**
 * What a caller passed as filters, before it is sent: an object of known
 * filters, lists of strings where a list goes, strings and numbers where
 * they go. The client checks this first, so a typo or a wrong type is a typed
 * INVALID_ARGUMENT rather than Convex's argument validation error.
 */
export function checkFiltersShape(filters: unknown, path = "filters"): void {
  if (filters === undefined) return;
  if (typeof filters !== "object" || filters === null || Array.isArray(filters)) {
    throw auditError("INVALID_ARGUMENT", `${path} must be an object`, path);
  }
  for (const [key, value] of Object.entries(filters)) {
    if (value === undefined) continue;
    const at = `${path}.${key}`;
    if (key === "fromTimestamp" || key === "toTimestamp") {
      if (typeof value !== "number") throw auditError("INVALID_ARGUMENT", `${key} must be a number of milliseconds`, at);
    } else if (key === "query") {
      if (typeof value !== "string") throw auditError("INVALID_ARGUMENT", "query must be a string", at);
    } else if (!(FILTER_NAMES as string[]).includes(key)) {
      throw auditError("INVALID_ARGUMENT", `${JSON.stringify(key.slice(0, 64))} is not a filter (one of ${FILTER_NAMES.join(", ")}, fromTimestamp, toTimestamp, query)`, at);
    } else if (isList(key as FilterName)) {
      if (!Array.isArray(value) || value.some((x) => typeof x !== "string")) throw auditError("INVALID_ARGUMENT", `${key} must be a list of strings`, at);
    } else if (typeof value !== "string") {
      throw auditError("INVALID_ARGUMENT", `${key} must be a string`, at);
    }
  }
}

/**
 * Checks and canonicalises filters (lists deduplicated and sorted, the query
 * trimmed), so equal filters are equal objects: cursors are tied to this form.
 */
export function normalizeFilters(filters: SearchFilters): SearchFilters {
  checkWindow(filters);
  const out: SearchFilters = {};
  for (const name of FILTER_NAMES) {
    const value = filters[name];
    if (value === undefined) continue;
    const row: FilterRow = SEARCH_FILTERS[name];
    const path = `filters.${name}`;
    const values = isList(name) ? (value as string[]) : [value as string];
    if (isList(name)) {
      if (values.length === 0) throw auditError("INVALID_ARGUMENT", `${name} must not be empty; leave it out to match everything`, path);
      if (values.length > FILTER_LIMITS.maxValues) {
        throw auditError("INVALID_ARGUMENT", `${name} lists ${values.length} values; the limit is ${FILTER_LIMITS.maxValues}`, path);
      }
    }
    for (const x of values) {
      if (row.allowed !== undefined && !isOneOf(x, row.allowed)) {
        throw auditError(row.code ?? "INVALID_ARGUMENT", `${name}: ${JSON.stringify(x)} is not one of ${row.allowed.join(", ")}`, path);
      }
      checkId(x, path, FILTER_LIMITS.maxValueLength, { required: true });
    }
    (out as Record<string, unknown>)[name] = isList(name) ? [...new Set(values)].sort() : value;
  }
  if (out.resourceId !== undefined && out.resourceType === undefined) {
    throw auditError("INVALID_ARGUMENT", "resourceId needs a resourceType", "filters.resourceType");
  }
  if (filters.fromTimestamp !== undefined) out.fromTimestamp = filters.fromTimestamp;
  if (filters.toTimestamp !== undefined) out.toTimestamp = filters.toTimestamp;
  if (filters.query !== undefined) {
    const q = filters.query.trim();
    if (q.length === 0 || q.length > FILTER_LIMITS.maxQueryLength) {
      throw auditError("INVALID_ARGUMENT", `query must be 1 to ${FILTER_LIMITS.maxQueryLength} characters`, "filters.query");
    }
    out.query = q;
  }
  return out;
}

type Matchable = Pick<AuditEvent, "timestamp" | "tags" | (typeof SEARCH_FILTERS)[FilterName]["field"]>;

/** Whether one event passes every filter except `query` (the search index decides that). */
export function matches(e: Matchable, f: SearchFilters): boolean {
  if (f.fromTimestamp !== undefined && e.timestamp < f.fromTimestamp) return false;
  if (f.toTimestamp !== undefined && e.timestamp > f.toTimestamp) return false;
  for (const name of FILTER_NAMES) {
    const want = f[name];
    if (want === undefined) continue;
    const { field, match } = SEARCH_FILTERS[name];
    if (match === "equals") {
      if (e[field] !== want) return false;
    } else if (match === "anyOf") {
      const have = e[field] as string | undefined;
      if (have === undefined || !(want as string[]).includes(have)) return false;
    } else if (!(want as string[]).every((tag) => e.tags?.includes(tag))) {
      return false;
    }
  }
  return true;
}

/**
 * Whose events a call may see, as `exposeAuditLogApi` resolves it from the
 * app's auth callback: one actor's, or one tenant's (nothing: everything).
 */
export const vReadScope = v.object({ actorId: v.optional(v.string()), tenantId: v.optional(v.string()) });
export type ReadScope = Infer<typeof vReadScope>;

/**
 * The filters confined to the scope: its tenant and its actor forced in.
 * Asking for another tenant or actor is FORBIDDEN, never silently narrowed.
 * A call that writes (a report's own event, an export job) under an actor
 * scope may not name a tenant at all: what it writes would land in that
 * tenant's log, which is not the actor's to write to.
 */
export function scopedFilters<F extends { tenantId?: string; actorIds?: string[] }>(
  filters: F,
  scope: ReadScope | undefined,
  { writes = false, what = "read" }: { writes?: boolean; what?: string } = {},
): F {
  if (scope === undefined) return filters;
  const out: F = { ...filters };
  if (scope.tenantId !== undefined) {
    if (filters.tenantId !== undefined && filters.tenantId !== scope.tenantId) {
      throw auditError("FORBIDDEN", `that tenant's audit log is not yours to ${what}`, "filters.tenantId");
    }
    out.tenantId = scope.tenantId;
  }
  if (scope.actorId !== undefined) {
    if (filters.actorIds !== undefined && filters.actorIds.some((a) => a !== scope.actorId)) {
      throw auditError("FORBIDDEN", `you may ${what} only your own activity`, "filters.actorIds");
    }
    if (writes && scope.tenantId === undefined && filters.tenantId !== undefined) {
      throw auditError("FORBIDDEN", `a ${what} under your own scope cannot name a tenant; a tenant's admin can`, "filters.tenantId");
    }
    out.actorIds = [scope.actorId];
  }
  return out;
}

/** Bytes of filters an audit event records as given; past this, a summary and a hash of them. */
export const MAX_RECORDED_FILTER_BYTES = 2048;

/**
 * Filters as an audit event records them (a report's, an export's): as
 * given while small; past MAX_RECORDED_FILTER_BYTES, the scalar filters
 * cut to 64 characters, each list's length and first values, and the
 * SHA-256 of the whole, so the event stays small whatever a caller sends
 * and the exact filters can still be matched against it.
 */
export async function recordedFilters(filters: Record<string, unknown>): Promise<Record<string, unknown>> {
  const json = JSON.stringify(filters);
  if (utf8Length(json) <= MAX_RECORDED_FILTER_BYTES) return filters;
  const out: Record<string, unknown> = { truncated: true, bytes: utf8Length(json), sha256: await sha256Hex(json) };
  const cut = (x: unknown) => (typeof x === "string" && x.length > 64 ? `${x.slice(0, 64)}…` : x);
  for (const [k, value] of Object.entries(filters)) {
    out[k] = Array.isArray(value) ? { count: value.length, first: value.slice(0, 3).map(cut) } : cut(value);
  }
  return out;
}
