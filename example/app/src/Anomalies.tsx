import { useQuery } from "convex/react";
import { ANOMALY_LIMITS, AuditLogErrorBoundary, AuditLogErrorMessage, formatTimestamp } from "convex-audit-log/react";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { buttonStyle } from "./Generator";
import { endOfMinute, useMinute } from "./useMinute";

type GroupBy = "" | "actor" | "tenant";
/** A rule as the form holds it: numbers as typed, checked when applied. */
type RuleDraft = { name: string; action: string; threshold: string; windowMinutes: string; groupBy: GroupBy };
type Rule = { name?: string; action: string; threshold: number; windowMinutes: number; groupBy?: "actor" | "tenant" };

const DEFAULT_RULES: RuleDraft[] = [
  { name: "Failed-login burst", action: "user.login.failed", threshold: "5", windowMinutes: "5", groupBy: "" },
  { name: "One account hammered", action: "user.login.failed", threshold: "3", windowMinutes: "15", groupBy: "actor" },
  { name: "Mass deletion", action: "document.deleted", threshold: "3", windowMinutes: "60", groupBy: "" },
  { name: "Secret churn", action: "settings.changed", threshold: "2", windowMinutes: "60", groupBy: "" },
];

/** The rules, or what is wrong with them (the server checks again: its errors show below the list). */
function checkRules(drafts: RuleDraft[]): { rules: Rule[]; errors: string[] } {
  const errors: string[] = [];
  if (drafts.length === 0) errors.push("Add a rule to watch for.");
  if (drafts.length > 20) errors.push("At most 20 rules.");
  const rules = drafts.map((d, i) => {
    const n = `Rule ${i + 1}`;
    const threshold = Number(d.threshold);
    const windowMinutes = Number(d.windowMinutes);
    if (d.action.trim() === "") errors.push(`${n}: name an action, e.g. user.login.failed.`);
    if (d.threshold.trim() === "" || !Number.isFinite(threshold) || threshold <= 0) errors.push(`${n}: the threshold must be a number above 0.`);
    const maxWindow = ANOMALY_LIMITS.maxWindowMinutes;
    if (!Number.isInteger(windowMinutes) || windowMinutes < 1 || windowMinutes > maxWindow) {
      errors.push(`${n}: the window must be 1 to ${maxWindow.toLocaleString("en")} whole minutes.`);
    }
    const rule: Rule = { action: d.action.trim(), threshold, windowMinutes };
    if (d.name.trim() !== "") rule.name = d.name.trim();
    if (d.groupBy !== "") rule.groupBy = d.groupBy;
    return rule;
  });
  return { rules, errors };
}

