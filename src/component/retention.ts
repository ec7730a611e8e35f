/**
 * Retention: `cleanup` (one batch, the seed's call), background runs that
 * reschedule themselves until nothing expired is left, per-category and
 * per-action policies, and legal holds.
 *
 * A cleanup scan walks the `by_retention` index (severity, tenantId,
 * category, action, timestamp) as a list of groups, one per (severity,
 * tenant, category, action), each read oldest first up to its own cutoff:
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
import { paginationOptsValidator } from "convex/server";
import { v, type Infer } from "convex/values";
import { internal } from "./_generated/api.js";
import type { Doc, Id } from "./_generated/dataModel.js";
import { internalMutation, mutation, query, type MutationCtx, type QueryCtx } from "./_generated/server.js";
import { logEventsHandler } from "./log.js";
import { rolledUpThrough } from "./stats.js";
import { retentionHoldFields, retentionRunFields } from "./schema.js";
import { auditError } from "../shared/errors.js";
import {
  CATEGORIES,
  LIMITS,
  SEVERITIES,
  vCategory,
  type Category,
  type EventInput,
  type Severity,
} from "../shared/validators.js";

const DAY = 86_400_000;
export const RETENTION_LIMITS = {
  /** A hundred years: anything longer is a typo, and `now - days` must stay a sane timestamp. */
  maxDays: 36_500,
  maxBatchSize: 4000,
  defaultBatchSize: 100,
  defaultRunBatchSize: 1000,
  maxHolds: 500,
  maxActionPolicies: 100,
  maxReasonLength: 1024,
  /** Queries one batch may issue (Convex allows 4,096 per transaction, the caller's included). */
  queryBudget: 1000,
  /** A run whose batches stopped this long ago (a crash) no longer blocks a new one. */
  staleRunMs: 15 * 60_000,
} as const;

type EventDocument = Doc<"events">;
type Config = Doc<"retentionConfig">;

// Index order of the category field (ASCII, so JavaScript's order is Convex's).
const CATS: readonly Category[] = [...CATEGORIES].sort();

/** Convex orders strings by their UTF-8 bytes; JavaScript's `<` compares UTF-16 units. */
const encoder = new TextEncoder();
export function utf8Compare(a: string, b: string): number {
  const x = encoder.encode(a);
  const y = encoder.encode(b);
  const n = Math.min(x.length, y.length);
  for (let i = 0; i < n; i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

// ---------------------------------------------------------------------------
// Input checks: a bad argument is a typed error, and nothing is written.

function checkDays(days: unknown, field: string): number {
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1 || days > RETENTION_LIMITS.maxDays) {
    throw auditError("INVALID_ARGUMENT", `${field} must be an integer number of days from 1 to ${RETENTION_LIMITS.maxDays}`, field);
  }
  return days;
}

function checkBatchSize(n: unknown, fallback: number): number {
  if (n === undefined) return fallback;
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > RETENTION_LIMITS.maxBatchSize) {
    throw auditError("INVALID_ARGUMENT", `batchSize must be an integer from 1 to ${RETENTION_LIMITS.maxBatchSize}`, "batchSize");
  }
  return n;
}

function checkPreserve(list: readonly string[] | undefined): Severity[] {
  if (list === undefined) return [];
  const out = new Set<Severity>();
  list.forEach((s, i) => {
    if (!(SEVERITIES as readonly string[]).includes(s)) {
      throw auditError("INVALID_SEVERITY", `preserveSeverity[${i}] ${JSON.stringify(s)} is not one of ${SEVERITIES.join(", ")}`, `preserveSeverity[${i}]`);
    }
    out.add(s as Severity);
  });
  return SEVERITIES.filter((s) => out.has(s));
}

function checkKey(value: unknown, field: string, max: number = LIMITS.maxIdLength): string {
  if (typeof value !== "string" || value.trim().length === 0 || value.length > max) {
    throw auditError("INVALID_ARGUMENT", `${field} must be a non-empty string of at most ${max} characters`, field);
  }
  return value;
}

function checkOptionalText(value: string | undefined, field: string, max: number): void {
  if (value !== undefined && (typeof value !== "string" || value.length > max)) {
    throw auditError("INVALID_ARGUMENT", `${field} must be a string of at most ${max} characters`, field);
  }
}

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
   * action differ from the rest (the seed's call; a single default): each
   * (severity, tenant) is then one range of `by_tenant_severity`.
   */
  uniformCutoff: number | undefined;
};

const resourceKey = (type: string, id: string) => JSON.stringify([type, id]);

async function loadConfig(ctx: QueryCtx): Promise<Config | null> {
  return await ctx.db.query("retentionConfig").first();
}

