/**
 * The retention scan: one batch of deletions, as a state machine over the
 * `by_retention` index (severity, tenantId, category, action, timestamp),
 * read as a list of groups, one per (severity, tenant, category, action),
 * each oldest first up to its own cutoff:
 *
 * - preserved severities are never entered (the severity is the first field);
 * - a held tenant is stepped over by range (`tenantId` is the second field),
 *   so its rows are never read, however busy it is;
 * - a group's rows below its cutoff are all expired, so nearly every row read
 *   is deleted. A group is found by reading its oldest row ("skip scan"),
 *   which is deleted too when expired: a group with nothing expired costs one
 *   read. Actor and resource holds, and rows the statistics rollup has not
 *   folded yet, are read and skipped.
 *
 * Progress is counted in rows scanned, not deleted: a batch stops after
 * `batchSize` reads (or near a transaction limit) and returns a cursor to the
 * exact key it reached, so a batch of rows it may not delete still moves on.
 */
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { AuditActions, BUILTIN_ACTIONS } from "../shared/catalog.js";
import { intInRange, oneOf } from "../shared/checks.js";
import { encodeRanges } from "../shared/integrity.js";
import { RETENTION_LIMITS, type CleanupBatchResult, type CleanupTally } from "../shared/retention.js";
import { utf8Compare } from "../shared/text.js";
import { CATEGORIES, LIMITS, SEVERITIES, type Category, type Severity } from "../shared/validators.js";
import { invalidCursor, openJson, sealJson } from "./cursor.js";
import { logEvents } from "./log.js";
import { bytesReadSoFar, eventRange, ReadBudget, type Bounds, type EventDoc } from "./read.js";
import { loadConfig } from "./retentionConfig.js";
import { rollupBatch } from "./rollup.js";
import { sealBatch } from "./sealing.js";
import { rolledUpThrough } from "./statsRead.js";

const DAY = 86_400_000;
// Index order of the category field (ASCII, so JavaScript's order is Convex's).
const CATS: readonly Category[] = [...CATEGORIES].sort();
/** Where retention's own records (kept forever) sit: their category's index in CATS. */
const RECORDS_CATEGORY = CATS.indexOf(BUILTIN_ACTIONS[AuditActions.AUDIT_RETENTION_DELETED].category);
/** A batch folds the statistics of the events it is about to delete itself, while it has read less than this. */
const INLINE_ROLLUP_BEFORE_BYTES = 4 * 1024 * 1024;

// ---------------------------------------------------------------------------
// The plan: what expires, what is held, for one batch.

type Plan = {
  now: number;
  /** Non-preserved severities, in the order the scan visits them. */
  severities: Severity[];
  floorDays: number | undefined;
  defaultDays: number | undefined;
  categoryDays: Map<string, number>;
  actionDays: Map<string, number>;
  /** Actions with their own policy, in index (UTF-8) order. */
  listed: string[];
  heldTenants: Set<string>;
  /** Held tenants in index order: the gaps between them are what the scan reads. */
  heldTenantsSorted: string[];
  heldActors: Set<string>;
  heldResources: Set<string>;
  /** Events created after this are not in the statistics rollups yet; null: none are. */
  horizon: number | null;
  /**
   * The one cutoff of every event when no policy makes one category or
   * action differ from the rest (a call's `olderThanDays` alone, or a
   * single default): each (severity, tenant) is then one range of
   * `by_tenant_severity`.
   */
  uniformCutoff: number | undefined;
};

export const resourceKey = (type: string, id: string) => JSON.stringify([type, id]);

