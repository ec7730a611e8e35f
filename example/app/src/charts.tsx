/** Small hand-rolled SVG charts: no chart library for four pictures. */
import { getSeverityColor } from "convex-audit-log/react";

const SEVERITIES = ["info", "warning", "error", "critical"] as const;
type SeverityCounts = Record<(typeof SEVERITIES)[number], number>;

/** Horizontal bars, one per item, longest first as given. */
export function BarList({ items, testId, empty = "Nothing yet." }: { items: Array<{ label: string; value: number; color?: string }>; testId: string; empty?: string }) {
  if (items.length === 0) return <div data-testid={testId} data-empty="true" style={{ color: "#6b7280", fontSize: 12 }}>{empty}</div>;
  const max = Math.max(1, ...items.map((i) => i.value));
  const row = 20;
  const labelWidth = 150;
  const width = 400;
  return (
    <svg data-testid={testId} viewBox={`0 0 ${width} ${items.length * row}`} width="100%" role="img" style={{ display: "block" }}>
      {items.map((item, i) => {
        const w = ((width - labelWidth - 40) * item.value) / max;
        return (
          <g key={item.label} transform={`translate(0 ${i * row})`} data-testid={`${testId}-bar`} data-label={item.label} data-value={item.value}>
            <title>{`${item.label}: ${item.value}`}</title>
            <text x={labelWidth - 6} y={row / 2 + 4} textAnchor="end" fontSize={11} fill="#374151">
              {item.label.length > 24 ? `${item.label.slice(0, 23)}…` : item.label}
            </text>
            <rect x={labelWidth} y={3} width={Math.max(w, item.value > 0 ? 2 : 0)} height={row - 6} rx={2} fill={item.color ?? "#6366f1"} />
            <text x={labelWidth + w + 4} y={row / 2 + 4} fontSize={11} fill="#111827">
              {item.value}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

export type Bucket = { fromTimestamp: number; toTimestamp: number; total: number; bySeverity: SeverityCounts };

const hhmm = (t: number) => new Date(t).toTimeString().slice(0, 5);

/** Columns over time, each stacked by severity. */
export function StackedColumns({ buckets, testId }: { buckets: Bucket[]; testId: string }) {
  const width = 480;
  const height = 140;
  const left = 28;
  const bottom = 18;
  const max = Math.max(1, ...buckets.map((b) => b.total));
  const slot = (width - left) / Math.max(1, buckets.length);
  const scale = (height - bottom - 6) / max;
  const labelEvery = Math.ceil(buckets.length / 6);
  return (
    <svg data-testid={testId} viewBox={`0 0 ${width} ${height}`} width="100%" role="img" style={{ display: "block" }}>
      <text x={left - 4} y={10} fontSize={10} textAnchor="end" fill="#6b7280">
        {max}
      </text>
      <line x1={left} x2={width} y1={height - bottom} y2={height - bottom} stroke="#d1d5db" />
      {buckets.map((b, i) => {
        let y = height - bottom;
        const x = left + i * slot + 1;
        return (
          <g key={b.fromTimestamp} data-testid={`${testId}-bucket`} data-total={b.total}>
            <title>{`${hhmm(b.fromTimestamp)}–${hhmm(b.toTimestamp + 1)}: ${b.total} events`}</title>
            {/* A transparent full-height rect so the tooltip shows over empty buckets too. */}
            <rect x={x} y={0} width={slot - 2} height={height - bottom} fill="transparent" />
            {SEVERITIES.map((s) => {
              const h = b.bySeverity[s] * scale;
              y -= h;
              return h > 0 ? <rect key={s} x={x} y={y} width={Math.max(1, slot - 2)} height={h} fill={getSeverityColor(s)} /> : null;
            })}
            {i % labelEvery === 0 && (
              <text x={x} y={height - 4} fontSize={10} fill="#6b7280">
                {hhmm(b.fromTimestamp)}
              </text>
            )}
          </g>
        );
      })}
    </svg>
  );
}

export function SeverityLegend() {
  return (
    <div style={{ display: "flex", gap: 10, fontSize: 11, color: "#374151" }}>
      {SEVERITIES.map((s) => (
        <span key={s} style={{ display: "flex", gap: 4, alignItems: "center" }}>
          <span style={{ width: 10, height: 10, background: getSeverityColor(s), borderRadius: 2 }} />
          {s}
        </span>
      ))}
    </div>
  );
}

export function severityBars(counts: SeverityCounts) {
  return SEVERITIES.map((s) => ({ label: s, value: counts[s], color: getSeverityColor(s) }));
}
