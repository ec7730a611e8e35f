import { useMutation } from "convex/react";
import { describeAuditLogError } from "convex-audit-log/react";
import { useState, type CSSProperties, type ReactNode } from "react";
import { api } from "../../convex/_generated/api";
import type { Id } from "../../convex/_generated/dataModel";

export const buttonStyle: CSSProperties = {
  font: "inherit",
  fontSize: 13,
  padding: "6px 10px",
  border: "1px solid #d1d5db",
  borderRadius: 6,
  background: "#f9fafb",
  cursor: "pointer",
};

type Outcome = { ok: true; text: string } | { ok: false; text: string };

/** Buttons that run the example's mutations as the current identity; each logs events the other panels show. */
export function Generator({ orgId }: { orgId: string | undefined }) {
  const login = useMutation(api.dashboard.recordLogin);
  const logout = useMutation(api.dashboard.recordLogout);
  const failedLogins = useMutation(api.dashboard.failedLoginBurst);
  const createDocument = useMutation(api.documents.createDocument);
  const updateDocument = useMutation(api.documents.updateDocument);
  const deleteDocument = useMutation(api.dashboard.deleteDocument);
  const rotateSecret = useMutation(api.dashboard.rotateWebhookSecret);
  const burst = useMutation(api.dashboard.burst);

  const [documentId, setDocumentId] = useState<Id<"documents"> | null>(null);
  const [revision, setRevision] = useState(0);
  const [burstSize, setBurstSize] = useState("50");
  const [spread, setSpread] = useState(true);
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(0);

  const run = (label: string, work: () => Promise<string>) => {
    setBusy((n) => n + 1);
    work()
      .then((text) => setOutcome({ ok: true, text: `${label}: ${text}` }))
      .catch((e: unknown) => {
        const info = describeAuditLogError(e);
        setOutcome({ ok: false, text: `${label} failed: ${info.code ? `${info.code}: ` : ""}${info.message}` });
      })
      .finally(() => setBusy((n) => n - 1));
  };

  const burstCount = Number(burstSize);
  const burstValid = Number.isInteger(burstCount) && burstCount >= 1 && burstCount <= 500;

  const button = (testId: string, label: string, onClick: () => void, disabled = false) => (
    <button type="button" data-testid={testId} style={{ ...buttonStyle, opacity: disabled ? 0.5 : 1 }} disabled={disabled} onClick={onClick}>
      {label}
    </button>
  );

  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 10, fontSize: 14 }}>
      <Row title="Sessions">
        {button("generate-login", "Log in", () => run("Login", async () => `event ${await login({})}`))}
        {button("generate-logout", "Log out", () => run("Logout", async () => `event ${await logout({})}`))}
        {button("generate-failed-logins", "6 failed logins", () =>
          run("Failed logins", async () => `${await failedLogins({ count: 6 })} events (the failed-login rule fires at 5 in 5 minutes)`),
        )}
      </Row>
      <Row title="A document">
        {button("generate-doc-create", "Create", () =>
          run("Create", async () => {
            const id = await createDocument({ title: "Q3 plan", body: "Numbers to follow", orgId });
            setDocumentId(id);
            setRevision(0);
            return `document ${id}`;
          }),
        )}
        {button(
          "generate-doc-update",
          "Rename",
          () =>
            run("Rename", async () => {
              const title = `Q3 plan (rev ${revision + 1})`;
              await updateDocument({ documentId: documentId!, title });
              setRevision((r) => r + 1);
              return `title is now "${title}"`;
            }),
          documentId === null,
        )}
        {button(
          "generate-doc-delete",
          "Delete",
          () =>
            run("Delete", async () => {
              await deleteDocument({ documentId: documentId! });
              setDocumentId(null);
              return "document deleted";
            }),
          documentId === null,
        )}
        <span data-testid="generator-document" style={{ color: "#6b7280", fontSize: 12 }}>
          {documentId === null ? "none yet" : documentId}
        </span>
      </Row>
      <Row title="Security">
        {button("generate-secret", "Rotate webhook secret", () => run("Secret rotation", async () => `event ${await rotateSecret({})} (the secret is redacted)`))}
      </Row>
      <Row title="Burst">
        <input
          data-testid="generate-burst-count"
          aria-label="Events in the burst"
          type="number"
          min={1}
          max={500}
          value={burstSize}
          onChange={(e) => setBurstSize(e.target.value)}
          style={{ width: 70, font: "inherit", padding: 4 }}
        />
        <label style={{ fontSize: 12, display: "flex", gap: 4, alignItems: "center" }}>
          <input data-testid="generate-burst-spread" type="checkbox" checked={spread} onChange={(e) => setSpread(e.target.checked)} />
          spread over the last 24 h
        </label>
        {button(
          "generate-burst",
          "Log burst",
          () => run("Burst", async () => `${await burst({ count: burstCount, spreadMinutes: spread ? 24 * 60 : 0 })} events`),
          !burstValid,
        )}
        {!burstValid && (
          <span data-testid="generator-input-error" style={{ color: "#dc2626", fontSize: 12 }}>
            1 to 500 events
          </span>
        )}
      </Row>
      <div
        data-testid={outcome === null ? "generator-status" : outcome.ok ? "generator-status" : "generator-error"}
        role={outcome?.ok === false ? "alert" : "status"}
        style={{ fontSize: 12, minHeight: 16, color: outcome?.ok === false ? "#dc2626" : "#374151" }}
      >
        {busy > 0 ? "Working…" : (outcome?.text ?? "Each button runs a mutation as the identity above.")}
      </div>
    </div>
  );
}

function Row({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div style={{ display: "flex", flexWrap: "wrap", gap: 8, alignItems: "center" }}>
      <span style={{ width: 90, color: "#6b7280", fontSize: 12 }}>{title}</span>
      {children}
    </div>
  );
}
