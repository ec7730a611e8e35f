/**
 * Client side of statistics and anomaly detection: thin calls into the
 * component, typed for the app. See README "Statistics".
 */
import type { GenericActionCtx, GenericDataModel } from "convex/server";
import type { ComponentApi } from "../component/_generated/component.js";
import type { Anomaly, AnomalyRule, AuditStats } from "../shared/stats.js";

type RunQueryCtx = Pick<GenericActionCtx<GenericDataModel>, "runQuery">;
type RunMutationCtx = Pick<GenericActionCtx<GenericDataModel>, "runMutation">;

export type StatsArgs = {
  /** Inclusive, ms. Default 0 (all time). */
  fromTimestamp?: number;
  /**
   * Inclusive, ms. Default: now. In a query, `Date.now()` does not make the
   * query re-run as time passes: for a live dashboard pass a rounded window.
   */
  toTimestamp?: number;
  /** Only this tenant's events. */
  tenantId?: string;
  /** Entries in topActions and topActors: 1 to 100, default 10. */
  topK?: number;
};

export type AnomalyRuleInput = {
  /** The action to watch, e.g. "user.login.failed". */
  action: string;
  /**
   * Threshold rules fire at `count >= threshold` (per group with `groupBy`).
   * With `baseline`, a minimum count below which the rule never fires (default 1).
   */
  threshold?: number;
  /** The window ending now: 1 to 1,440 minutes (a day). */
  windowMinutes: number;
  /** Apply the threshold to each actor's or each tenant's count instead of the total. */
  groupBy?: "actor" | "tenant";
  /** Only this tenant's events. */
  tenantId?: string;
  /** Compare with the same window over the last `periods` periods: fires at count > mean + k·stddev. */
  baseline?: { periods: number; k?: number; periodMinutes?: number };
  /** Returned with the anomaly. */
  name?: string;
};

export type DetectOptions = {
  /** The end of every window, for reproducible checks. Default: now. */
  now?: number;
  /** Applied to every rule that names no tenant. */
  tenantId?: string;
  /** Contributors listed per anomaly: 1 to 20, default 5. */
  topActors?: number;
};

export type RollupOptions = {
  /** Events per batch, 1 to 10,000. Default 2,000. */
  maxEvents?: number;
  /**
   * Leave events younger than this to the tail (default 15 s): a mutation that
   * is still running may yet commit an event with an older `_creationTime`.
   * 0 is only safe when nothing is logging (tests, imports).
   */
  settleMs?: number;
};

export type RollupResult = { folded: number; caughtUp: boolean; rolledUpThrough: number | null };
export type StatsStatus = { rolledUpThrough: number | null; folded: number; batches: number; updatedAt: number | null };

export async function getStats(component: ComponentApi, ctx: RunQueryCtx, args: StatsArgs): Promise<AuditStats> {
  return await ctx.runQuery(component.stats.getStats, args);
}

export function withTenant(rules: AnomalyRuleInput[], tenantId: string | undefined): AnomalyRule[] {
  return rules.map((r) => (tenantId === undefined || r.tenantId !== undefined ? { ...r } : { ...r, tenantId }));
}

export async function detectAnomalies(
  component: ComponentApi,
  ctx: RunQueryCtx,
  rules: AnomalyRuleInput[],
  options: DetectOptions,
): Promise<Anomaly[]> {
  const { tenantId, ...rest } = options;
  return await ctx.runQuery(component.anomalies.detectAnomalies, { rules: withTenant(rules, tenantId), ...rest });
}

export async function rollupStats(component: ComponentApi, ctx: RunMutationCtx, options: RollupOptions): Promise<RollupResult> {
  return await ctx.runMutation(component.stats.rollup, options);
}

export async function statsStatus(component: ComponentApi, ctx: RunQueryCtx): Promise<StatsStatus> {
  return await ctx.runQuery(component.stats.status, {});
}