async function makePlan(
  ctx: QueryCtx,
  args: { olderThanDays: number | undefined; preserve: Severity[]; now: number },
): Promise<Plan> {
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

type State =
  /** The categories of tenant T after CATS[ci] (-1: from the first), found by reading the next row. */
  | { k: "cat"; s: Severity; T: string | null; ci: number }
  /** The groups of category CATS[ci] after action `a` (null: from the first). */
  | { k: "act"; s: Severity; T: string | null; ci: number; a: string | null }
  /**
   * Group (s, T, CATS[ci], a), after the row (t, ct). `kt`: a row of
   * millisecond t at or before the cursor was kept (held, or not rolled up).
   */
  | { k: "row"; s: Severity; T: string | null; ci: number; a: string; t: number; ct: number; kt: boolean }
  /** With one cutoff for all: (s, T) on `by_tenant_severity`, after (t, ct) (t null: from the start). */
  | { k: "one"; s: Severity; T: string | null; t: number | null; ct: number; kt: boolean }
  /** Tenant T is done (null: the events without a tenant); find the next one. */
  | { k: "ten"; s: Severity; T: string | null }
  | { k: "done" };

type Tally = { scanned: number; deleted: number; skippedHeld: number; skippedNotRolledUp: number };
const emptyTally = (): Tally => ({ scanned: 0, deleted: 0, skippedHeld: 0, skippedNotRolledUp: 0 });

type Builder = {
  eq(field: string, value: unknown): Builder;
  gt(field: string, value: unknown): Builder;
  gte(field: string, value: unknown): Builder;
  lt(field: string, value: unknown): Builder;
};

class Batch {
  readonly tally = emptyTally();
  queries = 0;
  private stop = false;

  constructor(
    private readonly ctx: MutationCtx,
    private readonly plan: Plan,
    private readonly batchSize: number,
  ) {}

  private range(bounds: (b: Builder) => Builder, index: "by_retention" | "by_tenant_severity" = "by_retention") {
    this.queries += 1;
    return this.ctx.db
      .query("events")
      .withIndex(index, (q) => bounds(q as unknown as Builder) as never)
      .order("asc");
  }

  /** Rows of `ranges` in turn, each visited; stops at the budget with the position reached. */
  private async scanRanges<S extends { t: number | null; ct: number; kt: boolean }>(
    st: S,
    cutoff: number,
    ranges: Array<(b: Builder) => Builder>,
    index: "by_retention" | "by_tenant_severity",
  ): Promise<S | null> {
    let last = st;
    for (const bounds of ranges) {
      for await (const doc of this.range(bounds, index)) {
        const deleted = await this.visitRow(doc, cutoff);
        last = { ...last, t: doc.timestamp, ct: doc._creationTime, kt: (doc.timestamp === last.t && last.kt) || !deleted };
        if (await this.exhausted()) return last;
      }
    }
    return null;
  }

  /**
   * Strictly after (t, ct) below the cutoff. When every row of millisecond t
   * up to the cursor was deleted, one range from t on says the same;
   * otherwise the rest of t is read separately, so no kept row is read twice.
   */
  private static after(
    prefix: (b: Builder) => Builder,
    st: { t: number | null; ct: number; kt: boolean },
    cutoff: number,
  ): Array<(b: Builder) => Builder> {
    const t = st.t;
    if (t === null) return [(b) => prefix(b).lt("timestamp", cutoff)];
    return st.kt
      ? [(b) => prefix(b).eq("timestamp", t).gt("_creationTime", st.ct), (b) => prefix(b).gt("timestamp", t).lt("timestamp", cutoff)]
      : [(b) => prefix(b).gte("timestamp", t).lt("timestamp", cutoff)];
  }

  private groupPrefix(s: Severity, T: string | null, c?: string, a?: string) {
    return (b: Builder) => {
      b = b.eq("severity", s).eq("tenantId", T ?? undefined);
      if (c !== undefined) b = b.eq("category", c);
      if (a !== undefined) b = b.eq("action", a);
      return b;
    };
  }

  /** Deletes the row if it is expired and nothing holds it; counts it as scanned either way. */
  private async visitRow(doc: EventDocument, cutoff: number | undefined): Promise<boolean> {
    const p = this.plan;
    this.tally.scanned += 1;
    if (cutoff === undefined || doc.timestamp >= cutoff) return false;
    const held =
      (doc.tenantId !== undefined && p.heldTenants.has(doc.tenantId)) ||
      (doc.actorId !== undefined && p.heldActors.has(doc.actorId)) ||
      (doc.resourceType !== undefined &&
        doc.resourceId !== undefined &&
        p.heldResources.has(resourceKey(doc.resourceType, doc.resourceId)));
    if (held) {
      this.tally.skippedHeld += 1;
      return false;
    }
    // Statistics count every event exactly from rollups plus the raw tail:
    // deleting an event the rollup has not folded yet would lose it from them.
    if (p.horizon === null || doc._creationTime > p.horizon) {
      this.tally.skippedNotRolledUp += 1;
      return false;
    }
    await this.ctx.db.delete(doc._id);
    this.tally.deleted += 1;
    return true;
  }

  /** A group's oldest row, just found: it is the group's first scanned row. */
  private async enterGroup(s: Severity, T: string | null, ci: number, doc: EventDocument): Promise<State> {
    const deleted = await this.visitRow(doc, cutoffOf(this.plan, doc.category, doc.action));
    return { k: "row", s, T, ci, a: doc.action, t: doc.timestamp, ct: doc._creationTime, kt: !deleted };
  }

  /** The first row of tenant T from its category on: every group before it is empty. */
  private async enterCategory(s: Severity, T: string | null, doc: EventDocument): Promise<State> {
    const ci = CATS.indexOf(doc.category);
    const mode = categoryMode(this.plan, doc.category);
    if (mode === "all" || (mode === "listed" && this.plan.actionDays.has(doc.action))) return await this.enterGroup(s, T, ci, doc);
    this.tally.scanned += 1; // read to find the category; nothing in its group expires
    return mode === "listed" ? { k: "act", s, T, ci, a: null } : { k: "cat", s, T, ci };
  }

  async exhausted(): Promise<boolean> {
    if (this.stop) return true;
    if (this.tally.scanned >= this.batchSize || this.queries >= RETENTION_LIMITS.queryBudget) return (this.stop = true);
    // The caller's transaction may have read and written already; stay clear of
    // its limits with room for the largest document (1 MiB) and a few queries.
    const m = await this.ctx.meta.getTransactionMetrics();
    if (
      m.bytesRead.remaining < 1.5 * 1024 * 1024 ||
      m.documentsRead.remaining < 16 ||
      m.databaseQueries.remaining < 16 ||
      m.documentsWritten.remaining < 16 ||
      m.bytesWritten.remaining < 1024 * 1024
    ) {
      this.stop = true;
    }
    return this.stop;
  }

  private nextSeverity(s: Severity): State {
    const i = this.plan.severities.indexOf(s);
    const next = this.plan.severities[i + 1];
    return next === undefined ? { k: "done" } : { k: "cat", s: next, T: null, ci: -1 };
  }

  async step(st: State): Promise<State> {
    const p = this.plan;
    if (st.k === "done") return st;
    if (!p.severities.includes(st.s)) throw new Error("retention: a cursor names a preserved severity");
    // A hold placed mid-run takes effect at once: leave the tenant.
    if (st.k !== "ten" && st.T !== null && p.heldTenants.has(st.T)) return { k: "ten", s: st.s, T: st.T };

    if (st.k === "one") {
      // Policies changed mid-run so that cutoffs now differ: redo this tenant group by group.
      if (p.uniformCutoff === undefined) return { k: "cat", s: st.s, T: st.T, ci: -1 };
      const prefix = (b: Builder) => b.eq("tenantId", st.T ?? undefined).eq("severity", st.s);
      const stopped = await this.scanRanges(st, p.uniformCutoff, Batch.after(prefix, st, p.uniformCutoff), "by_tenant_severity");
      return stopped ?? { k: "ten", s: st.s, T: st.T };
    }

    if (st.k === "cat") {
      if (st.ci < 0 && p.uniformCutoff !== undefined) return { k: "one", s: st.s, T: st.T, t: null, ct: 0, kt: false };
      if (st.ci >= CATS.length - 1) return { k: "ten", s: st.s, T: st.T };
      const prefix = this.groupPrefix(st.s, st.T);
      const ci = st.ci;
      const doc = await this.range((b) => (ci < 0 ? prefix(b) : prefix(b).gt("category", CATS[ci]))).first();
      return doc === null ? { k: "ten", s: st.s, T: st.T } : await this.enterCategory(st.s, st.T, doc);
    }

    if (st.k === "act") {
      const c = CATS[st.ci];
      const mode = categoryMode(p, c);
      const nextCategory: State = { k: "cat", s: st.s, T: st.T, ci: st.ci };
      if (mode === "none") return nextCategory;
      const a = st.a;
      if (mode === "all") {
        const prefix = this.groupPrefix(st.s, st.T, c);
        const doc = await this.range((b) => (a === null ? prefix(b) : prefix(b).gt("action", a))).first();
        return doc === null ? nextCategory : await this.enterGroup(st.s, st.T, st.ci, doc);
      }
      // Only actions with their own policy expire here: probe each, reading nothing else.
      const action = p.listed.find((x) => a === null || utf8Compare(x, a) > 0);
      if (action === undefined) return nextCategory;
      const doc = await this.range(this.groupPrefix(st.s, st.T, c, action)).first();
      return doc === null ? { ...st, a: action } : await this.enterGroup(st.s, st.T, st.ci, doc);
    }

    if (st.k === "row") {
      const c = CATS[st.ci];
      const cutoff = cutoffOf(p, c, st.a);
      const after: State = { k: "act", s: st.s, T: st.T, ci: st.ci, a: st.a };
      if (cutoff === undefined || st.t >= cutoff) return after;
      const prefix = this.groupPrefix(st.s, st.T, c, st.a);
      return (await this.scanRanges(st, cutoff, Batch.after(prefix, st, cutoff), "by_retention")) ?? after;
    }

    // Next tenant after T in this severity, in the gap before the next held tenant.
    const lower = st.T;
    const held = p.heldTenantsSorted.find((h) => lower === null || utf8Compare(h, lower) > 0);
    const doc = await this.range((b) => {
      b = b.eq("severity", st.s);
      b = lower === null ? b.gte("tenantId", "") : b.gt("tenantId", lower);
      return held === undefined ? b : b.lt("tenantId", held);
    }).first();
    if (doc === null) return held === undefined ? this.nextSeverity(st.s) : { k: "ten", s: st.s, T: held };
    const T = doc.tenantId ?? null;
    if (p.uniformCutoff === undefined) return await this.enterCategory(st.s, T, doc);
    // Read to find the tenant: deleted if expired, then the tenant's one range.
    await this.visitRow(doc, p.uniformCutoff);
    return { k: "one", s: st.s, T, t: null, ct: 0, kt: false };
  }
}

// ---------------------------------------------------------------------------
// Cursors: where a run stopped, the clock it measures cutoffs from, and its
// totals so far (for the one summary event a run logs when it completes).

const CURSOR_PREFIX = "r1.";
type CursorBody = { h: string; now: number; st: State; tally: Tally };

function shapeOf(olderThanDays: number | undefined, preserve: Severity[]): string {
  return JSON.stringify(["cleanup", olderThanDays ?? null, preserve]);
}

function hashOf(shape: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < shape.length; i++) {
    h ^= shape.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h.toString(36);
}

function toBase64(text: string): string {
  let bin = "";
  for (const byte of encoder.encode(text)) bin += String.fromCharCode(byte);
  return btoa(bin);
}

function fromBase64(b64: string): string {
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
}

function encodeCursor(shape: string, body: Omit<CursorBody, "h">): string {
  return CURSOR_PREFIX + toBase64(JSON.stringify({ h: hashOf(shape), ...body }));
}

const isCount = (n: unknown) => typeof n === "number" && Number.isInteger(n) && n >= 0;
const isTime = (n: unknown) => typeof n === "number" && Number.isFinite(n);
const isKey = (s: unknown) => typeof s === "string" && s.length <= LIMITS.maxIdLength;

function decodeCursor(shape: string, cursor: string, severities: Severity[]): CursorBody {
  const bad = () => auditError("INVALID_CURSOR", "the cursor is not a cleanup cursor, or was tampered with", "cursor");
  if (!cursor.startsWith(CURSOR_PREFIX)) throw bad();
  let body: CursorBody;
  try {
    body = JSON.parse(fromBase64(cursor.slice(CURSOR_PREFIX.length))) as CursorBody;
  } catch {
    throw bad();
  }
  if (typeof body !== "object" || body === null) throw bad();
  if (body.h !== hashOf(shape)) {
    throw auditError("INVALID_CURSOR", "this cursor belongs to a cleanup with other arguments", "cursor");
  }
  // A cursor cannot move the clock forward: at most now, so it never expires more than a fresh call would.
  if (!isTime(body.now) || body.now > Date.now()) throw bad();
  const t = body.tally as Partial<Tally> | undefined;
  if (!t || !isCount(t.scanned) || !isCount(t.deleted) || !isCount(t.skippedHeld) || !isCount(t.skippedNotRolledUp)) throw bad();
  const st = body.st as Partial<Record<string, unknown>> | undefined;
  if (!st || typeof st !== "object") throw bad();
  if (st.k === "done") return body;
  if (!severities.includes(st.s as Severity) || !(st.T === null || isKey(st.T))) throw bad();
  if (st.k === "ten") return body;
  if (st.k === "one") {
    if ((st.t === null || isTime(st.t)) && isTime(st.ct) && typeof st.kt === "boolean") return body;
    throw bad();
  }
  if (typeof st.ci !== "number" || !Number.isInteger(st.ci) || st.ci < -1 || st.ci >= CATS.length) throw bad();
  if (st.k === "cat") return body;
  if (st.ci < 0) throw bad();
  const actionOk = (a: unknown) => typeof a === "string" && a.length > 0 && a.length <= LIMITS.maxActionLength;
  if (st.k === "act" && (st.a === null || actionOk(st.a))) return body;
  if (st.k === "row" && actionOk(st.a) && isTime(st.t) && isTime(st.ct) && typeof st.kt === "boolean") return body;
  throw bad();
}

// ---------------------------------------------------------------------------
// One batch, shared by the seed's call, explicit cursors and background runs.

export type CleanupArgs = {
  olderThanDays?: number;
  preserveSeverity?: string[];
  batchSize?: number;
};

type Checked = { olderThanDays: number | undefined; preserve: Severity[]; batchSize: number; shape: string };

function checkArgs(args: CleanupArgs, defaultBatch: number): Checked {
  const olderThanDays = args.olderThanDays === undefined ? undefined : checkDays(args.olderThanDays, "olderThanDays");
  const preserve = checkPreserve(args.preserveSeverity);
  const batchSize = checkBatchSize(args.batchSize, defaultBatch);
  return { olderThanDays, preserve, batchSize, shape: shapeOf(olderThanDays, preserve) };
}

export type BatchResult = Tally & {
  isDone: boolean;
  continueCursor: string;
  /** The run's clock; a row is expired when its timestamp is before now − days. */
  now: number;
  /** Totals since the run's first batch (this one included). */
  run: Tally;
};

async function runBatch(ctx: MutationCtx, checked: Checked, body: Omit<CursorBody, "h">): Promise<BatchResult> {
  const plan = await makePlan(ctx, { olderThanDays: checked.olderThanDays, preserve: checked.preserve, now: body.now });
  const batch = new Batch(ctx, plan, checked.batchSize);
  // No olderThanDays and no policy that covers anything: nothing can expire, nothing to read.
  const nothingExpires = CATS.every((c) => categoryMode(plan, c) === "none");
  let st: State = nothingExpires ? { k: "done" } : body.st;
  // At least one step per batch, so every batch moves the position.
  while (st.k !== "done") {
    st = await batch.step(st);
    if (await batch.exhausted()) break;
  }
  const b = batch.tally;
  const run: Tally = {
    scanned: body.tally.scanned + b.scanned,
    deleted: body.tally.deleted + b.deleted,
    skippedHeld: body.tally.skippedHeld + b.skippedHeld,
    skippedNotRolledUp: body.tally.skippedNotRolledUp + b.skippedNotRolledUp,
  };
  return {
    ...b,
    isDone: st.k === "done",
    continueCursor: encodeCursor(checked.shape, { now: body.now, st, tally: run }),
    now: body.now,
    run,
  };
}

function startState(severities: Severity[]): State {
  return severities.length === 0 ? { k: "done" } : { k: "cat", s: severities[0], T: null, ci: -1 };
}

/** The one event a completed run leaves behind, so every deletion of audit data is itself audited. */
async function logRunSummary(
  ctx: MutationCtx,
  mode: "direct" | "background",
  checked: Pick<Checked, "olderThanDays" | "preserve">,
  now: number,
  tally: Tally,
  extra: Record<string, number | string> = {},
): Promise<void> {
  const event: EventInput = {
    action: "audit.retention.run",
    category: "system",
    severity: "info",
    actor: { type: "system" },
    summary: `Retention ${mode === "background" ? "run" : "cleanup"} deleted ${tally.deleted} expired events`,
    metadata: {
      mode,
      now,
      olderThanDays: checked.olderThanDays ?? null,
      preserveSeverity: checked.preserve,
      ...tally,
      ...extra,
    },
  };
  await logEventsHandler(ctx, [event], {}, () => "");
}

const vTally = {
  scanned: v.number(),
  deleted: v.number(),
  skippedHeld: v.number(),
  skippedNotRolledUp: v.number(),
};
const vBatchResult = v.object({
  ...vTally,
  isDone: v.boolean(),
  continueCursor: v.string(),
  now: v.number(),
  run: v.object(vTally),
});

/**
 * Where the stored sweep stopped, measured from a fresh clock (a sweep may
 * span days of calls). A stored position this version cannot read (written by
 * an older one) starts a new sweep rather than failing every call.
 */
function resumeSweep(shape: string, cursor: string, severities: Severity[]): Omit<CursorBody, "h"> | null {
  try {
    return { ...decodeCursor(shape, cursor, severities), now: Date.now() };
  } catch {
    return null;
  }
}

export async function cleanupHandler(
  ctx: MutationCtx,
  args: CleanupArgs & { cursor?: string | null },
): Promise<BatchResult> {
  const checked = checkArgs(args, RETENTION_LIMITS.defaultBatchSize);
  const severities = SEVERITIES.filter((s) => !checked.preserve.includes(s));
  const fresh = (): Omit<CursorBody, "h"> => ({ now: Date.now(), st: startState(severities), tally: emptyTally() });

  if (args.cursor !== undefined) {
    // The caller holds the cursor: a run is from `cursor: null` to isDone.
    const body = args.cursor === null ? fresh() : decodeCursor(checked.shape, args.cursor, severities);
    const result = await runBatch(ctx, checked, body);
    if (result.isDone && result.run.deleted > 0) await logRunSummary(ctx, "direct", checked, result.now, result.run);
    return result;
  }

  // The seed's call: no cursor in, a count out. It resumes where the previous
  // call with the same arguments stopped, so repeated calls sweep the whole
  // log even when the oldest rows are held; a completed sweep starts over.
  const sweep = await ctx.db
    .query("retentionSweeps")
    .withIndex("by_shape", (q) => q.eq("shape", checked.shape))
    .first();
  const body: Omit<CursorBody, "h"> = sweep === null ? fresh() : resumeSweep(checked.shape, sweep.cursor, severities) ?? fresh();
  const result = await runBatch(ctx, checked, body);
  if (result.isDone) {
    if (sweep !== null) await ctx.db.delete(sweep._id);
    if (result.run.deleted > 0) await logRunSummary(ctx, "direct", checked, result.now, result.run);
  } else if (sweep === null) {
    await ctx.db.insert("retentionSweeps", { shape: checked.shape, cursor: result.continueCursor, updatedAt: Date.now() });
  } else {
    await ctx.db.patch(sweep._id, { cursor: result.continueCursor, updatedAt: Date.now() });
  }
  return result;
}

/**
 * One batch of deletions. Without `cursor` (the seed's call) it continues the
 * sweep of the previous call with the same arguments; with `cursor: null` it
 * starts a run whose cursor the caller passes back until `isDone`.
 */
export const cleanup = mutation({
  args: {
    olderThanDays: v.optional(v.number()),
    preserveSeverity: v.optional(v.array(v.string())),
    batchSize: v.optional(v.number()),
    cursor: v.optional(v.union(v.string(), v.null())),
  },
  returns: vBatchResult,
  handler: cleanupHandler,
});

// ---------------------------------------------------------------------------
// Background runs: one at a time, each batch its own transaction, scheduled
// by the previous one until nothing expired is left.

const vRun = v.object({ _id: v.string(), _creationTime: v.number(), ...retentionRunFields });
export type CleanupRun = Infer<typeof vRun>;

async function activeRun(ctx: QueryCtx) {
  return await ctx.db
    .query("retentionRuns")
    .withIndex("by_status", (q) => q.eq("status", "running"))
    .first();
}

export async function startCleanupHandler(
  ctx: MutationCtx,
  args: CleanupArgs,
): Promise<{ runId: string; alreadyRunning: boolean }> {
  const checked = checkArgs(args, RETENTION_LIMITS.defaultRunBatchSize);
  const now = Date.now();
  // Reading the "running" range makes two concurrent starts conflict (OCC):
  // one commits, the other retries and finds the run.
  const running = await activeRun(ctx);
  if (running !== null) {
    if (now - running.updatedAt < RETENTION_LIMITS.staleRunMs) return { runId: running._id, alreadyRunning: true };
    // Its batches stopped (a crash or a deploy mid-run): it must not block retention forever.
    await ctx.db.patch(running._id, { status: "abandoned", finishedAt: now, updatedAt: now });
  }
  const runId = await ctx.db.insert("retentionRuns", {
    status: "running",
    olderThanDays: checked.olderThanDays,
    preserveSeverity: checked.preserve,
    batchSize: checked.batchSize,
    now,
    cursor: null,
    seq: 0,
    batches: 0,
    scanned: 0,
    deleted: 0,
    skippedHeld: 0,
    skippedNotRolledUp: 0,
    documentsRead: 0,
    bytesRead: 0,
    documentsWritten: 0,
    startedAt: now,
    updatedAt: now,
  });
  await ctx.scheduler.runAfter(0, internal.retention.runCleanupBatch, { runId, seq: 0 });
  return { runId, alreadyRunning: false };
}

export const startCleanup = mutation({
  args: {
    olderThanDays: v.optional(v.number()),
    preserveSeverity: v.optional(v.array(v.string())),
    batchSize: v.optional(v.number()),
  },
  returns: v.object({ runId: v.string(), alreadyRunning: v.boolean() }),
  handler: startCleanupHandler,
});

export async function runCleanupBatchHandler(
  ctx: MutationCtx,
  { runId, seq }: { runId: Id<"retentionRuns">; seq: number },
): Promise<null> {
  const m0 = await ctx.meta.getTransactionMetrics();
  const run = await ctx.db.get(runId);
  // A canceled run, or a duplicate of a batch that already ran, stops here.
  if (run === null || run.status !== "running" || run.seq !== seq) return null;
  const checked: Checked = {
    olderThanDays: run.olderThanDays,
    preserve: run.preserveSeverity,
    batchSize: run.batchSize,
    shape: shapeOf(run.olderThanDays, run.preserveSeverity),
  };
  const severities = SEVERITIES.filter((s) => !run.preserveSeverity.includes(s));
  const body: Omit<CursorBody, "h"> =
    run.cursor === null
      ? { now: run.now, st: startState(severities), tally: emptyTally() }
      : decodeCursor(checked.shape, run.cursor, severities);
  const result = await runBatch(ctx, checked, body);
  const m1 = await ctx.meta.getTransactionMetrics();
  const now = Date.now();
  // This batch's own cost (the run document's patch below adds one write).
  const totals = {
    ...result.run,
    batches: run.batches + 1,
    documentsRead: run.documentsRead + (m1.documentsRead.used - m0.documentsRead.used),
    bytesRead: run.bytesRead + (m1.bytesRead.used - m0.bytesRead.used),
    documentsWritten: run.documentsWritten + (m1.documentsWritten.used - m0.documentsWritten.used) + 1,
  };
  if (result.isDone) {
    await ctx.db.patch(runId, { ...totals, cursor: result.continueCursor, seq: seq + 1, status: "done", updatedAt: now, finishedAt: now });
    await logRunSummary(ctx, "background", checked, run.now, result.run, {
      runId,
      batches: totals.batches,
      documentsRead: totals.documentsRead,
    });
    return null;
  }
  await ctx.db.patch(runId, { ...totals, cursor: result.continueCursor, seq: seq + 1, updatedAt: now });
  await ctx.scheduler.runAfter(0, internal.retention.runCleanupBatch, { runId, seq: seq + 1 });
  return null;
}

export const runCleanupBatch = internalMutation({
  args: { runId: v.id("retentionRuns"), seq: v.number() },
  returns: v.null(),
  handler: runCleanupBatchHandler,
});

export const cancelCleanup = mutation({
  args: { runId: v.string() },
  returns: v.boolean(),
  handler: async (ctx, { runId }) => {
    const id = ctx.db.normalizeId("retentionRuns", runId);
    if (id === null) throw auditError("INVALID_ARGUMENT", "runId is not a cleanup run id", "runId");
    const run = await ctx.db.get(id);
    if (run === null) throw auditError("INVALID_ARGUMENT", "no cleanup run with this id", "runId");
    if (run.status !== "running") return false;
    const now = Date.now();
    await ctx.db.patch(id, { status: "canceled", updatedAt: now, finishedAt: now });
    const { scanned, deleted, skippedHeld, skippedNotRolledUp } = run;
    const tally = { scanned, deleted, skippedHeld, skippedNotRolledUp };
    await logRunSummary(ctx, "background", { olderThanDays: run.olderThanDays, preserve: run.preserveSeverity }, run.now, tally, {
      runId,
      canceled: 1,
      batches: run.batches,
      documentsRead: run.documentsRead,
    });
    return true;
  },
});

export const getCleanupRun = query({
  args: { runId: v.string() },
  returns: v.union(vRun, v.null()),
  handler: async (ctx, { runId }) => {
    const id = ctx.db.normalizeId("retentionRuns", runId);
    return id === null ? null : await ctx.db.get(id);
  },
});

export const listCleanupRuns = query({
  args: { paginationOpts: paginationOptsValidator },
  returns: v.object({ page: v.array(vRun), isDone: v.boolean(), continueCursor: v.string() }),
  handler: async (ctx, { paginationOpts }) => {
    checkPageSize(paginationOpts.numItems);
    const result = await ctx.db.query("retentionRuns").order("desc").paginate(paginationOpts);
    return { page: result.page, isDone: result.isDone, continueCursor: result.continueCursor };
  },
});

function checkPageSize(n: number) {
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.maxPageSize) {
    throw auditError("INVALID_ARGUMENT", `paginationOpts.numItems must be an integer from 1 to ${LIMITS.maxPageSize}`, "paginationOpts.numItems");
  }
}

