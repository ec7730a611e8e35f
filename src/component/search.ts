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
import { query, type QueryCtx } from "./_generated/server.js";
import { checkPageSize, intInRange } from "../shared/checks.js";
import {
  matches,
  normalizeFilters,
  scopedFilters,
  vReadScope,
  vSearchFilters,
  vSearchPage,
  type FilterName,
  type ReadScope,
  type SearchFilters,
  type SearchPage,
} from "../shared/filters.js";
import { vPaginationOpts } from "../shared/validators.js";
import { decodePosition, encodePosition, invalidCursor, openCursor, sealCursor } from "./cursor.js";
import { MergedRanges, positionOf, ReadBudget, type EventDoc, type EventIndex, type RangeSpec } from "./read.js";

export const SEARCH_LIMITS = {
  /** More ranges than this cost more in look-ahead reads than a wider range with a filter. */
  maxRanges: 12,
  defaultScanBudget: 2000,
  maxScanBudget: 10_000,
  /** Stop a page well inside Convex's 16 MiB read limit, whatever the event sizes. */
  maxBytesPerPage: 8 * 1024 * 1024,
} as const;

/**
 * The indexes a filter can drive a read with, without and with a tenant
 * (tenant-first, so a tenant's search never reads another tenant's rows).
 * `tags` has none: no index holds an array's elements.
 */
const DRIVING: Record<Exclude<FilterName, "tags" | "resourceId">, readonly [EventIndex, EventIndex]> = {
  resourceType: ["by_resource", "by_tenant_resource"],
  actorIds: ["by_actor", "by_tenant_actor"],
  actions: ["by_action", "by_tenant_action"],
  status: ["by_status", "by_tenant_status"],
  severity: ["by_severity", "by_tenant_severity"],
  category: ["by_category", "by_tenant_category"],
  tenantId: ["by_tenant", "by_tenant"],
};

type Eq = Array<readonly [string, string | undefined]>;
export type Plan = { index: EventIndex; specs: RangeSpec[]; covers: Set<FilterName> };

/**
 * The driving ranges, most selective shape first: a resource, then actors
 * (with their actions when the product of the two lists is small), actions,
 * failures, severities without `info`, a category, any severity or status, the
 * tenant, and last the whole log by time.
 */
export function plan(f: SearchFilters, scope?: ReadScope): Plan {
  const tenant = f.tenantId !== undefined;
  const pre: Eq = tenant ? [["tenantId", f.tenantId]] : [];
  const index = (name: keyof typeof DRIVING) => DRIVING[name][tenant ? 1 : 0];
  const covers = (...keys: FilterName[]) => new Set<FilterName>([...(tenant ? (["tenantId"] as const) : []), ...keys]);
  const ranges = (at: EventIndex, eqs: Eq[], ...keys: FilterName[]): Plan => ({
    index: at,
    specs: eqs.map((eq) => ({ index: at, eq: [...pre, ...eq] })),
    covers: covers(...keys),
  });
  const max = SEARCH_LIMITS.maxRanges;

  // Under an actor's scope every read is that actor's range, so what a page
  // reads, and says it read, never depends on anyone else's events.
  const scoped = scope?.actorId !== undefined;
  if (!scoped && f.resourceType !== undefined && f.resourceId !== undefined) {
    return ranges(index("resourceType"), [[["resourceType", f.resourceType], ["resourceId", f.resourceId]]], "resourceType", "resourceId");
  }
  if (f.actorIds && f.actions && (f.actorIds.length * f.actions.length <= max || scoped)) {
    const at: EventIndex = tenant ? "by_tenant_actor_action" : "by_actor_action";
    const eqs = f.actorIds.flatMap((actorId) => f.actions!.map((action): Eq => [["actorId", actorId], ["action", action]]));
    return ranges(at, eqs, "actorIds", "actions");
  }
  if (f.actorIds && f.actorIds.length <= max) return ranges(index("actorIds"), f.actorIds.map((a): Eq => [["actorId", a]]), "actorIds");
  if (f.actions && f.actions.length <= max) return ranges(index("actions"), f.actions.map((a): Eq => [["action", a]]), "actions");
  if (f.status === "failure") return ranges(index("status"), [[["status", "failure"]]], "status");
  const bySeverity = () => ranges(index("severity"), f.severity!.map((s): Eq => [["severity", s]]), "severity");
  if (f.severity && !f.severity.includes("info")) return bySeverity();
  if (f.category !== undefined) return ranges(index("category"), [[["category", f.category]]], "category");
  if (f.severity) return bySeverity();
  if (f.status !== undefined) return ranges(index("status"), [[["status", f.status]]], "status");
  if (tenant) return ranges("by_tenant", [[]]);
  return { index: "by_timestamp", specs: [{ index: "by_timestamp", eq: [] }], covers: new Set() };
}

