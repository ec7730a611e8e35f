import { AuditLogViewer } from "convex-audit-log/react";
import { useSyncExternalStore, type CSSProperties, type ReactNode } from "react";
import { api } from "../../convex/_generated/api";
import { Analytics } from "./Analytics";
import { AnomalyMonitor } from "./Anomalies";
import { Generator } from "./Generator";
import { IDENTITIES, isIdentityKey, type DemoAuth, type IdentityKey } from "./identities";
import { Reports } from "./Reports";
import { SealStatus } from "./Seal";
import { Sinks } from "./Sinks";

export function App({ auth: demoAuth, convexUrl }: { auth: DemoAuth; convexUrl: string }) {
  const { identity, auth } = useSyncExternalStore(demoAuth.subscribe, demoAuth.get);
  const switchTo = (key: IdentityKey) => demoAuth.signInAs(key);

  return (
    <div style={{ fontFamily: "system-ui, sans-serif", color: "#111827", maxWidth: 1400, margin: "0 auto", padding: 16, display: "flex", flexDirection: "column", gap: 16 }}>
      <header style={{ display: "flex", flexWrap: "wrap", gap: 16, alignItems: "center", justifyContent: "space-between" }}>
        <div>
          <h1 style={{ margin: 0, fontSize: 22 }}>convex-audit-log dashboard</h1>
          <div style={{ color: "#6b7280", fontSize: 12 }}>
            Convex: <code data-testid="convex-url">{convexUrl}</code>
          </div>
        </div>
        <label style={{ display: "flex", gap: 8, alignItems: "center", fontSize: 14 }}>
          Acting as
          <select data-testid="identity-select" value={identity} onChange={(e) => isIdentityKey(e.target.value) && switchTo(e.target.value)} style={{ font: "inherit", padding: 4 }}>
            {(Object.keys(IDENTITIES) as IdentityKey[]).map((key) => (
              <option key={key} value={key}>
                {IDENTITIES[key].label}
              </option>
            ))}
          </select>
          <span data-testid="auth-status" data-state={auth} style={{ fontSize: 12, color: auth === "rejected" ? "#dc2626" : "#6b7280" }}>
            {auth === "pending" ? "signing in…" : auth === "signed-in" ? "signed in" : "token refused (a real deployment needs a real auth provider)"}
          </span>
        </label>
      </header>
      {/* A new identity starts every panel afresh: its errors, rules and loaded pages were the last identity's. */}
      <main key={identity} style={{ display: "grid", gridTemplateColumns: "repeat(auto-fit, minmax(420px, 1fr))", gap: 16 }}>
        <Panel title="Event generator" testId="panel-generator">
          <Generator orgId={"orgId" in IDENTITIES[identity].identity ? IDENTITIES[identity].identity.orgId : undefined} />
        </Panel>
        <Panel title="Analytics" testId="panel-analytics">
          <Analytics />
        </Panel>
        <Panel title="Anomaly monitor" testId="panel-anomalies">
          <AnomalyMonitor />
        </Panel>
        <Panel title="Export" testId="panel-export">
          <Reports />
        </Panel>
        <Panel title="Tamper evidence" testId="panel-seal">
          <SealStatus />
        </Panel>
        <Panel title="Delivery sinks (admins)" testId="panel-sinks">
          <Sinks />
        </Panel>
        <Panel title="Audit log (live)" testId="panel-viewer" style={{ gridColumn: "1 / -1" }}>
          <AuditLogViewer search={api.auditLog.search} proveEvent={api.auditLog.proveEvent} onOpen={api.auditLog.openViewer} view="dashboard" exportFileName={`audit-log-${identity}`} />
        </Panel>
      </main>
    </div>
  );
}

export function Panel({ title, testId, style, children }: { title: string; testId: string; style?: CSSProperties; children: ReactNode }) {
  return (
    <section data-testid={testId} style={{ background: "#fff", border: "1px solid #e5e7eb", borderRadius: 8, padding: 16, minWidth: 0, ...style }}>
      <h2 style={{ margin: "0 0 12px", fontSize: 16 }}>{title}</h2>
      {children}
    </section>
  );
}
