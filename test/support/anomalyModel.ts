/**
 * The in-memory model of detectAnomalies: each rule's definition applied to
 * a plain list of events. The component's tests and the benchmark both check
 * the component against it.
 */
import { MINUTE, type Anomaly, type AnomalyRule } from "../../src/shared/stats.js";

export type ModelEvent = { timestamp: number; action: string; actorId?: string; tenantId?: string };

export function top(m: Map<string, number>, k: number) {
  return [...m].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).slice(0, k);
}

/** The rules' definitions applied to the events. */
export function modelAnomalies(evs: ModelEvent[], rules: AnomalyRule[], now: number, nTop = 5): Anomaly[] {
  const out: Anomaly[] = [];
  rules.forEach((rule, i) => {
    const from = now - rule.windowMinutes * MINUTE;
    const mine = evs.filter((e) => e.action === rule.action && (rule.tenantId === undefined || e.tenantId === rule.tenantId));
    const inWindow = mine.filter((e) => e.timestamp >= from && e.timestamp <= now);
    const byActor = new Map<string, number>();
    const byTenant = new Map<string, number>();
    for (const e of inWindow) {
      if (e.actorId !== undefined) byActor.set(e.actorId, (byActor.get(e.actorId) ?? 0) + 1);
      if (e.tenantId !== undefined) byTenant.set(e.tenantId, (byTenant.get(e.tenantId) ?? 0) + 1);
    }
    const count = inWindow.length;
    let fired: boolean;
    let limit = rule.threshold ?? 1;
    let groups: Array<{ key: string; count: number }> = [];
    let baseline: Anomaly["baseline"];
    if (rule.baseline === undefined && rule.groupBy !== undefined) {
      const m = rule.groupBy === "actor" ? byActor : byTenant;
      groups = top(m, 1e9)
        .filter(([, n]) => n >= rule.threshold!)
        .slice(0, 20)
        .map(([key, n]) => ({ key, count: n }));
      fired = groups.length > 0;
    } else if (rule.baseline === undefined) {
      fired = count >= rule.threshold!;
    } else {
      const { periods, k = 3, periodMinutes = rule.windowMinutes } = rule.baseline;
      const M = Math.floor(now / MINUTE);
      const counts = Array.from({ length: periods }, (_, j) => {
        const end = M - (j + 1) * periodMinutes;
        return mine.filter((e) => {
          const m = Math.floor(e.timestamp / MINUTE);
          return m > end - rule.windowMinutes && m <= end;
        }).length;
      });
      const mean = counts.reduce((a, b) => a + b, 0) / periods;
      const stddev = Math.sqrt(counts.reduce((a, b) => a + (b - mean) ** 2, 0) / periods);
      limit = mean + k * stddev;
      baseline = { mean, stddev, k, periods, counts };
      fired = count > limit && count >= (rule.threshold ?? 1);
    }
    if (!fired) return;
    const a: Anomaly = {
      rule: i,
      action: rule.action,
      mode: rule.baseline ? "baseline" : "threshold",
      windowMinutes: rule.windowMinutes,
      windowStart: from,
      windowEnd: now,
      count,
      limit,
      groups,
      topActors: top(byActor, nTop).map(([actorId, n]) => ({ actorId, count: n })),
    };
    if (rule.name !== undefined) a.name = rule.name;
    if (rule.tenantId !== undefined) a.tenantId = rule.tenantId;
    if (rule.groupBy !== undefined) a.groupBy = rule.groupBy as "actor" | "tenant";
    if (baseline) a.baseline = baseline;
    out.push(a);
  });
  return out;
}