// ---------------------------------------------------------------------------
// Policies.

const vPolicies = v.object({
  defaultDays: v.union(v.number(), v.null()),
  categories: v.array(v.object({ category: vCategory, days: v.number() })),
  actions: v.array(v.object({ action: v.string(), days: v.number() })),
});
export type RetentionPolicies = Infer<typeof vPolicies>;

async function configForWrite(ctx: MutationCtx): Promise<Config> {
  const existing = await loadConfig(ctx);
  if (existing !== null) return existing;
  const id = await ctx.db.insert("retentionConfig", {
    categoryDays: [],
    actionDays: [],
    heldTenants: [],
    heldActors: [],
    heldResources: [],
    updatedAt: Date.now(),
  });
  return (await ctx.db.get(id))!;
}

function adminEvent(action: string, severity: Severity, by: string | undefined, summary: string, metadata: unknown): EventInput {
  const event: EventInput = { action, category: "admin", severity, summary, metadata };
  if (by !== undefined) {
    event.actorId = by;
    event.actor = { type: "user" };
  } else {
    event.actor = { type: "system" };
  }
  return event;
}

export const setRetentionPolicy = mutation({
  args: {
    category: v.optional(v.string()),
    action: v.optional(v.string()),
    /** null removes the policy. */
    days: v.union(v.number(), v.null()),
    by: v.optional(v.string()),
  },
  returns: v.null(),
  handler: async (ctx, { category, action, days, by }) => {
    if (category !== undefined && action !== undefined) {
      throw auditError("INVALID_ARGUMENT", "a policy names a category or an action, not both", "action");
    }
    if (category !== undefined && !(CATEGORIES as readonly string[]).includes(category)) {
      throw auditError("INVALID_ARGUMENT", `category ${JSON.stringify(category)} is not one of ${CATEGORIES.join(", ")}`, "category");
    }
    if (action !== undefined) checkKey(action, "action", LIMITS.maxActionLength);
    if (days !== null) checkDays(days, "days");
    if (by !== undefined) checkKey(by, "by");
    const config = await configForWrite(ctx);
    const patch: Partial<Config> = { updatedAt: Date.now() };
    if (category !== undefined) {
      const rest = config.categoryDays.filter((p) => p.category !== category);
      patch.categoryDays = days === null ? rest : [...rest, { category: category as Category, days }];
    } else if (action !== undefined) {
      const rest = config.actionDays.filter((p) => p.action !== action);
      if (days !== null && rest.length >= RETENTION_LIMITS.maxActionPolicies) {
        throw auditError("INVALID_ARGUMENT", `at most ${RETENTION_LIMITS.maxActionPolicies} action policies`, "action");
      }
      patch.actionDays = days === null ? rest : [...rest, { action, days }];
    } else {
      patch.defaultDays = days ?? undefined;
    }
    await ctx.db.patch(config._id, patch);
    const target = category !== undefined ? `category ${category}` : action !== undefined ? `action ${action}` : "default";
    await logEventsHandler(
      ctx,
      [
        adminEvent("audit.retention.policy_set", "warning", by, `Retention for ${target}: ${days === null ? "removed" : `${days} days`}`, {
          category: category ?? null,
          action: action ?? null,
          days,
        }),
      ],
      {},
      () => "",
    );
    return null;
  },
});

