/**
 * search: every filter combined with AND, complete across pages, newest first.
 *
 * The planner turns the filters into one or a few index ranges (the "driving"
 * ranges) that contain every match, merges them newest first, and applies the
 * filters the ranges do not cover in TypeScript while scanning. A page stops
 * when it is full, when its scan budget (documents, and bytes as Convex
 * counts them) is spent, or when the ranges end; its cursor is the position
 * of the last row *scanned*, so the next page resumes there and nothing is
 * skipped or repeated, however few rows matched.
 *
 * A free-text `query` reads the search index instead: results come by
 * relevance, not time (Convex's search order), filtered the same way.
 */
import type { PaginationOptions } from "convex/server";
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import {
  CATEGORIES,
  LIMITS,
  SEVERITIES,
  STATUSES,
  vPaginationOpts,
  vSearchFilters,
  vSearchPage,
  type SearchFilters,
  type SearchPage,
} from "../shared/validators.js";
import {
  checkLimit,
  checkWindow,
  decodeCursor,
  encodeCursor,
  MERGED_PREFIX,
  newer,
  rangeStream,
  type EventIndex,
  type RangeSpec,
} from "./scan.js";

type EventDocument = Doc<"events">;

export const SEARCH_LIMITS = {
  maxValues: LIMITS.maxFilterValues,
  /** More ranges than this cost more in look-ahead reads than a wider range with a filter. */
  maxRanges: 12,
  defaultScanBudget: 2000,
  maxScanBudget: 10_000,
  /** Stop a page well inside Convex's 16 MiB read limit, whatever the event sizes. */
  maxBytesPerPage: 8 * 1024 * 1024,
  maxQueryLength: LIMITS.maxSearchQueryLength,
} as const;

type Filters = {
  severity?: string[];
  actions?: string[];
  tags?: string[];
  actorIds?: string[];
  resourceType?: string;
  resourceId?: string;
  tenantId?: string;
  status?: string;
  category?: string;
  fromTimestamp?: number;
  toTimestamp?: number;
  query?: string;
};

const uniqueSorted = (xs: string[]) => [...new Set(xs)].sort();

