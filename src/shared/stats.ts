/**
 * Statistics rollups: the pure part (bucket geometry, window plans, folding,
 * map encoding), shared by the component, the client and the tests.
 *
 * Buckets are keyed by the event's `timestamp` at ten levels, each four times
 * the one below: level 0 is one minute, level 9 is 4^9 minutes (≈182 days).
 * A window is covered by at most three buckets per level on each side plus
 * the whole top-level buckets in between; the minute at each end is a level-0
 * bucket, which holds a digest of its events (timestamp and the counted
 * fields), so a window that starts or ends mid-minute is still exact without
 * reading an event. See README "Statistics" for the reasoning.
 */
import { v, type Infer, type VFloat64 } from "convex/values";
import { fnv1a, utf8Length } from "./text.js";
import { CATEGORIES, SEVERITIES, STATUSES, type Category, type Severity, type Status } from "./validators.js";

export const MINUTE = 60_000;
export const DAY = 86_400_000;
export const RADIX = 4;
export const TOP_LEVEL = 9;
/** Levels that also keep action × actor and action × tenant counts (anomaly windows). */
export const JOINT_MAX_LEVEL = 4;
/**
 * Timestamps at or past this (year 2480) go to one overflow digest instead of
 * the levels, so bucket starts stay small integers whatever an import sends.
 */
export const OVERFLOW_MINUTE = RADIX ** TOP_LEVEL * 1024;
export const TS_LIMIT = OVERFLOW_MINUTE * MINUTE;

export const levelSize = (level: number) => RADIX ** level;
export const bucketStart = (minute: number, level: number) => {
  const size = levelSize(level);
  return Math.floor(minute / size) * size;
};
export const minuteOf = (ts: number) => (ts >= TS_LIMIT ? OVERFLOW_MINUTE : Math.floor(ts / MINUTE));

/** Fixed counters of a level ≥ 1 bucket: total, then severities, categories, statuses. */
export const FIXED_LENGTH = 1 + SEVERITIES.length + CATEGORIES.length + STATUSES.length;
const SEV_AT = 1;
const CAT_AT = SEV_AT + SEVERITIES.length;
const STATUS_AT = CAT_AT + CATEGORIES.length;

/**
 * What a level-0 digest keeps of one event:
 * [timestamp, severity, category, status, action, actorId | null, tenantId | null].
 * Digests exist in the global scope only: a tenant's window edges filter the
 * global digest by tenant, which saves a document per event in a sparse log.
 */
export type Entry = [number, number, number, number, string, string | null, string | null];

export type CountedEvent = {
  timestamp: number;
  severity: Severity;
  category: Category;
  status: Status;
  action: string;
  actorId?: string;
  tenantId?: string;
};

export function toEntry(e: CountedEvent, withTenant = true): Entry {
  return [
    e.timestamp,
    SEVERITIES.indexOf(e.severity),
    CATEGORIES.indexOf(e.category),
    STATUSES.indexOf(e.status),
    e.action,
    e.actorId ?? null,
    withTenant ? (e.tenantId ?? null) : null,
  ];
}

// Keys of the count maps. Actions are printable with no control characters,
// so "\u0000" cannot occur in one and splits a joint key unambiguously.
export const actionKey = (action: string) => "a" + action;
export const actorKey = (actorId: string) => "u" + actorId;
export const actionActorKey = (action: string, actorId: string) => "x" + action + "\u0000" + actorId;
export const actionTenantKey = (action: string, tenantId: string) => "t" + action + "\u0000" + tenantId;

/** Counts of one bucket, a window, or a merge of pieces. */
export class Agg {
  fixed: number[] = new Array<number>(FIXED_LENGTH).fill(0);
  main = new Map<string, number>();
  joint = new Map<string, number>();

  addEntry(entry: Entry, joint: boolean): void {
    const [, sev, cat, status, action, actor, tenant] = entry;
    this.fixed[0]++;
    this.fixed[SEV_AT + sev]++;
    this.fixed[CAT_AT + cat]++;
    this.fixed[STATUS_AT + status]++;
    bump(this.main, actionKey(action), 1);
    if (actor !== null) bump(this.main, actorKey(actor), 1);
    if (joint) {
      if (actor !== null) bump(this.joint, actionActorKey(action, actor), 1);
      if (tenant !== null) bump(this.joint, actionTenantKey(action, tenant), 1);
    }
  }