export const getRetentionPolicies = query({
  args: {},
  returns: vPolicies,
  handler: async (ctx) => {
    const config = await loadConfig(ctx);
    return {
      defaultDays: config?.defaultDays ?? null,
      categories: [...(config?.categoryDays ?? [])].sort((a, b) => a.category.localeCompare(b.category)),
      actions: [...(config?.actionDays ?? [])].sort((a, b) => utf8Compare(a.action, b.action)),
    };
  },
});

// ---------------------------------------------------------------------------
// Legal holds.

const vHold = v.object({ _id: v.string(), _creationTime: v.number(), ...retentionHoldFields });
export type LegalHold = Infer<typeof vHold>;

/** Rewrites the held keys a batch reads from the active holds (at most maxHolds documents). */
async function refreshHeldKeys(ctx: MutationCtx): Promise<void> {
  const active = await ctx.db
    .query("retentionHolds")
    .withIndex("by_active", (q) => q.eq("active", true))
    .take(RETENTION_LIMITS.maxHolds + 1);
  const tenants = new Set<string>();
  const actors = new Set<string>();
  const resources = new Map<string, { resourceType: string; resourceId: string }>();
  for (const h of active) {
    if (h.tenantId !== undefined) tenants.add(h.tenantId);
    else if (h.actorId !== undefined) actors.add(h.actorId);
    else if (h.resourceType !== undefined && h.resourceId !== undefined) {
      resources.set(resourceKey(h.resourceType, h.resourceId), { resourceType: h.resourceType, resourceId: h.resourceId });
    }
  }
  const config = await configForWrite(ctx);
  await ctx.db.patch(config._id, {
    heldTenants: [...tenants],
    heldActors: [...actors],
    heldResources: [...resources.values()],
    updatedAt: Date.now(),
  });
}