async function makePlan(ctx: QueryCtx, args: { olderThanDays: number | undefined; preserve: Severity[]; now: number }): Promise<Plan> {
  const config = await loadConfig(ctx);
  const actionDays = new Map((config?.actionDays ?? []).map((p) => [p.action, p.days]));
  const heldTenantsSorted = [...(config?.heldTenants ?? [])].sort(utf8Compare);
  const plan: Plan = {
    now: args.now,
    severities: SEVERITIES.filter((s) => !args.preserve.includes(s)),
    floorDays: args.olderThanDays,
    defaultDays: config?.defaultDays,
    categoryDays: new Map((config?.categoryDays ?? []).map((p) => [p.category, p.days])),
    actionDays,
    listed: [...actionDays.keys()].sort(utf8Compare),
    heldTenants: new Set(heldTenantsSorted),
    heldTenantsSorted,
    heldActors: new Set(config?.heldActors ?? []),
    heldResources: new Set((config?.heldResources ?? []).map((r) => resourceKey(r.resourceType, r.resourceId))),
    horizon: await rolledUpThrough(ctx),
    uniformCutoff: undefined,
  };
  // Every category's fallback and every action policy, as the scan would apply them.
  const days = new Set<number | undefined>(CATS.map((c) => retentionDays(plan, c, "")));
  for (const a of plan.listed) days.add(retentionDays(plan, "", a));
  const [only] = days;
  if (days.size === 1 && only !== undefined) plan.uniformCutoff = plan.now - only * DAY;
  return plan;
}

/**
 * Days an event of this category and action is kept. A stored policy (the
 * action's, else the category's, else the default) says how long; a call's
 * `olderThanDays` is a floor on top: a call never deletes what a policy keeps.
 * Undefined: kept forever.
 */
export function retentionDays(
  p: Pick<Plan, "floorDays" | "defaultDays" | "categoryDays" | "actionDays">,
  category: string,
  action: string,
): number | undefined {
  const policy = p.actionDays.get(action) ?? p.categoryDays.get(category) ?? p.defaultDays;
  if (p.floorDays === undefined) return policy;
  return policy === undefined ? p.floorDays : Math.max(policy, p.floorDays);
}

function cutoffOf(p: Plan, category: string, action: string): number | undefined {
  const days = retentionDays(p, category, action);
  return days === undefined ? undefined : p.now - days * DAY;
}

/** How a category's groups are found: all of them, only actions with a policy, or none. */
function categoryMode(p: Plan, category: string): "all" | "listed" | "none" {
  const fallback = p.categoryDays.get(category) ?? p.defaultDays ?? p.floorDays;
  if (fallback !== undefined) return "all";
  return p.listed.length > 0 ? "listed" : "none";
}

// ---------------------------------------------------------------------------
// The scan, as a state machine: each step is one query, and every state is a
// position a cursor can name, so a batch can stop anywhere and the next one
// resume exactly there.

/** Where the scan is: a severity and a tenant (null: the events without one). */
type Where = { severity: Severity; tenant: string | null };
/**
 * The last row visited: its timestamp (null: none yet) and creation time.
 * `keptAtTimestamp`: a row of that millisecond at or before it was kept
 * (held, or not rolled up), so the rest of the millisecond is read apart.
 */
type Mark<T = number> = { timestamp: T; creationTime: number; keptAtTimestamp: boolean };

export type State =
  /** The categories of the tenant after CATS[after] (-1: from the first), found by reading the next row. */
  | (Where & { step: "categories"; after: number })
  /** The groups of category CATS[category] after action `after` (null: from the first). */
  | (Where & { step: "actions"; category: number; after: string | null })
  /** The group (severity, tenant, CATS[category], action), after the marked row. */
  | (Where & { step: "rows"; category: number; action: string } & Mark)
  /** With one cutoff for all: the tenant's rows of the severity on `by_tenant_severity`, after the mark. */
  | (Where & { step: "tenantRows" } & Mark<number | null>)
  /** The tenant is done; find the next one. */
  | (Where & { step: "nextTenant" })
  | { step: "done" };

export type Tally = CleanupTally;
export const emptyTally = (): Tally => ({ scanned: 0, deleted: 0, skippedHeld: 0, skippedNotRolledUp: 0 });

class Batch {
  readonly tally = emptyTally();
  queries = 0;
  /** Leaves whose events this batch deleted: its retention record lists them. */
  readonly deletedSeqs: number[] = [];
  private stopped = false;
  private triedRollup = false;
  private triedSeal = false;
  private readonly sealedNow = new Map<string, number>();

  constructor(
    private readonly ctx: MutationCtx,
    private readonly plan: Plan,
    private readonly reads: ReadBudget,
  ) {}

