/**
 * detectAnomalies: threshold rules ("5 failed logins in 5 minutes", per actor
 * or per tenant if asked) and baseline rules (this window against the same
 * window over the last N periods), answered from the statistics rollups.
 *
 * The current window is counted exactly like getStats counts a window, from
 * buckets no larger than level 4 (they keep action × actor and action ×
 * tenant counts) plus the events not rolled up yet. Baseline windows are
 * whole minutes and come from per-action minute series (one document per
 * action and day), so a rule reads a bounded number of documents however
 * busy the log is.
 */
import { v } from "convex/values";
import type { Doc } from "./_generated/dataModel.js";
import { query, type QueryCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import {
  ANOMALY_LIMITS,
  Agg,
  DAY,
  JOINT_MAX_LEVEL,
  MINUTE,
  actionKey,
  planWindow,
  toEntry,
  topOf,
  vAnomaly,
  vAnomalyRule,
  type Anomaly,
  type AnomalyRule,
} from "../shared/stats.js";
import { addRuns, readTail, rolledUpThrough } from "./statsRead.js";

type Checked = {
  index: number;
  rule: AnomalyRule;
  mode: "threshold" | "baseline";
  groupBy?: "actor" | "tenant";
  threshold: number;
  baseline?: { periods: number; k: number; periodMinutes: number };
};

const bad = (i: number, field: string, message: string) =>
  auditError("INVALID_ARGUMENT", `rule ${i}: ${message}`, `rules[${i}].${field}`);
const isInt = (n: unknown): n is number => typeof n === "number" && Number.isInteger(n);

export function checkRules(rules: AnomalyRule[]): Checked[] {
  if (!Array.isArray(rules) || rules.length === 0 || rules.length > ANOMALY_LIMITS.maxRules) {
    throw auditError("INVALID_ARGUMENT", `rules must list 1 to ${ANOMALY_LIMITS.maxRules} rules`, "rules");
  }
  return rules.map((rule, i): Checked => {
    if (typeof rule.action !== "string" || rule.action.trim() === "" || rule.action.length > 128) {
      throw auditError("INVALID_ACTION", `rule ${i}: action must be a non-empty action name`, `rules[${i}].action`);
    }
    if (!isInt(rule.windowMinutes) || rule.windowMinutes < 1 || rule.windowMinutes > ANOMALY_LIMITS.maxWindowMinutes) {
      throw bad(i, "windowMinutes", `windowMinutes must be an integer from 1 to ${ANOMALY_LIMITS.maxWindowMinutes}`);
    }
    if (rule.groupBy !== undefined && rule.groupBy !== "actor" && rule.groupBy !== "tenant") {
      throw bad(i, "groupBy", `groupBy must be "actor" or "tenant"; got ${JSON.stringify(rule.groupBy)}`);
    }
    if (rule.threshold !== undefined && (!Number.isFinite(rule.threshold) || rule.threshold <= 0)) {
      throw bad(i, "threshold", "threshold must be a number greater than 0");
    }
    const groupBy = rule.groupBy as Checked["groupBy"];
    if (rule.baseline === undefined) {
      if (rule.threshold === undefined) throw bad(i, "threshold", "a threshold rule needs a threshold (or give a baseline)");
      return { index: i, rule, mode: "threshold", groupBy, threshold: rule.threshold };
    }
    if (groupBy !== undefined) throw bad(i, "groupBy", "a baseline compares the rule's total: groupBy is not supported with baseline");
    const { periods, k = 3, periodMinutes = rule.windowMinutes } = rule.baseline;
    if (!isInt(periods) || periods < ANOMALY_LIMITS.minPeriods || periods > ANOMALY_LIMITS.maxPeriods) {
      throw bad(i, "baseline.periods", `periods must be an integer from ${ANOMALY_LIMITS.minPeriods} to ${ANOMALY_LIMITS.maxPeriods}`);
    }
    if (!Number.isFinite(k) || k < 0 || k > ANOMALY_LIMITS.maxK) {
      throw bad(i, "baseline.k", `k must be a number from 0 to ${ANOMALY_LIMITS.maxK}`);
    }
    if (!isInt(periodMinutes) || periodMinutes < rule.windowMinutes) {
      throw bad(i, "baseline.periodMinutes", "periodMinutes must be an integer no smaller than windowMinutes");
    }
    if (periods * periodMinutes + rule.windowMinutes > ANOMALY_LIMITS.maxBaselineSpanMinutes) {
      throw bad(i, "baseline", `periods × periodMinutes + windowMinutes must be at most ${ANOMALY_LIMITS.maxBaselineSpanMinutes} minutes (45 days)`);
    }
    return { index: i, rule, mode: "baseline", threshold: rule.threshold ?? 1, baseline: { periods, k, periodMinutes } };
  });
}

type EventDoc = Doc<"events">;

/** Counts of one window in one scope, from buckets and the tail; shared by rules that ask for the same one. */
async function windowAgg(
  ctx: QueryCtx,
  tenant: string | undefined,
  from: number,
  to: number,
  tail: EventDoc[],
): Promise<Agg> {
  const agg = new Agg();
  const w = { from, to };
  await addRuns(ctx, agg, tenant, planWindow(from, to, JOINT_MAX_LEVEL), w, { main: true, joint: true });
  for (const e of tail) {
    if (e.timestamp < from || e.timestamp > to) continue;
    if (tenant !== undefined && e.tenantId !== tenant) continue;
    agg.addEntry(toEntry(e), true);
  }
  return agg;
}

/** Per-minute counts of `action` over [m0, m1] (minute indexes), from the series and the tail. */
async function minuteCounts(
  ctx: QueryCtx,
  tenant: string | undefined,
  action: string,
  m0: number,
  m1: number,
  tail: EventDoc[],
): Promise<Map<number, number>> {
  const counts = new Map<number, number>();
  const d0 = Math.floor((m0 * MINUTE) / DAY);
  const d1 = Math.floor((m1 * MINUTE) / DAY);
  const docs = await ctx.db
    .query("statSeries")
    .withIndex("by_scope", (q) => q.eq("tenant", tenant).eq("action", action).gte("day", d0).lte("day", d1))
    .collect();
  for (const d of docs) {
    const base = (d.day * DAY) / MINUTE;
    d.minutes.forEach((m, i) => counts.set(base + m, (counts.get(base + m) ?? 0) + d.counts[i]));
  }
  for (const e of tail) {
    if (e.action !== action || (tenant !== undefined && e.tenantId !== tenant)) continue;
    const m = Math.floor(e.timestamp / MINUTE);
    if (m >= m0 && m <= m1) counts.set(m, (counts.get(m) ?? 0) + 1);
  }
  return counts;
}

export type DetectArgs = { rules: AnomalyRule[]; now?: number; topActors?: number };

export async function detectAnomaliesHandler(ctx: QueryCtx, args: DetectArgs): Promise<Anomaly[]> {
  const checked = checkRules(args.rules);
  const now = args.now ?? Date.now();
  if (!Number.isFinite(now) || now < 0) throw auditError("INVALID_ARGUMENT", "now must be a finite, non-negative number", "now");
  const nTop = args.topActors ?? ANOMALY_LIMITS.defaultTopActors;
  if (!isInt(nTop) || nTop < 1 || nTop > ANOMALY_LIMITS.maxTopActors) {
    throw auditError("INVALID_ARGUMENT", `topActors must be an integer from 1 to ${ANOMALY_LIMITS.maxTopActors}`, "topActors");
  }

  const through = await rolledUpThrough(ctx);
  const tail: EventDoc[] = [];
  await readTail(ctx, through, (e) => tail.push(e));

  const windows = new Map<string, Promise<Agg>>();
  const out: Anomaly[] = [];
  for (const c of checked) {
    const { rule } = c;
    const tenant = rule.tenantId;
    const from = now - rule.windowMinutes * MINUTE;
    const key = JSON.stringify([tenant ?? null, from]);
    let pending = windows.get(key);
    if (!pending) windows.set(key, (pending = windowAgg(ctx, tenant, from, now, tail)));
    const agg = await pending;
    const count = agg.main.get(actionKey(rule.action)) ?? 0;
    const jointPrefix = (kind: "x" | "t") => kind + rule.action + "\u0000";
    const topActors = topOf(agg.joint, jointPrefix("x"), nTop).map(([actorId, n]) => ({ actorId, count: n }));

    let fired: boolean;
    let limit = c.threshold;
    let groups: Array<{ key: string; count: number }> = [];
    let baseline: Anomaly["baseline"];
    if (c.mode === "threshold" && c.groupBy !== undefined) {
      // A tenant's own buckets do not split by tenant: there the one group is the tenant itself.
      const all: Array<[string, number]> =
        c.groupBy === "tenant" && tenant !== undefined
          ? count > 0
            ? [[tenant, count]]
            : []
          : topOf(agg.joint, jointPrefix(c.groupBy === "actor" ? "x" : "t"), Number.MAX_SAFE_INTEGER);
      const over = all.filter(([, n]) => n >= c.threshold);
      groups = over.slice(0, ANOMALY_LIMITS.maxGroups).map(([k, n]) => ({ key: k, count: n }));
      fired = over.length > 0;
    } else if (c.mode === "threshold") {
      fired = count >= c.threshold;
    } else {
      const { periods, k, periodMinutes } = c.baseline!;
      // Whole minutes: the current minute and the W - 1 before it, shifted back j periods.
      const M = Math.floor(now / MINUTE);
      const W = rule.windowMinutes;
      const lo = M - periods * periodMinutes - W + 1;
      const hi = M - periodMinutes;
      const perMinute = await minuteCounts(ctx, tenant, rule.action, lo, hi, tail);
      const counts: number[] = [];
      for (let j = 1; j <= periods; j++) {
        const end = M - j * periodMinutes;
        let n = 0;
        for (let m = end - W + 1; m <= end; m++) n += perMinute.get(m) ?? 0;
        counts.push(n);
      }
      const mean = counts.reduce((a, b) => a + b, 0) / periods;
      const stddev = Math.sqrt(counts.reduce((a, b) => a + (b - mean) ** 2, 0) / periods);
      limit = mean + k * stddev;
      baseline = { mean, stddev, k, periods, counts };
      fired = count > limit && count >= c.threshold;
    }
    if (!fired) continue;
    const anomaly: Anomaly = {
      rule: c.index,
      action: rule.action,
      mode: c.mode,
      windowMinutes: rule.windowMinutes,
      windowStart: from,
      windowEnd: now,
      count,
      limit,
      groups,
      topActors,
    };
    if (rule.name !== undefined) anomaly.name = rule.name;
    if (tenant !== undefined) anomaly.tenantId = tenant;
    if (c.groupBy !== undefined) anomaly.groupBy = c.groupBy;
    if (baseline !== undefined) anomaly.baseline = baseline;
    out.push(anomaly);
  }
  return out;
}

export const detectAnomalies = query({
  args: {
    rules: v.array(vAnomalyRule),
    now: v.optional(v.number()),
    topActors: v.optional(v.number()),
  },
  returns: v.array(vAnomaly),
  handler: detectAnomaliesHandler,
});