export const placeHold = mutation({
  args: {
    tenantId: v.optional(v.string()),
    actorId: v.optional(v.string()),
    resourceType: v.optional(v.string()),
    resourceId: v.optional(v.string()),
    reason: v.optional(v.string()),
    by: v.optional(v.string()),
  },
  returns: v.string(),
  handler: async (ctx, args) => {
    const kinds = [args.tenantId !== undefined, args.actorId !== undefined, args.resourceType !== undefined || args.resourceId !== undefined];
    if (kinds.filter(Boolean).length !== 1) {
      throw auditError("INVALID_ARGUMENT", "a hold names exactly one of: tenantId, actorId, or resourceType with resourceId", "tenantId");
    }
    if (args.tenantId !== undefined) checkKey(args.tenantId, "tenantId");
    if (args.actorId !== undefined) checkKey(args.actorId, "actorId");
    if (kinds[2]) {
      checkKey(args.resourceType, "resourceType");
      checkKey(args.resourceId, "resourceId");
    }
    checkOptionalText(args.reason, "reason", RETENTION_LIMITS.maxReasonLength);
    if (args.by !== undefined) checkKey(args.by, "by");
    const active = await ctx.db
      .query("retentionHolds")
      .withIndex("by_active", (q) => q.eq("active", true))
      .take(RETENTION_LIMITS.maxHolds);
    if (active.length >= RETENTION_LIMITS.maxHolds) {
      throw auditError("INVALID_ARGUMENT", `at most ${RETENTION_LIMITS.maxHolds} active holds; release one first`, "tenantId");
    }
    const now = Date.now();
    const hold = {
      active: true,
      placedAt: now,
      ...(args.tenantId !== undefined ? { tenantId: args.tenantId } : {}),
      ...(args.actorId !== undefined ? { actorId: args.actorId } : {}),
      ...(kinds[2] ? { resourceType: args.resourceType, resourceId: args.resourceId } : {}),
      ...(args.reason !== undefined ? { reason: args.reason } : {}),
      ...(args.by !== undefined ? { placedBy: args.by } : {}),
    };
    const id = await ctx.db.insert("retentionHolds", hold);
    await refreshHeldKeys(ctx);
    await logEventsHandler(
      ctx,
      [adminEvent("audit.hold.placed", "info", args.by, `Legal hold placed on ${describeHold(hold)}`, { holdId: id, ...holdKey(hold), reason: args.reason ?? null })],
      {},
      () => "",
    );
    return id;
  },
});