  private range(bounds: (b: Bounds) => Bounds, index: "by_retention" | "by_tenant_severity" = "by_retention") {
    this.queries += 1;
    return eventRange(this.ctx, index, bounds, "asc");
  }

  /** Rows of `ranges` in turn, each visited; stops at the budget with the position reached. */
  private async scanRanges<S extends Mark<number | null>>(
    st: S,
    cutoff: number,
    ranges: Array<(b: Bounds) => Bounds>,
    index: "by_retention" | "by_tenant_severity",
  ): Promise<S | null> {
    let last = st;
    for (const bounds of ranges) {
      for await (const doc of this.range(bounds, index)) {
        const deleted = await this.visitRow(doc, cutoff);
        last = {
          ...last,
          timestamp: doc.timestamp,
          creationTime: doc._creationTime,
          keptAtTimestamp: (doc.timestamp === last.timestamp && last.keptAtTimestamp) || !deleted,
        };
        if (await this.exhausted()) return last;
      }
    }
    return null;
  }

  /**
   * Strictly after the mark, below the cutoff. When every row of the mark's
   * millisecond up to it was deleted, one range from that millisecond on
   * says the same; otherwise the rest of it is read separately, so no kept
   * row is read twice.
   */
  private static after(prefix: (b: Bounds) => Bounds, mark: Mark<number | null>, cutoff: number): Array<(b: Bounds) => Bounds> {
    const t = mark.timestamp;
    if (t === null) return [(b) => prefix(b).lt("timestamp", cutoff)];
    return mark.keptAtTimestamp
      ? [(b) => prefix(b).eq("timestamp", t).gt("_creationTime", mark.creationTime), (b) => prefix(b).gt("timestamp", t).lt("timestamp", cutoff)]
      : [(b) => prefix(b).gte("timestamp", t).lt("timestamp", cutoff)];
  }

  private groupPrefix(w: Where, category?: string, action?: string) {
    return (b: Bounds) => {
      b = b.eq("severity", w.severity).eq("tenantId", w.tenant ?? undefined);
      if (category !== undefined) b = b.eq("category", category);
      if (action !== undefined) b = b.eq("action", action);
      return b;
    };
  }

  /** Deletes the row if it is expired and nothing holds it; counts it as scanned either way. */
  private async visitRow(doc: EventDoc, cutoff: number | undefined): Promise<boolean> {
    const p = this.plan;
    this.tally.scanned += 1;
    if (cutoff === undefined || doc.timestamp >= cutoff) return false;
    const held =
      (doc.tenantId !== undefined && p.heldTenants.has(doc.tenantId)) ||
      (doc.actorId !== undefined && p.heldActors.has(doc.actorId)) ||
      (doc.resourceType !== undefined && doc.resourceId !== undefined && p.heldResources.has(resourceKey(doc.resourceType, doc.resourceId)));
    if (held) {
      this.tally.skippedHeld += 1;
      return false;
    }
    // Retention's own records of what it deleted are what tells an expired leaf from a deleted one: kept.
    if (doc.action === AuditActions.AUDIT_RETENTION_DELETED) return false;
    // Statistics count every event exactly from rollups plus the raw tail:
    // deleting an event the rollup has not folded yet would lose it from them.
    if (!this.rolledUp(doc)) await this.rollUp();
    if (!this.rolledUp(doc)) {
      this.tally.skippedNotRolledUp += 1;
      return false;
    }
    // The transparency log keeps a leaf for every event: an event is sealed before it may go.
    let seq = doc.seq ?? this.sealedNow.get(doc._id);
    if (seq === undefined) {
      await this.sealUp();
      seq = this.sealedNow.get(doc._id);
    }
    if (seq === undefined) {
      this.tally.skippedNotRolledUp += 1;
      return false;
    }
    await this.ctx.db.delete(doc._id);
    this.deletedSeqs.push(seq);
    this.tally.deleted += 1;
    return true;
  }