export function AnomalyMonitor() {
  const [drafts, setDrafts] = useState<RuleDraft[]>(DEFAULT_RULES);
  const [applied, setApplied] = useState(() => checkRules(DEFAULT_RULES));
  const dirty = JSON.stringify(checkRules(drafts)) !== JSON.stringify(applied);
  const edit = (i: number, patch: Partial<RuleDraft>) => setDrafts((ds) => ds.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const input = { font: "inherit", fontSize: 12, padding: "2px 4px", border: "1px solid #d1d5db", borderRadius: 4 };

  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 10, fontSize: 13 }}>
      <table style={{ borderCollapse: "collapse", width: "100%" }}>
        <thead>
          <tr style={{ textAlign: "left", fontSize: 11, color: "#6b7280" }}>
            <th>Name</th>
            <th>Action</th>
            <th>≥ count</th>
            <th>in minutes</th>
            <th>per</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {drafts.map((d, i) => (
            <tr key={i} data-testid="anomaly-rule">
              <td>
                <input aria-label={`Rule ${i + 1} name`} style={{ ...input, width: 130 }} value={d.name} onChange={(e) => edit(i, { name: e.target.value })} />
              </td>
              <td>
                <input aria-label={`Rule ${i + 1} action`} data-testid="anomaly-rule-action" style={{ ...input, width: 130 }} value={d.action} onChange={(e) => edit(i, { action: e.target.value })} />
              </td>
              <td>
                <input aria-label={`Rule ${i + 1} threshold`} data-testid="anomaly-rule-threshold" style={{ ...input, width: 50 }} value={d.threshold} onChange={(e) => edit(i, { threshold: e.target.value })} />
              </td>
              <td>
                <input aria-label={`Rule ${i + 1} window`} data-testid="anomaly-rule-window" style={{ ...input, width: 50 }} value={d.windowMinutes} onChange={(e) => edit(i, { windowMinutes: e.target.value })} />
              </td>
              <td>
                <select aria-label={`Rule ${i + 1} group by`} style={input} value={d.groupBy} onChange={(e) => edit(i, { groupBy: e.target.value as GroupBy })}>
                  <option value="">total</option>
                  <option value="actor">actor</option>
                  <option value="tenant">tenant</option>
                </select>
              </td>
              <td>
                <button type="button" aria-label={`Remove rule ${i + 1}`} style={{ ...buttonStyle, padding: "0 6px" }} onClick={() => setDrafts((ds) => ds.filter((_, j) => j !== i))}>
                  ×
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div style={{ display: "flex", gap: 8 }}>
        <button
          type="button"
          data-testid="anomaly-add"
          style={buttonStyle}
          onClick={() => setDrafts((ds) => [...ds, { name: "", action: "", threshold: "1", windowMinutes: "60", groupBy: "" }])}
        >
          Add rule
        </button>
        <button type="button" data-testid="anomaly-apply" style={{ ...buttonStyle, fontWeight: dirty ? 700 : 400 }} onClick={() => setApplied(checkRules(drafts))}>
          Apply rules{dirty ? " *" : ""}
        </button>
      </div>
      {applied.errors.length > 0 ? (
        <div role="alert" data-testid="anomaly-rule-error" style={{ color: "#92400e", background: "#fffbeb", border: "1px solid #fcd34d", borderRadius: 6, padding: "6px 10px" }}>
          {applied.errors.map((e) => (
            <div key={e}>{e}</div>
          ))}
        </div>
      ) : (
        <AuditLogErrorBoundary
          resetKey={JSON.stringify(applied.rules)}
          fallback={(error, retry) => (
            <div data-testid="anomaly-error">
              <AuditLogErrorMessage error={error} onRetry={retry} />
            </div>
          )}
        >
          <Results rules={applied.rules} />
        </AuditLogErrorBoundary>
      )}
    </div>
  );
}

function Results({ rules }: { rules: Rule[] }) {
  // Every window ends at the end of this minute: the query re-runs on new events and when the minute turns.
  const now = endOfMinute(useMinute());
  const fired = useQuery(api.auditLog.detectAnomalies, { rules, now });
  if (fired === undefined) return <div data-testid="anomaly-loading">Checking…</div>;
  const byRule = new Map(fired.map((a) => [a.rule, a]));
  return (
    <ul data-testid="anomaly-list" data-fired-count={fired.length} style={{ listStyle: "none", margin: 0, padding: 0, display: "flex", flexDirection: "column", gap: 6 }}>
      {rules.map((rule, i) => {
        const hit = byRule.get(i);
        return (
          <li
            key={i}
            data-testid="anomaly-item"
            data-fired={hit !== undefined}
            style={{
              borderRadius: 6,
              padding: "6px 10px",
              border: `1px solid ${hit ? "#f87171" : "#e5e7eb"}`,
              background: hit ? "#fef2f2" : "#f9fafb",
            }}
          >
            <div style={{ display: "flex", justifyContent: "space-between", gap: 8 }}>
              <strong style={{ color: hit ? "#b91c1c" : "#374151" }}>
                {hit ? "FIRED " : "quiet "}· {rule.name ?? rule.action}
              </strong>
              <span style={{ color: "#6b7280", fontSize: 12 }}>
                {rule.action} ≥ {rule.threshold} in {rule.windowMinutes} min{rule.groupBy ? ` per ${rule.groupBy}` : ""}
              </span>
            </div>
            {hit && (
              <div style={{ fontSize: 12, color: "#7f1d1d", marginTop: 2 }}>
                {hit.count} events from {formatTimestamp(hit.windowStart)} to {formatTimestamp(hit.windowEnd)} (limit {hit.limit})
                {hit.groups.length > 0 && <> · {hit.groups.map((g) => `${g.key}: ${g.count}`).join(", ")}</>}
                {hit.topActors.length > 0 && <> · top: {hit.topActors.map((a) => `${a.actorId} (${a.count})`).join(", ")}</>}
              </div>
            )}
          </li>
        );
      })}
    </ul>
  );
}
