import { useMutation, useQuery } from "convex/react";
import { AuditLogErrorBoundary, AuditLogErrorMessage, describeAuditLogError, formatTimestamp } from "convex-audit-log/react";
import { useEffect, useState, type CSSProperties, type ReactNode } from "react";
import { api } from "../../convex/_generated/api";
import { buttonStyle } from "./Generator";
import { useMinute } from "./useMinute";

/** One sink as `sinks.list` returns it (the component's SinkStatus). */
type Sink = NonNullable<ReturnType<typeof useSinks>>["page"][number];

const STATUS_COLORS: Record<Sink["status"], { fg: string; bg: string; border: string }> = {
  active: { fg: "#166534", bg: "#f0fdf4", border: "#86efac" },
  retrying: { fg: "#92400e", bg: "#fffbeb", border: "#fcd34d" },
  paused: { fg: "#374151", bg: "#f3f4f6", border: "#d1d5db" },
  failed: { fg: "#991b1b", bg: "#fef2f2", border: "#fca5a5" },
};

const n = (x: number) => x.toLocaleString("en");
const plural = (x: number, one: string, many = `${one}s`) => `${n(x)} ${x === 1 ? one : many}`;

function bytes(x: number): string {
  if (x < 1024) return `${x} B`;
  if (x < 1024 * 1024) return `${(x / 1024).toFixed(1)} KiB`;
  return `${(x / 1024 / 1024).toFixed(1)} MiB`;
}

/** Where a sink sends, without anything secret (a sink's configuration holds none). */
function describeTarget(target: Sink["target"]): string {
  switch (target.kind) {
    case "s3":
      return `${target.endpoint.replace(/\/+$/, "")}/${target.bucket}/${target.prefix ?? ""}`;
    case "webhook":
    case "otlp":
      return target.url;
    case "convexAudit":
      return "Convex log.audit";
  }
}

function useSinks() {
  // Rounded to the minute: the arguments stay the same within it, so the query stays cached and
  // re-runs when a sink or the sealed log changes (and when the minute turns, for lagSeconds).
  const now = useMinute();
  return useQuery(api.sinks.list, { paginationOpts: { numItems: 20, cursor: null }, now });
}