  /** Seals the next events now, once per batch, as `rollUp` folds them: cleanup never waits for the sealing cron. */
  private async sealUp(): Promise<void> {
    if (this.triedSeal) return;
    this.triedSeal = true;
    const read = (await bytesReadSoFar(this.ctx)) ?? 0;
    if (read > INLINE_ROLLUP_BEFORE_BYTES) return;
    await sealBatch(this.ctx, { onSealed: (id, seq) => this.sealedNow.set(id, seq) });
  }

  private rolledUp(doc: EventDoc): boolean {
    return this.plan.horizon !== null && doc._creationTime <= this.plan.horizon;
  }

  /**
   * Folds the next events into the statistics now, once per batch, so
   * cleanup never waits for the rollup's cron (which convex-test does not
   * run): what this batch is about to delete is counted first. Skipped when
   * the batch has read much already; the next batch starts with it.
   */
  private async rollUp(): Promise<void> {
    if (this.triedRollup) return;
    this.triedRollup = true;
    const read = (await bytesReadSoFar(this.ctx)) ?? 0;
    if (read > INLINE_ROLLUP_BEFORE_BYTES) return;
    this.plan.horizon = (await rollupBatch(this.ctx)).rolledUpThrough;
  }

  /**
   * The first row of the category after action `after`, stepping over
   * retention's own records by range (two probes, neither reads a record):
   * they are kept forever, so reading them would only spend the batch.
   */
  private async firstAround(prefix: (b: Bounds) => Bounds, after: string | null): Promise<EventDoc | null> {
    const R = AuditActions.AUDIT_RETENTION_DELETED;
    if (after === null || utf8Compare(after, R) < 0) {
      const below = await this.range((b) => (after === null ? prefix(b) : prefix(b).gt("action", after)).lt("action", R)).first();
      if (below !== null) return below;
    }
    return await this.range((b) => prefix(b).gt("action", after !== null && utf8Compare(after, R) > 0 ? after : R)).first();
  }

  /** A group's oldest row, just found: it is the group's first scanned row. */
  private async enterGroup(w: Where, category: number, doc: EventDoc): Promise<State> {
    const deleted = await this.visitRow(doc, cutoffOf(this.plan, doc.category, doc.action));
    return { ...w, step: "rows", category, action: doc.action, timestamp: doc.timestamp, creationTime: doc._creationTime, keptAtTimestamp: !deleted };
  }

  /** The first row of the tenant from its category on: every group before it is empty. */
  private async enterCategory(w: Where, doc: EventDoc): Promise<State> {
    const category = CATS.indexOf(doc.category);
    const mode = categoryMode(this.plan, doc.category);
    if (mode === "all" || (mode === "listed" && this.plan.actionDays.has(doc.action))) return await this.enterGroup(w, category, doc);
    this.tally.scanned += 1; // read to find the category; nothing in its group expires
    return mode === "listed" ? { ...w, step: "actions", category, after: null } : { ...w, step: "categories", after: category };
  }

  async exhausted(): Promise<boolean> {
    if (!this.stopped) {
      this.stopped = this.queries >= RETENTION_LIMITS.queryBudget || (await this.reads.stop(this.tally.scanned)) !== undefined;
    }
    return this.stopped;
  }

  private nextSeverity(severity: Severity): State {
    const next = this.plan.severities[this.plan.severities.indexOf(severity) + 1];
    return next === undefined ? { step: "done" } : { step: "categories", severity: next, tenant: null, after: -1 };
  }