/** True when the plan's ranges hold only matching rows: then reads ≈ rows. */
export function isCovered(f: SearchFilters, p: Plan): boolean {
  return (Object.keys(f) as Array<keyof SearchFilters>).every(
    (k) => k === "fromTimestamp" || k === "toTimestamp" || k === "query" || p.covers.has(k),
  );
}

export async function searchPage(
  ctx: QueryCtx,
  filters: SearchFilters,
  paginationOpts: Pick<PaginationOptions, "numItems" | "cursor">,
  scanBudget?: number,
  scope?: ReadScope,
): Promise<SearchPage> {
  const f = normalizeFilters(scopedFilters(filters, scope, { what: "search" }));
  const numItems = checkPageSize(paginationOpts.numItems);
  const budget =
    scanBudget === undefined
      ? Math.max(SEARCH_LIMITS.defaultScanBudget, numItems)
      : intInRange(scanBudget, numItems, SEARCH_LIMITS.maxScanBudget, "scanBudget");
  if (f.query !== undefined) return await textPage(ctx, f, numItems, paginationOpts.cursor);

  const p = plan(f, scope);
  const shape = JSON.stringify(["search", f, scope?.actorId !== undefined]);
  const planInfo = { index: p.index, ranges: p.specs.length, covered: isCovered(f, p) };
  const start = paginationOpts.cursor === null ? undefined : await decodePosition(ctx, shape, paginationOpts.cursor, "paginationOpts.cursor");
  if (start === "end") return { page: [], isDone: true, continueCursor: await encodePosition(ctx, shape, "end"), scanned: 0, plan: planInfo };

  const rows = await MergedRanges.open(ctx, p.specs, { fromTimestamp: f.fromTimestamp, toTimestamp: f.toTimestamp }, start);
  const reads = await ReadBudget.start(ctx, { documents: budget, bytes: SEARCH_LIMITS.maxBytesPerPage });
  const page: EventDoc[] = [];
  for (;;) {
    const doc = await rows.next();
    if (doc === null) {
      return { page, isDone: true, continueCursor: await encodePosition(ctx, shape, "end"), scanned: rows.scanned, plan: planInfo };
    }
    if (matches(doc, f)) page.push(doc);
    if (page.length >= numItems || (await reads.stop(rows.scanned)) !== undefined) {
      return { page, isDone: false, continueCursor: await encodePosition(ctx, shape, positionOf(doc)), scanned: rows.scanned, plan: planInfo };
    }
  }
}

/** Free-text search: Convex's search index, by relevance, other filters applied while scanning. */
async function textPage(ctx: QueryCtx, f: SearchFilters, numItems: number, cursor: string | null): Promise<SearchPage> {
  const shape = JSON.stringify(["text", f]);
  const inner = cursor === null ? null : await openCursor(ctx, "text", shape, cursor, "paginationOpts.cursor");
  const q = ctx.db.query("events").withSearchIndex("search_text", (s) => {
    let b = s.search("searchText", f.query!);
    if (f.tenantId !== undefined) b = b.eq("tenantId", f.tenantId);
    if (f.severity?.length === 1) b = b.eq("severity", f.severity[0] as never);
    if (f.actions?.length === 1) b = b.eq("action", f.actions[0]);
    if (f.category !== undefined) b = b.eq("category", f.category as never);
    if (f.status !== undefined) b = b.eq("status", f.status as never);
    // One actor (always, under an actor's scope): only their events are read.
    if (f.actorIds?.length === 1) b = b.eq("actorId", f.actorIds[0]);
    return b;
  });
  // Scan exactly numItems rows: every match among them fits in the page, so the
  // cursor never passes a match it did not return.
  let result;
  try {
    result = await q.paginate({ numItems, cursor: inner });
  } catch (e) {
    if (inner !== null && e instanceof Error && /cursor/i.test(e.message)) throw invalidCursor("paginationOpts.cursor", false);
    throw e;
  }
  return {
    page: result.page.filter((e) => matches(e, f)),
    isDone: result.isDone,
    continueCursor: await sealCursor(ctx, "text", shape, result.continueCursor),
    scanned: result.page.length,
    plan: { index: "search_text", ranges: 1, covered: false },
  };
}

export const search = query({
  args: { filters: vSearchFilters, paginationOpts: vPaginationOpts, scanBudget: v.optional(v.number()), scope: v.optional(vReadScope) },
  returns: vSearchPage,
  handler: async (ctx, { filters, paginationOpts, scanBudget, scope }) => await searchPage(ctx, filters, paginationOpts, scanBudget, scope),
});