  addFixed(fixed: readonly number[]): void {
    for (let i = 0; i < FIXED_LENGTH; i++) this.fixed[i] += fixed[i] ?? 0;
  }

  get total(): number {
    return this.fixed[0];
  }
}

export function bump<K>(map: Map<K, number>, key: K, by: number): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

/** A contiguous run of buckets at one level: starts s0, s0 + size, ..., s1. */
export type Run = { level: number; s0: number; s1: number };

/**
 * The buckets whose union is exactly the window [from, to] (inclusive, ms),
 * as runs per level, coarsest levels no higher than `maxLevel`. Level-0 runs
 * include the partial minute at each end: their digests are filtered by
 * timestamp, which is exact whatever the window's alignment.
 */
export function planWindow(from: number, to: number, maxLevel = TOP_LEVEL): Run[] {
  const pieces: Array<[number, number]> = [];
  const lo = Math.max(from, 0);
  if (to < lo) return [];
  const overflow = to >= TS_LIMIT;
  if (overflow) pieces.push([0, OVERFLOW_MINUTE]);
  if (lo < TS_LIMIT) {
    const ma = Math.floor(lo / MINUTE);
    // The last minute before the overflow is whole when the window runs past it.
    const mb = overflow ? OVERFLOW_MINUTE - 1 : Math.floor(to / MINUTE);
    if (ma === mb) {
      pieces.push([0, ma]);
    } else {
      let s = ma;
      if (lo > ma * MINUTE) pieces.push([0, s++]);
      let e = mb + 1;
      if (!overflow) pieces.push([0, --e]);
      canonical(s, e, maxLevel, pieces);
    }
  }
  return toRuns(pieces);
}

/** Aligned buckets covering the minutes [s, e): at most 3 per level on each side. */
function canonical(s: number, e: number, maxLevel: number, out: Array<[number, number]>): void {
  for (let level = 0; s < e; level++) {
    const size = levelSize(level);
    if (level === maxLevel) {
      for (let x = s; x < e; x += size) out.push([level, x]);
      return;
    }
    const next = size * RADIX;
    while (s % next !== 0 && s + size <= e) {
      out.push([level, s]);
      s += size;
    }
    while (e % next !== 0 && e - size >= s) {
      e -= size;
      out.push([level, e]);
    }
  }
}

function toRuns(pieces: Array<[number, number]>): Run[] {
  pieces.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const runs: Run[] = [];
  for (const [level, start] of pieces) {
    const last = runs[runs.length - 1];
    if (last && last.level === level && start === last.s1 + levelSize(level)) last.s1 = start;
    else runs.push({ level, s0: start, s1: start });
  }
  return runs;
}

/** Number of buckets a plan names (an upper bound on the bucket documents it reads). */
export const planSize = (runs: Run[]) => runs.reduce((n, r) => n + (r.s1 - r.s0) / levelSize(r.level) + 1, 0);

// ---- Map and digest encoding -------------------------------------------------

/**
 * Maps and digests are stored as JSON strings: a string field is bounded only
 * by the 1 MiB document limit, where an array stops at 8,192 items and an
 * object at 1,024 fields, and actor ids may be any string (not valid field
 * names). A big one is split by a hash of each entry's key into 2^k parts.
 */
export const INLINE_MAX_BYTES = 96 * 1024;
export const PART_TARGET_BYTES = 256 * 1024;
export const PART_MAX_BYTES = 512 * 1024;

export type MapKind = "main" | "joint" | "digest";

/** One encodable item: its partition key and its JSON. */
type Item = { key: string; json: string };

export function mapItems(map: Map<string, number>): Item[] {
  const items: Item[] = [];
  for (const [k, n] of map) if (n !== 0) items.push({ key: k, json: JSON.stringify([k, n]) });
  return items;
}

export function digestItems(entries: Entry[]): Item[] {
  return entries.map((e) => {
    const json = JSON.stringify(e);
    return { key: json, json };
  });
}