  async step(st: State): Promise<State> {
    const p = this.plan;
    if (st.step === "done") return st;
    if (!p.severities.includes(st.severity)) throw new Error("retention: a cursor names a preserved severity");
    const where: Where = { severity: st.severity, tenant: st.tenant };
    const nextTenant: State = { ...where, step: "nextTenant" };
    // A hold placed mid-run takes effect at once: leave the tenant.
    if (st.step !== "nextTenant" && st.tenant !== null && p.heldTenants.has(st.tenant)) return nextTenant;

    switch (st.step) {
      case "tenantRows": {
        // Policies changed mid-run so that cutoffs now differ: redo this tenant group by group.
        if (p.uniformCutoff === undefined) return { ...where, step: "categories", after: -1 };
        const prefix = (b: Bounds) => b.eq("tenantId", st.tenant ?? undefined).eq("severity", st.severity);
        return (await this.scanRanges(st, p.uniformCutoff, Batch.after(prefix, st, p.uniformCutoff), "by_tenant_severity")) ?? nextTenant;
      }
      case "categories": {
        if (st.after < 0 && p.uniformCutoff !== undefined) {
          return { ...where, step: "tenantRows", timestamp: null, creationTime: 0, keptAtTimestamp: false };
        }
        if (st.after >= CATS.length - 1) return nextTenant;
        const prefix = this.groupPrefix(where);
        const after = st.after;
        // The categories before the one retention records sit in, then that one around them.
        let doc: EventDoc | null = null;
        if (after < RECORDS_CATEGORY) {
          doc = await this.range((b) => (after < 0 ? prefix(b) : prefix(b).gt("category", CATS[after])).lt("category", CATS[RECORDS_CATEGORY])).first();
        }
        doc ??= await this.firstAround(this.groupPrefix(where, CATS[RECORDS_CATEGORY]), null);
        return doc === null ? nextTenant : await this.enterCategory(where, doc);
      }
      case "actions": {
        const c = CATS[st.category];
        const mode = categoryMode(p, c);
        const nextCategory: State = { ...where, step: "categories", after: st.category };
        if (mode === "none") return nextCategory;
        const after = st.after;
        if (mode === "all") {
          const prefix = this.groupPrefix(where, c);
          const doc =
            st.category === RECORDS_CATEGORY
              ? await this.firstAround(prefix, after)
              : await this.range((b) => (after === null ? prefix(b) : prefix(b).gt("action", after))).first();
          return doc === null ? nextCategory : await this.enterGroup(where, st.category, doc);
        }
        // Only actions with their own policy expire here: probe each, reading nothing else.
        const action = p.listed.find((x) => (after === null || utf8Compare(x, after) > 0) && x !== AuditActions.AUDIT_RETENTION_DELETED);
        if (action === undefined) return nextCategory;
        const doc = await this.range(this.groupPrefix(where, c, action)).first();
        return doc === null ? { ...st, after: action } : await this.enterGroup(where, st.category, doc);
      }
      case "rows": {
        const c = CATS[st.category];
        const cutoff = cutoffOf(p, c, st.action);
        const done: State = { ...where, step: "actions", category: st.category, after: st.action };
        if (cutoff === undefined || st.timestamp >= cutoff) return done;
        const prefix = this.groupPrefix(where, c, st.action);
        return (await this.scanRanges(st, cutoff, Batch.after(prefix, st, cutoff), "by_retention")) ?? done;
      }
      case "nextTenant": {
        // The next tenant after this one in this severity, in the gap before the next held tenant.
        const lower = st.tenant;
        const held = p.heldTenantsSorted.find((h) => lower === null || utf8Compare(h, lower) > 0);
        const doc = await this.range((b) => {
          b = b.eq("severity", st.severity);
          b = lower === null ? b.gte("tenantId", "") : b.gt("tenantId", lower);
          return held === undefined ? b : b.lt("tenantId", held);
        }).first();
        if (doc === null) return held === undefined ? this.nextSeverity(st.severity) : { ...where, step: "nextTenant", tenant: held };
        const found: Where = { severity: st.severity, tenant: doc.tenantId ?? null };
        if (p.uniformCutoff === undefined) return await this.enterCategory(found, doc);
        // Read to find the tenant: deleted if expired, then the tenant's one range.
        await this.visitRow(doc, p.uniformCutoff);
        return { ...found, step: "tenantRows", timestamp: null, creationTime: 0, keptAtTimestamp: false };
      }
    }
  }
}

// ---------------------------------------------------------------------------
// Cursors: where a run stopped, the clock it measures cutoffs from, and its
// totals so far (for the one summary event a run logs when it completes).
// The state travels with short field names; in memory it has the long ones.

export type Position = { now: number; state: State; tally: Tally };

type Wire =
  | { k: "cat"; s: Severity; T: string | null; ci: number }
  | { k: "act"; s: Severity; T: string | null; ci: number; a: string | null }
  | { k: "row"; s: Severity; T: string | null; ci: number; a: string; t: number; ct: number; kt: boolean }
  | { k: "one"; s: Severity; T: string | null; t: number | null; ct: number; kt: boolean }
  | { k: "ten"; s: Severity; T: string | null }
  | { k: "done" };

