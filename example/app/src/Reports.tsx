import { useMutation } from "convex/react";
import { describeAuditLogError, downloadText } from "convex-audit-log/react";
import { useState } from "react";
import { api } from "../../convex/_generated/api";
import { buttonStyle } from "./Generator";

/** This month so far, UTC: the first millisecond of the month to the last of it. */
function thisMonth() {
  const now = new Date();
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return { month: now.toISOString().slice(0, 7), startDate: Date.UTC(y, m, 1), endDate: Date.UTC(y, m + 1, 1) - 1 };
}

/**
 * Exports: the viewer's buttons save what it has loaded; this one runs this
 * month's compliance report on the server through the exposed generateReport,
 * for whoever is signed in: the auth scope decides its rows (an admin's has
 * everything, an org-admin's their organisation, a user's their own events),
 * and the run is itself logged as audit.report.generated under their name.
 */
export function Reports() {
  const generate = useMutation(api.auditLog.generateReport);
  const [state, setState] = useState<{ kind: "idle" | "busy" } | { kind: "done" | "error"; text: string }>({ kind: "idle" });

  const run = () => {
    setState({ kind: "busy" });
    const { month, startDate, endDate } = thisMonth();
    generate({ startDate, endDate, format: "csv", includeFields: ["timestamp", "action", "actorId", "resourceType"], groupBy: "action" })
      .then((report) => {
        downloadText(`compliance-${month}.csv`, report.data, "text/csv;charset=utf-8");
        setState({ kind: "done", text: `${report.recordCount} events, ${report.bytes.toLocaleString("en")} bytes, SHA-256 ${report.sha256.slice(0, 16)}…` });
      })
      .catch((e: unknown) => {
        const info = describeAuditLogError(e);
        setState({ kind: "error", text: `${info.code ? `${info.code}: ` : ""}${info.message}` });
      });
  };

  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 10, fontSize: 13 }}>
      <p style={{ margin: 0, color: "#374151" }}>
        The audit log below exports what it has loaded, with its filters, as <strong>CSV</strong> (cells that a spreadsheet would
        run as a formula are neutralised) or <strong>JSON</strong>: scroll further to include more.
      </p>
      <div style={{ display: "flex", gap: 8, alignItems: "center" }}>
        <button type="button" data-testid="report-monthly" style={buttonStyle} disabled={state.kind === "busy"} onClick={run}>
          This month's compliance report (CSV)
        </button>
        <span style={{ color: "#6b7280", fontSize: 12 }}>server-side, of the events you may read</span>
      </div>
      {state.kind === "done" && (
        <div data-testid="report-status" style={{ fontSize: 12 }}>
          Downloaded: {state.text}
        </div>
      )}
      {state.kind === "error" && (
        <div data-testid="report-error" role="alert" style={{ fontSize: 12, color: "#dc2626" }}>
          {state.text}
        </div>
      )}
    </div>
  );
}