/**
 * Splits items into `parts` JSON arrays (1 = inline), sorted inside each
 * part so that equal content encodes to an equal string and unchanged parts
 * need no write. Returns null when some part would exceed PART_MAX_BYTES.
 */
function split(items: Item[], parts: number): string[] | null {
  const buckets: Item[][] = Array.from({ length: parts }, () => []);
  for (const it of items) buckets[parts === 1 ? 0 : fnv1a(it.key) % parts].push(it);
  const out: string[] = [];
  for (const b of buckets) {
    b.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : x.json < y.json ? -1 : x.json > y.json ? 1 : 0));
    const s = "[" + b.map((it) => it.json).join(",") + "]";
    if (parts > 1 && utf8Length(s) > PART_MAX_BYTES) return null;
    out.push(s);
  }
  return out;
}

/**
 * The stored form of a map or digest: inline (one string) while small, else
 * 2^k parts. `minParts` keeps a bucket's part count from shrinking, so parts
 * that did not change keep their documents.
 */
export function encodeItems(items: Item[], minParts: number): string[] {
  const bytes = items.reduce((n, it) => n + it.json.length + 1, 2);
  if (minParts <= 1 && bytes <= INLINE_MAX_BYTES) {
    const inline = split(items, 1)!;
    if (utf8Length(inline[0]) <= INLINE_MAX_BYTES) return inline;
  }
  let parts = Math.max(2, minParts);
  while (parts * PART_TARGET_BYTES < bytes) parts *= 2;
  for (;;) {
    const out = split(items, parts);
    if (out !== null) return out;
    parts *= 2;
  }
}

export function decodeMap(json: string, into: Map<string, number>, sign = 1): void {
  for (const [k, n] of JSON.parse(json) as Array<[string, number]>) bump(into, k, sign * n);
}

export function decodeDigest(json: string): Entry[] {
  return JSON.parse(json) as Entry[];
}

// ---- Results -----------------------------------------------------------------

export const MAX_TOP_K = 100;
export const DEFAULT_TOP_K = 10;

const countsOf = <K extends string>(names: readonly K[], fixed: number[], at: number) =>
  Object.fromEntries(names.map((n, i) => [n, fixed[at + i]])) as Record<K, number>;

/** Descending count, then ascending key (code-unit order), so ties are stable. */
export function topOf(map: Map<string, number>, prefix: string, k: number): Array<[string, number]> {
  const rows: Array<[string, number]> = [];
  for (const [key, n] of map) if (n > 0 && key.startsWith(prefix)) rows.push([key.slice(prefix.length), n]);
  rows.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return rows.slice(0, k);
}

export function distinct(map: Map<string, number>, prefix: string): number {
  let n = 0;
  for (const [key, c] of map) if (c > 0 && key.startsWith(prefix)) n++;
  return n;
}

/** `{ [key]: count }` for each key of a list: the count objects follow their lists. */
function vCounts<K extends string>(keys: readonly K[]) {
  return v.object(Object.fromEntries(keys.map((k) => [k, v.number()])) as Record<K, VFloat64>);
}

export const vStats = v.object({
  totalCount: v.number(),
  bySeverity: vCounts(SEVERITIES),
  byCategory: vCounts(CATEGORIES),
  byStatus: vCounts(STATUSES),
  topActions: v.array(v.object({ action: v.string(), count: v.number() })),
  topActors: v.array(v.object({ actorId: v.string(), count: v.number() })),
  /** Distinct actions and actors in the window (exact). */
  distinctActions: v.number(),
  distinctActors: v.number(),
  /** The window actually counted, inclusive (toTimestamp defaults to now). */
  fromTimestamp: v.number(),
  toTimestamp: v.number(),
  /** `_creationTime` up to which events are folded into rollups; null before the first rollup. */
  rolledUpThrough: v.union(v.number(), v.null()),
  /** Events not yet rolled up, read from the log and counted one by one. */
  pendingEvents: v.number(),
});
export type AuditStats = Infer<typeof vStats>;