function list(value: string[] | undefined, field: string, allowed?: readonly string[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (value.length === 0) {
    throw auditError("INVALID_ARGUMENT", `${field} must not be empty; leave it out to match everything`, `filters.${field}`);
  }
  if (value.length > SEARCH_LIMITS.maxValues) {
    throw auditError("INVALID_ARGUMENT", `${field} lists ${value.length} values; the limit is ${SEARCH_LIMITS.maxValues}`, `filters.${field}`);
  }
  for (const x of value) {
    if (allowed && !allowed.includes(x)) {
      throw auditError(
        field === "severity" ? "INVALID_SEVERITY" : "INVALID_ARGUMENT",
        `${field}: ${JSON.stringify(x)} is not one of ${allowed.join(", ")}`,
        `filters.${field}`,
      );
    }
    if (x.length === 0 || x.length > LIMITS.maxIdLength) {
      throw auditError("INVALID_ARGUMENT", `${field}: values must be 1 to ${LIMITS.maxIdLength} characters`, `filters.${field}`);
    }
  }
  return uniqueSorted(value);
}

/** Checks and canonicalises filters: the cursor's shape is computed from the result. */
export function normalizeFilters(filters: SearchFilters): Filters {
  const f: Filters = {};
  checkWindow(filters);
  const severity = list(filters.severity, "severity", SEVERITIES);
  const actions = list(filters.actions, "actions");
  const tags = list(filters.tags, "tags");
  const actorIds = list(filters.actorIds, "actorIds");
  if (severity) f.severity = severity;
  if (actions) f.actions = actions;
  if (tags) f.tags = tags;
  if (actorIds) f.actorIds = actorIds;
  if (filters.status !== undefined) {
    if (!(STATUSES as readonly string[]).includes(filters.status)) {
      throw auditError("INVALID_ARGUMENT", `status must be one of ${STATUSES.join(", ")}`, "filters.status");
    }
    f.status = filters.status;
  }
  if (filters.category !== undefined) {
    if (!(CATEGORIES as readonly string[]).includes(filters.category)) {
      throw auditError("INVALID_ARGUMENT", `category must be one of ${CATEGORIES.join(", ")}`, "filters.category");
    }
    f.category = filters.category;
  }
  for (const key of ["resourceType", "resourceId", "tenantId"] as const) {
    const value = filters[key];
    if (value !== undefined) {
      if (value.length === 0 || value.length > LIMITS.maxIdLength) {
        throw auditError("INVALID_ARGUMENT", `${key} must be 1 to ${LIMITS.maxIdLength} characters`, `filters.${key}`);
      }
      f[key] = value;
    }
  }
  if (f.resourceId !== undefined && f.resourceType === undefined) {
    throw auditError("INVALID_ARGUMENT", "resourceId needs a resourceType", "filters.resourceType");
  }
  if (filters.fromTimestamp !== undefined) f.fromTimestamp = filters.fromTimestamp;
  if (filters.toTimestamp !== undefined) f.toTimestamp = filters.toTimestamp;
  if (filters.query !== undefined) {
    const q = filters.query.trim();
    if (q.length === 0 || q.length > SEARCH_LIMITS.maxQueryLength) {
      throw auditError("INVALID_ARGUMENT", `query must be 1 to ${SEARCH_LIMITS.maxQueryLength} characters`, "filters.query");
    }
    f.query = q;
  }
  return f;
}

/** Whether one event passes every filter except `query` (the search index decides that). */
export function matches(e: EventDocument, f: Filters): boolean {
  if (f.fromTimestamp !== undefined && e.timestamp < f.fromTimestamp) return false;
  if (f.toTimestamp !== undefined && e.timestamp > f.toTimestamp) return false;
  if (f.tenantId !== undefined && e.tenantId !== f.tenantId) return false;
  if (f.severity && !f.severity.includes(e.severity)) return false;
  if (f.actions && !f.actions.includes(e.action)) return false;
  if (f.actorIds && (e.actorId === undefined || !f.actorIds.includes(e.actorId))) return false;
  if (f.resourceType !== undefined && e.resourceType !== f.resourceType) return false;
  if (f.resourceId !== undefined && e.resourceId !== f.resourceId) return false;
  if (f.status !== undefined && e.status !== f.status) return false;
  if (f.category !== undefined && e.category !== f.category) return false;
  if (f.tags && !f.tags.every((tag) => e.tags?.includes(tag))) return false;
  return true;
}

type FilterKey = "tenant" | "resource" | "actor" | "action" | "severity" | "status" | "category";
export type Plan = { index: EventIndex; specs: RangeSpec[]; covers: Set<FilterKey> };

/**
 * The driving ranges, most selective shape first: a resource, then actors
 * (with their actions when the product of the two lists is small), actions,
 * failures, severities without `info`, a category, any severity or status, the
 * tenant, and last the whole log by time. Every plan is tenant-first when a
 * tenant is given, so a tenant's search never reads another tenant's rows.
 */
export function plan(f: Filters): Plan {
  const tenant = f.tenantId !== undefined;
  const pre: Array<readonly [string, string | undefined]> = tenant ? [["tenantId", f.tenantId]] : [];
  const covers = (...keys: FilterKey[]) => new Set<FilterKey>([...(tenant ? (["tenant"] as const) : []), ...keys]);
  const max = SEARCH_LIMITS.maxRanges;
  const one = (index: EventIndex, eq: Array<readonly [string, string | undefined]>, ...keys: FilterKey[]): Plan => ({
    index,
    specs: [{ index, eq: [...pre, ...eq] }],
    covers: covers(...keys),
  });
  const many = (index: EventIndex, field: string, values: string[], extra: Array<readonly [string, string]> = [], ...keys: FilterKey[]): Plan => ({
    index,
    specs: values.map((value) => ({ index, eq: [...pre, ...extra, [field, value] as const] })),
    covers: covers(...keys),
  });

  if (f.resourceType !== undefined && f.resourceId !== undefined) {
    return one(tenant ? "by_tenant_resource" : "by_resource", [["resourceType", f.resourceType], ["resourceId", f.resourceId]], "resource");
  }
  if (f.actorIds && f.actions && f.actorIds.length * f.actions.length <= max) {
    const index = tenant ? "by_tenant_actor_action" : "by_actor_action";
    return {
      index,
      specs: f.actorIds.flatMap((actorId) =>
        f.actions!.map((action): RangeSpec => ({ index, eq: [...pre, ["actorId", actorId], ["action", action]] })),
      ),
      covers: covers("actor", "action"),
    };
  }
  if (f.actorIds && f.actorIds.length <= max) {
    return many(tenant ? "by_tenant_actor" : "by_actor", "actorId", f.actorIds, [], "actor");
  }
  if (f.actions && f.actions.length <= max) {
    return many(tenant ? "by_tenant_action" : "by_action", "action", f.actions, [], "action");
  }
  if (f.status === "failure") return one(tenant ? "by_tenant_status" : "by_status", [["status", "failure"]], "status");
  if (f.severity && !f.severity.includes("info")) {
    return many(tenant ? "by_tenant_severity" : "by_severity", "severity", f.severity, [], "severity");
  }
  if (f.category !== undefined) return one(tenant ? "by_tenant_category" : "by_category", [["category", f.category]], "category");
  if (f.severity) return many(tenant ? "by_tenant_severity" : "by_severity", "severity", f.severity, [], "severity");
  if (f.status !== undefined) return one(tenant ? "by_tenant_status" : "by_status", [["status", f.status]], "status");
  if (tenant) return one("by_tenant", []);
  return { index: "by_timestamp", specs: [{ index: "by_timestamp", eq: [] }], covers: new Set() };
}

/** True when the plan's ranges hold only matching rows: then reads ≈ rows. */
export function isCovered(f: Filters, p: Plan): boolean {
  const need: FilterKey[] = [];
  if (f.tenantId !== undefined) need.push("tenant");
  if (f.resourceType !== undefined || f.resourceId !== undefined) need.push("resource");
  if (f.actorIds) need.push("actor");
  if (f.actions) need.push("action");
  if (f.severity) need.push("severity");
  if (f.status !== undefined) need.push("status");
  if (f.category !== undefined) need.push("category");
  if (f.tags) return false;
  return need.every((k) => p.covers.has(k));
}

async function bytesReadSoFar(ctx: QueryCtx): Promise<number | undefined> {
  try {
    return (await ctx.meta.getTransactionMetrics()).bytesRead.used;
  } catch {
    return undefined; // A runtime without metrics: the document budget alone bounds the page.
  }
}

export async function searchPage(
  ctx: QueryCtx,
  filters: SearchFilters,
  paginationOpts: Pick<PaginationOptions, "numItems" | "cursor">,
  scanBudget?: number,
): Promise<SearchPage> {
  const f = normalizeFilters(filters);
  const numItems = checkLimit(paginationOpts.numItems, "paginationOpts.numItems");
  const budget =
    scanBudget === undefined
      ? Math.max(SEARCH_LIMITS.defaultScanBudget, numItems)
      : checkLimit2(scanBudget, numItems);
  if (f.query !== undefined) return await textPage(ctx, f, numItems, paginationOpts.cursor);

  const p = plan(f);
  const covered = isCovered(f, p);
  const shape = JSON.stringify(["search", f]);
  const planInfo = { index: p.index, ranges: p.specs.length, covered };
  const start = paginationOpts.cursor === null ? undefined : decodeCursor(shape, paginationOpts.cursor, "paginationOpts.cursor");
  if (start === "end") return { page: [], isDone: true, continueCursor: encodeCursor(shape, "end"), scanned: 0, plan: planInfo };

  const window = { fromTimestamp: f.fromTimestamp, toTimestamp: f.toTimestamp };
  const iters = p.specs.map((spec) => rangeStream(ctx, spec, window, start));
  let scanned = 0;
  const pull = async (i: number) => {
    const next = await iters[i].next();
    if (next.done) return null;
    scanned++;
    return next.value;
  };
  const heads = await Promise.all(iters.map((_, i) => pull(i)));
  const bytesAtStart = (await bytesReadSoFar(ctx)) ?? 0;
  const page: EventDocument[] = [];
  let last: EventDocument | undefined;
  for (;;) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const h = heads[i];
      if (h !== null && (best === -1 || newer(h, heads[best]!))) best = i;
    }
    if (best === -1) {
      return { page, isDone: true, continueCursor: encodeCursor(shape, "end"), scanned, plan: planInfo };
    }
    last = heads[best]!;
    if (matches(last, f)) page.push(last);
    if (page.length >= numItems || scanned >= budget) break;
    // Every few rows: events can be up to 1 MiB each, and 16 MiB is the transaction's limit.
    if (scanned % 4 === 0) {
      const bytes = await bytesReadSoFar(ctx);
      if (bytes !== undefined && bytes - bytesAtStart > SEARCH_LIMITS.maxBytesPerPage) break;
    }
    heads[best] = await pull(best);
  }
  return {
    page,
    isDone: false,
    continueCursor: encodeCursor(shape, { t: last.timestamp, c: last._creationTime }),
    scanned,
    plan: planInfo,
  };
}