/** The browser's clock, every second: only for showing lag in seconds between the query's minutes. */
function useClock(): number {
  const [clock, setClock] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setClock(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return clock;
}

/**
 * The lag in seconds now. The query measured it at the start of the
 * minute (`lagSeconds`, 0 when the oldest undelivered event is younger):
 * the seconds since then are added, or bound it when it read 0.
 */
function lagNow(s: Sink, minute: number, clock: number): string {
  if (s.lagEvents === 0) return "0 s";
  const since = Math.max(0, Math.floor((clock - minute) / 1000));
  if (s.lagSeconds > 0) return `${n(s.lagSeconds + since)} s`;
  return since === 0 ? "under a second" : `under ${n(since)} s`;
}

/**
 * Where the audit log goes besides this database (admins only: the
 * example's `sinks.list/pause/resume/backfill` refuse anyone else). Each
 * sink's loop delivers every sealed event in order; its lag is what is
 * sealed and not delivered yet.
 */
export function Sinks() {
  return (
    <AuditLogErrorBoundary
      fallback={(error, retry) => (
        <div data-testid="sinks-error">
          <AuditLogErrorMessage error={error} onRetry={retry} />
        </div>
      )}
    >
      <SinkList />
    </AuditLogErrorBoundary>
  );
}

function SinkList() {
  const sinks = useSinks();
  const minute = useMinute();
  const clock = useClock();
  if (sinks === undefined) return <div style={{ color: "#6b7280", fontSize: 13 }}>loading…</div>;
  if (sinks.page.length === 0) {
    return (
      <div data-testid="sinks-empty" style={{ fontSize: 13, color: "#374151" }}>
        No sinks configured. The local demo (<code>npm run demo</code>) adds an S3 bucket and a webhook; on a deployment, configure one with{" "}
        <code>sinks:configure</code>.
      </div>
    );
  }
  return (
    <div data-testid="sink-list" style={{ display: "flex", flexDirection: "column", gap: 10, fontSize: 13 }}>
      {sinks.page.map((s) => (
        <SinkCard key={s.name} sink={s} lag={lagNow(s, minute, clock)} />
      ))}
      <div style={{ color: "#6b7280", fontSize: 11 }}>
        Lag: sealed events not delivered yet, and how long the oldest of them has waited. The server measures it at the start of each
        minute (a rounded clock keeps the query cacheable); the seconds since are counted here.
      </div>
    </div>
  );
}

type Outcome = { ok: boolean; text: string };

function SinkCard({ sink: s, lag }: { sink: Sink; lag: string }) {
  const pause = useMutation(api.sinks.pause);
  const resume = useMutation(api.sinks.resume);
  const backfill = useMutation(api.sinks.backfill);
  const [from, setFrom] = useState("0");
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  const [busy, setBusy] = useState(false);

  const run = (label: string, work: () => Promise<string>) => {
    setBusy(true);
    work()
      .then((text) => setOutcome({ ok: true, text: `${label}: ${text}` }))
      .catch((e: unknown) => {
        const info = describeAuditLogError(e);
        setOutcome({ ok: false, text: `${label} failed: ${info.code ? `${info.code}: ` : ""}${info.message}` });
      })
      .finally(() => setBusy(false));
  };

  const fromSeq = Number(from);
  const fromValid = from.trim() !== "" && Number.isInteger(fromSeq) && fromSeq >= 0 && fromSeq <= s.nextSeq;
  const running = s.status === "active" || s.status === "retrying";
  const color = STATUS_COLORS[s.status];
  const t = s.totals;

  return (
    <div
      data-testid="sink"
      data-name={s.name}
      data-kind={s.target.kind}
      data-status={s.status}
      data-lag-events={s.lagEvents}
      data-lag-seconds={s.lagSeconds}
      data-next-seq={s.nextSeq}
      data-sealed-size={s.sealedSize}
      data-last-delivered-seq={s.lastDeliveredSeq ?? ""}
      data-delivered={t.delivered}
      data-batches={t.batches}
      data-failures={t.failures}
      data-bytes-sent={t.bytesSent}
      style={{ border: `1px solid ${color.border}`, borderRadius: 6, padding: "8px 10px", display: "flex", flexDirection: "column", gap: 6 }}
    >
      <div style={{ display: "flex", justifyContent: "space-between", alignItems: "baseline", gap: 8, flexWrap: "wrap" }}>
        <div style={{ display: "flex", gap: 8, alignItems: "baseline", minWidth: 0 }}>
          <strong data-testid="sink-name" style={{ fontSize: 14 }}>
            {s.name}
          </strong>
          <span style={{ fontSize: 11, color: "#6b7280", textTransform: "uppercase" }}>
            {s.target.kind} · {s.format}
          </span>
        </div>
        <span data-testid="sink-status" style={{ fontSize: 12, fontWeight: 600, color: color.fg, background: color.bg, border: `1px solid ${color.border}`, borderRadius: 999, padding: "0 8px" }}>
          {s.status}
          {s.status === "retrying" && s.nextAttemptAt !== null ? ` (attempt ${s.attempts + 1} at ${new Date(s.nextAttemptAt).toLocaleTimeString()})` : ""}
        </span>
      </div>
      <code data-testid="sink-target" style={{ fontSize: 12, color: "#374151", wordBreak: "break-all" }}>
        {describeTarget(s.target)}
      </code>
      <Facts>
        <Fact label="Lag" testId="sink-lag">
          {plural(s.lagEvents, "event")} · {lag}
        </Fact>
        <Fact label="Cursor" testId="sink-cursor">
          next seq {n(s.nextSeq)} of {n(s.sealedSize)} sealed
        </Fact>
        <Fact label="Last delivered" testId="sink-last-delivered">
          {s.lastDeliveredSeq === null ? "nothing yet" : `seq ${n(s.lastDeliveredSeq)}${s.lastDeliveredAt !== null ? ` at ${formatTimestamp(s.lastDeliveredAt)}` : ""}`}
        </Fact>
        <Fact label="Totals" testId="sink-totals">
          {n(t.delivered)} delivered · {plural(t.batches, "batch", "batches")} · {plural(t.failures, "failure")} · {bytes(t.bytesSent)} sent
          {t.skipped > 0 ? ` · ${n(t.skipped)} skipped` : ""}
        </Fact>
      </Facts>
      {s.lastError !== null && (
        <div data-testid="sink-last-error" data-code={s.lastError.code} style={{ fontSize: 12, color: "#7f1d1d", background: "#fef2f2", borderRadius: 4, padding: "4px 8px" }}>
          Last error <strong>{s.lastError.code}</strong>
          {s.lastError.httpStatus !== undefined ? ` (HTTP ${s.lastError.httpStatus})` : ""} at {formatTimestamp(s.lastError.at)}
          {s.lastError.retryable ? "" : " · not retryable"}: {s.lastError.message}
        </div>
      )}
      <div style={{ display: "flex", gap: 6, alignItems: "center", flexWrap: "wrap" }}>
        <button type="button" data-testid="sink-pause" style={buttonStyle} disabled={busy || s.status === "paused"} onClick={() => run("Pause", async () => ((await pause({ name: s.name })) ? "paused" : "was paused already"))}>
          Pause
        </button>
        <button type="button" data-testid="sink-resume" style={buttonStyle} disabled={busy || running} onClick={() => run("Resume", async () => ((await resume({ name: s.name })) ? "resumed" : "was running already"))}>
          Resume
        </button>
        <span style={{ marginLeft: 8, display: "flex", gap: 4, alignItems: "center" }}>
          <label style={{ fontSize: 12 }}>
            Backfill from seq{" "}
            <input
              data-testid="sink-backfill-from"
              inputMode="numeric"
              value={from}
              onChange={(e) => setFrom(e.target.value)}
              style={{ font: "inherit", fontSize: 12, width: 70, padding: "2px 4px", border: `1px solid ${fromValid ? "#d1d5db" : "#f87171"}`, borderRadius: 4 }}
            />
          </label>
          <button
            type="button"
            data-testid="sink-backfill"
            style={buttonStyle}
            disabled={busy || !fromValid}
            title={fromValid ? undefined : `a whole number from 0 to the cursor (${s.nextSeq})`}
            onClick={() => run("Backfill", async () => `sending again from seq ${n((await backfill({ name: s.name, fromSeq })).nextSeq)}`)}
          >
            Backfill
          </button>
        </span>
      </div>
      {!fromValid && (
        <div data-testid="sink-backfill-invalid" style={{ fontSize: 12, color: "#92400e" }}>
          Backfill starts from a whole number between 0 and the cursor ({n(s.nextSeq)}).
        </div>
      )}
      {outcome !== null && (
        <div data-testid={outcome.ok ? "sink-action-result" : "sink-action-error"} role={outcome.ok ? undefined : "alert"} style={{ fontSize: 12, color: outcome.ok ? "#166534" : "#dc2626" }}>
          {outcome.text}
        </div>
      )}
    </div>
  );
}

function Facts({ children }: { children: ReactNode }) {
  return <dl style={{ margin: 0, display: "grid", gridTemplateColumns: "max-content 1fr", columnGap: 10, rowGap: 2, fontSize: 12 }}>{children}</dl>;
}

const factLabel: CSSProperties = { color: "#6b7280", margin: 0 };

function Fact({ label, testId, children }: { label: string; testId: string; children: ReactNode }) {
  return (
    <>
      <dt style={factLabel}>{label}</dt>
      <dd data-testid={testId} style={{ margin: 0 }}>
        {children}
      </dd>
    </>
  );
}
