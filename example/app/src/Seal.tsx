import { useQuery } from "convex/react";
import { useEffect, useState } from "react";
import { api } from "../../convex/_generated/api";

/** The newest signed checkpoint and its age: how far the tamper-evident part of the log reaches, and how fresh it is. */
export function SealStatus() {
  const cp = useQuery(api.auditLog.latestCheckpoint, {});
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  if (cp === undefined) return <div style={{ color: "#6b7280", fontSize: 13 }}>loading…</div>;
  if (cp === null) return <div data-testid="seal-status" data-state="none" style={{ fontSize: 13 }}>No checkpoint yet: the first is signed within a minute.</div>;
  const age = Math.max(0, Math.round((now - cp.time) / 1000));
  const stale = age > 120;
  return (
    <div data-testid="seal-status" data-state={stale ? "stale" : "fresh"} data-size={cp.size} style={{ fontSize: 13, display: "flex", flexDirection: "column", gap: 4 }}>
      <div>
        Latest checkpoint: <strong data-testid="seal-size">{cp.size.toLocaleString("en")}</strong> events sealed, signed{" "}
        <span data-testid="seal-age" style={{ color: stale ? "#b91c1c" : "#15803d" }}>
          {age < 120 ? `${age} s` : `${Math.round(age / 60)} min`} ago
        </span>{" "}
        ({new Date(cp.time).toISOString()})
      </div>
      <div style={{ color: "#6b7280", fontSize: 12, wordBreak: "break-all" }}>
        root <code>{cp.root}</code> · key <code>{cp.verifierKeys[cp.verifierKeys.length - 1] ?? "?"}</code>
      </div>
    </div>
  );
}