function toWire(st: State): Wire {
  if (st.step === "done") return { k: "done" };
  const w = { s: st.severity, T: st.tenant };
  switch (st.step) {
    case "categories":
      return { k: "cat", ...w, ci: st.after };
    case "actions":
      return { k: "act", ...w, ci: st.category, a: st.after };
    case "rows":
      return { k: "row", ...w, ci: st.category, a: st.action, t: st.timestamp, ct: st.creationTime, kt: st.keptAtTimestamp };
    case "tenantRows":
      return { k: "one", ...w, t: st.timestamp, ct: st.creationTime, kt: st.keptAtTimestamp };
    case "nextTenant":
      return { k: "ten", ...w };
  }
}

const isCount = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0;
const isTime = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n);
const isKey = (s: unknown) => typeof s === "string" && s.length <= LIMITS.maxIdLength;
const isAction = (a: unknown): a is string => typeof a === "string" && a.length > 0 && a.length <= LIMITS.maxActionLength;

/** The state a cursor names, checked field by field: a cursor is input like any other. */
function fromWire(x: Partial<Record<string, unknown>>, severities: Severity[], bad: () => Error): State {
  if (x.k === "done") return { step: "done" };
  if (!severities.includes(x.s as Severity) || !(x.T === null || isKey(x.T))) throw bad();
  const w: Where = { severity: x.s as Severity, tenant: x.T as string | null };
  if (x.k === "ten") return { ...w, step: "nextTenant" };
  if (x.k === "one") {
    if ((x.t === null || isTime(x.t)) && isTime(x.ct) && typeof x.kt === "boolean") {
      return { ...w, step: "tenantRows", timestamp: x.t, creationTime: x.ct, keptAtTimestamp: x.kt };
    }
    throw bad();
  }
  const ci = x.ci;
  if (typeof ci !== "number" || !Number.isInteger(ci) || ci < -1 || ci >= CATS.length) throw bad();
  if (x.k === "cat") return { ...w, step: "categories", after: ci };
  if (ci < 0) throw bad();
  if (x.k === "act" && (x.a === null || isAction(x.a))) return { ...w, step: "actions", category: ci, after: x.a };
  if (x.k === "row" && isAction(x.a) && isTime(x.t) && isTime(x.ct) && typeof x.kt === "boolean") {
    return { ...w, step: "rows", category: ci, action: x.a, timestamp: x.t, creationTime: x.ct, keptAtTimestamp: x.kt };
  }
  throw bad();
}

export function shapeOf(olderThanDays: number | undefined, preserve: Severity[]): string {
  return JSON.stringify(["cleanup", olderThanDays ?? null, preserve]);
}

export async function encodeCleanupCursor(ctx: QueryCtx, shape: string, at: Position): Promise<string> {
  return await sealJson(ctx, "cleanup", shape, { now: at.now, st: toWire(at.state), tally: at.tally });
}

export async function decodeCleanupCursor(ctx: QueryCtx, shape: string, cursor: string, severities: Severity[], field = "cursor"): Promise<Position> {
  const bad = () => invalidCursor(field, false);
  const body = (await openJson(ctx, "cleanup", shape, cursor, field)) as Partial<Record<string, unknown>> | null;
  if (typeof body !== "object" || body === null) throw bad();
  // A cursor cannot move the clock forward: at most now, so it never expires more than a fresh call would.
  if (!isTime(body.now) || body.now > Date.now()) throw bad();
  const t = body.tally as Partial<Tally> | undefined;
  if (!t || !isCount(t.scanned) || !isCount(t.deleted) || !isCount(t.skippedHeld) || !isCount(t.skippedNotRolledUp)) throw bad();
  if (typeof body.st !== "object" || body.st === null) throw bad();
  const tally: Tally = { scanned: t.scanned!, deleted: t.deleted!, skippedHeld: t.skippedHeld!, skippedNotRolledUp: t.skippedNotRolledUp! };
  return { now: body.now, state: fromWire(body.st as Partial<Record<string, unknown>>, severities, bad), tally };
}

