import type { Severity } from "../shared/validators.js";

/** "2026-11-23 18:40:35" in the viewer's time zone, or UTC with `{ utc: true }`. */
export function formatTimestamp(timestamp: number, options: { utc?: boolean } = {}): string {
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return "invalid date";
  const pad = (n: number) => String(n).padStart(2, "0");
  const [y, mo, da, h, mi, s] = options.utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}`;
}

const SEVERITY_COLORS: Record<Severity, string> = {
  info: "#2563eb",
  warning: "#d97706",
  error: "#dc2626",
  critical: "#7c3aed",
};

/** A CSS colour per severity, readable on light and dark backgrounds. */
export function getSeverityColor(severity: Severity | string): string {
  return SEVERITY_COLORS[severity as Severity] ?? "#6b7280";
}
