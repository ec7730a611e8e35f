import { useQuery } from "convex/react";
import { AuditLogErrorBoundary, AuditLogErrorMessage, useAuditLogStats } from "convex-audit-log/react";
import { useState, type ReactNode } from "react";
import { api } from "../../convex/_generated/api";
import { BarList, SeverityLegend, StackedColumns, severityBars } from "./charts";
import { endOfMinute, useMinute } from "./useMinute";

const RANGES = {
  "24h": { label: "Last 24 hours, hourly", bucketMinutes: 60, buckets: 24 },
  "1h": { label: "Last hour, 5-minute buckets", bucketMinutes: 5, buckets: 12 },
} as const;
type RangeKey = keyof typeof RANGES;

export function Analytics() {
  const [range, setRange] = useState<RangeKey>("24h");
  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 12 }}>
      <select data-testid="analytics-range" aria-label="Window" value={range} onChange={(e) => setRange(e.target.value as RangeKey)} style={{ font: "inherit", alignSelf: "flex-start" }}>
        {(Object.keys(RANGES) as RangeKey[]).map((k) => (
          <option key={k} value={k}>
            {RANGES[k].label}
          </option>
        ))}
      </select>
      <AuditLogErrorBoundary
        resetKey={range}
        fallback={(error, retry) => (
          <div data-testid="analytics-error">
            <AuditLogErrorMessage error={error} onRetry={retry} />
          </div>
        )}
      >
        <Charts range={range} />
      </AuditLogErrorBoundary>
    </div>
  );
}

function Charts({ range }: { range: RangeKey }) {
  const { bucketMinutes, buckets } = RANGES[range];
  // Stable for a minute: both queries keep their subscription until the minute turns (README "Live dashboards").
  const toTimestamp = endOfMinute(useMinute());
  const fromTimestamp = toTimestamp - bucketMinutes * buckets * 60_000 + 1;
  const stats = useAuditLogStats(api.auditLog.getStats, { fromTimestamp, toTimestamp, topK: 8 });
  // One query for the whole series: the server asks getStats per bucket.
  const series = useQuery(api.dashboard.eventsOverTime, { toTimestamp, bucketMinutes, buckets });

  if (stats === undefined || series === undefined) return <div data-testid="analytics-loading">Loading…</div>;
  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 12 }}>
      <div style={{ display: "flex", gap: 24 }}>
        <Figure label="events" value={stats.totalCount} testId="stats-total" />
        <Figure label="failures" value={stats.byStatus.failure} testId="stats-failures" />
        <Figure label="actors" value={stats.distinctActors} testId="stats-actors" />
        <Figure label="actions" value={stats.distinctActions} testId="stats-actions" />
      </div>
      <Chart title="Events over time">
        <StackedColumns buckets={series.buckets} testId="chart-over-time" />
        <SeverityLegend />
      </Chart>
      <Chart title="By severity">
        <BarList items={severityBars(stats.bySeverity)} testId="chart-severity" />
      </Chart>
      <Chart title="Top actions">
        <BarList items={stats.topActions.map((a) => ({ label: a.action, value: a.count }))} testId="chart-top-actions" />
      </Chart>
      <Chart title="Top actors">
        <BarList items={stats.topActors.map((a) => ({ label: a.actorId, value: a.count, color: "#0d9488" }))} testId="chart-top-actors" />
      </Chart>
    </div>
  );
}

function Figure({ label, value, testId }: { label: string; value: number; testId: string }) {
  return (
    <div>
      <div data-testid={testId} data-value={value} style={{ fontSize: 24, fontWeight: 700 }}>
        {value.toLocaleString("en")}
      </div>
      <div style={{ fontSize: 12, color: "#6b7280" }}>{label}</div>
    </div>
  );
}

function Chart({ title, children }: { title: string; children: ReactNode }) {
  return (
    <figure style={{ margin: 0 }}>
      <figcaption style={{ fontSize: 12, fontWeight: 600, color: "#374151", marginBottom: 4 }}>{title}</figcaption>
      {children}
    </figure>
  );
}