/** One batch of the rollup loop: how many events it folded, whether it caught up, and how far the loop is. */
export const vRollupResult = v.object({ folded: v.number(), caughtUp: v.boolean(), rolledUpThrough: v.union(v.number(), v.null()) });
export type RollupResult = Infer<typeof vRollupResult>;

/** Where the rollup loop is: `rolledUpThrough` is the `_creationTime` it has folded up to. */
export const vStatsStatus = v.object({
  rolledUpThrough: v.union(v.number(), v.null()),
  folded: v.number(),
  batches: v.number(),
  updatedAt: v.union(v.number(), v.null()),
});
export type StatsStatus = Infer<typeof vStatsStatus>;

export function statsResult(
  agg: Agg,
  k: number,
  window: { fromTimestamp: number; toTimestamp: number },
  rolledUpThrough: number | null,
  pendingEvents: number,
): AuditStats {
  const f = agg.fixed;
  return {
    totalCount: f[0],
    bySeverity: countsOf(SEVERITIES, f, SEV_AT),
    byCategory: countsOf(CATEGORIES, f, CAT_AT),
    byStatus: countsOf(STATUSES, f, STATUS_AT),
    topActions: topOf(agg.main, "a", k).map(([action, count]) => ({ action, count })),
    topActors: topOf(agg.main, "u", k).map(([actorId, count]) => ({ actorId, count })),
    distinctActions: distinct(agg.main, "a"),
    distinctActors: distinct(agg.main, "u"),
    ...window,
    rolledUpThrough,
    pendingEvents,
  };
}

// ---- Anomaly rules ------------------------------------------------------------

export const ANOMALY_LIMITS = {
  maxRules: 20,
  /** A day: the current window is read from buckets of at most level 4 (~4 hours). */
  maxWindowMinutes: 24 * 60,
  minPeriods: 2,
  maxPeriods: 48,
  maxK: 100,
  /** Baseline windows plus the current one must fit in this span (series documents are per day). */
  maxBaselineSpanMinutes: 45 * 24 * 60,
  maxTopActors: 20,
  defaultTopActors: 5,
  /** Groups listed per fired rule. */
  maxGroups: 20,
} as const;

export const vAnomalyRule = v.object({
  action: v.string(),
  /** Threshold mode: fires at `count >= threshold`. Baseline mode: a minimum count to fire at all. */
  threshold: v.optional(v.number()),
  windowMinutes: v.number(),
  /** "actor" or "tenant": the threshold applies to each group's count. */
  groupBy: v.optional(v.string()),
  tenantId: v.optional(v.string()),
  baseline: v.optional(
    v.object({
      /** How many past windows make the baseline. */
      periods: v.number(),
      /** Fires when count > mean + k · stddev. Default 3. */
      k: v.optional(v.number()),
      /** How far back each past window is from the previous one; default windowMinutes (back to back). */
      periodMinutes: v.optional(v.number()),
    }),
  ),
  /** A label returned with the anomaly. */
  name: v.optional(v.string()),
});
export type AnomalyRule = Infer<typeof vAnomalyRule>;

export const vAnomaly = v.object({
  rule: v.number(),
  name: v.optional(v.string()),
  action: v.string(),
  tenantId: v.optional(v.string()),
  mode: v.union(v.literal("threshold"), v.literal("baseline")),
  groupBy: v.optional(v.union(v.literal("actor"), v.literal("tenant"))),
  windowMinutes: v.number(),
  windowStart: v.number(),
  windowEnd: v.number(),
  /** Events of the action in the window (in the rule's tenant, if any). */
  count: v.number(),
  /** What the count (or a group's count) was compared with: the rule's threshold, or mean + k · stddev. */
  limit: v.number(),
  /** With groupBy: the groups at or over the threshold, largest first. */
  groups: v.array(v.object({ key: v.string(), count: v.number() })),
  /** Who contributed most to the count in the window. */
  topActors: v.array(v.object({ actorId: v.string(), count: v.number() })),
  baseline: v.optional(
    v.object({ mean: v.number(), stddev: v.number(), k: v.number(), periods: v.number(), counts: v.array(v.number()) }),
  ),
});
export type Anomaly = Infer<typeof vAnomaly>;

