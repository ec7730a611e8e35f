/**
 * One actor's statistics, for a plain user's own dashboard. The rollups
 * count by tenant and globally, not by actor, so these are counted from the
 * actor's own events (the `by_actor` / `by_tenant_actor` range of the
 * window): exact, they read no one else's events, and they cost one read per
 * event counted, so a window is limited to ACTOR_STATS_LIMITS of them.
 */
import type { QueryCtx } from "./_generated/server.js";
import { intInRange } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import { Agg, DEFAULT_TOP_K, MAX_TOP_K, statsResult, toEntry, type AuditStats } from "../shared/stats.js";
import { windowRange } from "./read.js";
import { checkStatsWindow, type GetStatsArgs } from "./statsRead.js";

export const ACTOR_STATS_LIMITS = {
  /** Events one actor-scoped statistics call counts at most; a busier window is WINDOW_TOO_LARGE. */
  maxEvents: 10_000,
  maxBytes: 8 * 1024 * 1024,
} as const;

export async function actorStats(ctx: QueryCtx, args: GetStatsArgs & { actorId: string }): Promise<AuditStats> {
  const w = checkStatsWindow(args.fromTimestamp, args.toTimestamp, Date.now());
  const k = intInRange(args.topK ?? DEFAULT_TOP_K, 1, MAX_TOP_K, "topK");
  const spec =
    args.tenantId === undefined
      ? { index: "by_actor" as const, eq: [["actorId", args.actorId]] as const }
      : { index: "by_tenant_actor" as const, eq: [["tenantId", args.tenantId], ["actorId", args.actorId]] as const };
  const agg = new Agg();
  let n = 0;
  let bytes = 0;
  for await (const e of windowRange(ctx, spec, { fromTimestamp: w.from, toTimestamp: w.to })) {
    bytes += JSON.stringify(e).length;
    if (++n > ACTOR_STATS_LIMITS.maxEvents || bytes > ACTOR_STATS_LIMITS.maxBytes) {
      throw auditError(
        "WINDOW_TOO_LARGE",
        `this actor has more than ${n - 1} events in the window; statistics of one actor count at most ${ACTOR_STATS_LIMITS.maxEvents.toLocaleString("en")}: narrow the window`,
        "fromTimestamp",
      );
    }
    agg.addEntry(toEntry(e), false);
  }
  // Counted from the log itself: no rollup diagnostics to give.
  return statsResult(agg, k, { fromTimestamp: w.from, toTimestamp: w.to }, null, 0);
}