type HoldKeyFields = Pick<Doc<"retentionHolds">, "tenantId" | "actorId" | "resourceType" | "resourceId">;
function holdKey(h: HoldKeyFields) {
  if (h.tenantId !== undefined) return { tenantId: h.tenantId };
  if (h.actorId !== undefined) return { actorId: h.actorId };
  return { resourceType: h.resourceType ?? null, resourceId: h.resourceId ?? null };
}
function describeHold(h: HoldKeyFields): string {
  if (h.tenantId !== undefined) return `tenant ${h.tenantId}`;
  if (h.actorId !== undefined) return `actor ${h.actorId}`;
  return `resource ${h.resourceType}/${h.resourceId}`;
}

export const releaseHold = mutation({
  args: { holdId: v.string(), by: v.optional(v.string()) },
  returns: v.boolean(),
  handler: async (ctx, { holdId, by }) => {
    const id = ctx.db.normalizeId("retentionHolds", holdId);
    const hold = id === null ? null : await ctx.db.get(id);
    if (id === null || hold === null) throw auditError("INVALID_ARGUMENT", "no legal hold with this id", "holdId");
    if (by !== undefined) checkKey(by, "by");
    if (!hold.active) return false;
    await ctx.db.patch(id, { active: false, releasedAt: Date.now(), ...(by !== undefined ? { releasedBy: by } : {}) });
    await refreshHeldKeys(ctx);
    await logEventsHandler(
      ctx,
      [adminEvent("audit.hold.released", "warning", by, `Legal hold released on ${describeHold(hold)}`, { holdId, ...holdKey(hold) })],
      {},
      () => "",
    );
    return true;
  },
});

export const listHolds = query({
  args: { paginationOpts: paginationOptsValidator, includeReleased: v.optional(v.boolean()) },
  returns: v.object({ page: v.array(vHold), isDone: v.boolean(), continueCursor: v.string() }),
  handler: async (ctx, { paginationOpts, includeReleased }) => {
    checkPageSize(paginationOpts.numItems);
    const q = includeReleased
      ? ctx.db.query("retentionHolds").order("desc")
      : ctx.db
          .query("retentionHolds")
          .withIndex("by_active", (b) => b.eq("active", true))
          .order("desc");
    const result = await q.paginate(paginationOpts);
    return { page: result.page, isDone: result.isDone, continueCursor: result.continueCursor };
  },
});