// ---------------------------------------------------------------------------
// One batch, shared by direct calls, explicit cursors and background runs.

export type CleanupArgs = { olderThanDays?: number; preserveSeverity?: string[]; batchSize?: number };
export type Checked = { olderThanDays: number | undefined; preserve: Severity[]; batchSize: number; shape: string };

export function checkArgs(args: CleanupArgs, defaultBatch: number): Checked {
  const olderThanDays =
    args.olderThanDays === undefined ? undefined : intInRange(args.olderThanDays, 1, RETENTION_LIMITS.maxDays, "olderThanDays", "an integer number of days");
  const preserved = new Set((args.preserveSeverity ?? []).map((s, i) => oneOf(s, SEVERITIES, `preserveSeverity[${i}]`, "INVALID_SEVERITY")));
  const preserve = SEVERITIES.filter((s) => preserved.has(s));
  const batchSize = intInRange(args.batchSize ?? defaultBatch, 1, RETENTION_LIMITS.maxBatchSize, "batchSize");
  return { olderThanDays, preserve, batchSize, shape: shapeOf(olderThanDays, preserve) };
}

export const severitiesOf = (checked: Pick<Checked, "preserve">) => SEVERITIES.filter((s) => !checked.preserve.includes(s));

/** Where a run starts: its first severity's events without a tenant. */
export function startPosition(checked: Pick<Checked, "preserve">, now: number): Position {
  const [first] = severitiesOf(checked);
  const state: State = first === undefined ? { step: "done" } : { step: "categories", severity: first, tenant: null, after: -1 };
  return { now, state, tally: emptyTally() };
}

/** One batch from `at`, up to `batchSize` rows read (times `scale` for a resumed run). */
export async function runBatch(ctx: MutationCtx, checked: Checked, at: Position, scale = 1): Promise<CleanupBatchResult> {
  const plan = await makePlan(ctx, { olderThanDays: checked.olderThanDays, preserve: checked.preserve, now: at.now });
  const reads = await ReadBudget.start(ctx, { documents: Math.max(1, Math.floor(checked.batchSize * scale)), checkEvery: 1 });
  const batch = new Batch(ctx, plan, reads);
  // No olderThanDays and no policy that covers anything: nothing can expire, nothing to read.
  const nothingExpires = CATS.every((c) => categoryMode(plan, c) === "none");
  let st: State = nothingExpires ? { step: "done" } : at.state;
  // At least one step per batch, so every batch moves the position.
  while (st.step !== "done") {
    st = await batch.step(st);
    if (await batch.exhausted()) break;
  }
  if (batch.deletedSeqs.length > 0) await logRetentionRecord(ctx, batch.deletedSeqs);
  const b = batch.tally;
  const run: Tally = {
    scanned: at.tally.scanned + b.scanned,
    deleted: at.tally.deleted + b.deleted,
    skippedHeld: at.tally.skippedHeld + b.skippedHeld,
    skippedNotRolledUp: at.tally.skippedNotRolledUp + b.skippedNotRolledUp,
  };
  return {
    ...b,
    isDone: st.step === "done",
    continueCursor: await encodeCleanupCursor(ctx, checked.shape, { now: at.now, state: st, tally: run }),
    now: at.now,
    run,
  };
}

/**
 * What a batch deleted, in the log itself: one sealed event listing the
 * leaves whose events are gone, in the same transaction as the deletions. A
 * verifier reports a leaf it lists as expired, any other missing event as
 * deleted; retention never deletes these records.
 */
async function logRetentionRecord(ctx: MutationCtx, seqs: number[]): Promise<void> {
  await logEvents(
    ctx,
    [
      {
        action: AuditActions.AUDIT_RETENTION_DELETED,
        actor: { type: "system" },
        summary: `Retention deleted ${seqs.length} expired events`,
        metadata: { seqs: encodeRanges(seqs), count: seqs.length },
      },
    ],
    // A batch deletes at most 4,000 events: their list fits well within Convex's document limit.
    { maxEventBytes: LIMITS.maxEventBytes },
    () => "",
  );
}