function checkLimit2(scanBudget: number, numItems: number): number {
  if (!Number.isInteger(scanBudget) || scanBudget < numItems || scanBudget > SEARCH_LIMITS.maxScanBudget) {
    throw auditError(
      "INVALID_ARGUMENT",
      `scanBudget must be an integer from numItems (${numItems}) to ${SEARCH_LIMITS.maxScanBudget}`,
      "scanBudget",
    );
  }
  return scanBudget;
}

const TEXT_PREFIX = "t1.";

/** Free-text search: Convex's search index, by relevance, other filters applied while scanning. */
async function textPage(ctx: QueryCtx, f: Filters, numItems: number, cursor: string | null): Promise<SearchPage> {
  if (cursor !== null && !cursor.startsWith(TEXT_PREFIX)) {
    throw auditError("INVALID_CURSOR", "this cursor belongs to a different query", "paginationOpts.cursor");
  }
  const shapeTag = encodeCursor(JSON.stringify(["text", f]), "end").slice(MERGED_PREFIX.length, MERGED_PREFIX.length + 12);
  let inner: string | null = null;
  if (cursor !== null) {
    const body = cursor.slice(TEXT_PREFIX.length);
    const dot = body.indexOf(".");
    if (dot < 0 || body.slice(0, dot) !== shapeTag) {
      throw auditError("INVALID_CURSOR", "this cursor belongs to a different query", "paginationOpts.cursor");
    }
    inner = body.slice(dot + 1);
  }
  const q = ctx.db.query("events").withSearchIndex("search_text", (s) => {
    let b = s.search("searchText", f.query!);
    if (f.tenantId !== undefined) b = b.eq("tenantId", f.tenantId);
    if (f.severity?.length === 1) b = b.eq("severity", f.severity[0] as never);
    if (f.actions?.length === 1) b = b.eq("action", f.actions[0]);
    if (f.category !== undefined) b = b.eq("category", f.category as never);
    if (f.status !== undefined) b = b.eq("status", f.status as never);
    return b;
  });
  // Scan exactly numItems rows: every match among them fits in the page, so the
  // cursor never passes a match it did not return.
  let result;
  try {
    result = await q.paginate({ numItems, cursor: inner });
  } catch (e) {
    if (inner !== null && e instanceof Error && /cursor/i.test(e.message)) {
      throw auditError("INVALID_CURSOR", "the cursor is not valid for this query", "paginationOpts.cursor");
    }
    throw e;
  }
  const page = result.page.filter((e) => matches(e, f));
  return {
    page,
    isDone: result.isDone,
    continueCursor: `${TEXT_PREFIX}${shapeTag}.${result.continueCursor}`,
    scanned: result.page.length,
    plan: { index: "search_text", ranges: 1, covered: false },
  };
}

export const search = query({
  args: {
    filters: vSearchFilters,
    paginationOpts: vPaginationOpts,
    scanBudget: v.optional(v.number()),
  },
  returns: vSearchPage,
  handler: async (ctx, { filters, paginationOpts, scanBudget }) =>
    await searchPage(ctx, filters, paginationOpts, scanBudget),
});
