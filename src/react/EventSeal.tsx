/**
 * An event's seal in the viewer: its sequence number in the transparency
 * log, and a button that fetches its receipt (the exposed `proveEvent`) and
 * checks it here, in the browser, with nothing of the server's word: the
 * event hashes to its leaf, the leaf is in the checkpoint's tree, and the
 * checkpoint is signed by the verifier key. Pass the key you publish
 * (`verifierKey`): a key that arrives with the receipt only shows the
 * receipt agrees with itself, and the result says so.
 */
import { useState, type CSSProperties } from "react";
import { useConvex } from "convex/react";
import type { FunctionReference } from "convex/server";
import type { EventProof } from "../shared/integrity.js";
import { verifyReceipt, type ReceiptCheck } from "../shared/receipt.js";
import type { AuditEvent } from "../shared/validators.js";

export type ProveEventQuery = FunctionReference<"query", "public", { eventId: string }, EventProof>;

type State = { kind: "idle" } | { kind: "checking" } | { kind: "done"; check: ReceiptCheck; pinned: boolean } | { kind: "error"; message: string };

const button: CSSProperties = { font: "inherit", fontSize: 12, padding: "1px 8px", border: "1px solid #d1d5db", borderRadius: 4, background: "#fff", cursor: "pointer" };

export function EventSeal({ event, proveEvent, verifierKey }: { event: AuditEvent; proveEvent?: ProveEventQuery; verifierKey?: string }) {
  const convex = useConvex();
  const [state, setState] = useState<State>({ kind: "idle" });
  if (event.seq === undefined) return <span data-testid="audit-seal">not sealed yet (sealing runs within about a minute of logging)</span>;
  const check = async () => {
    setState({ kind: "checking" });
    try {
      const receipt = await convex.query(proveEvent!, { eventId: event._id });
      const keys = verifierKey !== undefined ? [verifierKey] : receipt.verifierKeys;
      setState({ kind: "done", check: verifyReceipt(receipt, keys), pinned: verifierKey !== undefined });
    } catch (e) {
      const data = (e as { data?: { message?: string } }).data;
      setState({ kind: "error", message: data?.message ?? (e instanceof Error ? e.message : String(e)) });
    }
  };
  return (
    <span data-testid="audit-seal" data-seq={event.seq} style={{ display: "inline-flex", gap: 8, alignItems: "baseline", flexWrap: "wrap" }}>
      <span>leaf {event.seq.toLocaleString("en")}</span>
      {proveEvent !== undefined && (
        <button type="button" data-testid="audit-verify" style={button} disabled={state.kind === "checking"} onClick={() => void check()}>
          {state.kind === "checking" ? "checking…" : "Verify"}
        </button>
      )}
      {state.kind === "done" && (
        <span data-testid="audit-verify-result" data-ok={state.check.ok} style={{ color: state.check.ok ? "#15803d" : "#b91c1c" }}>
          {state.check.ok
            ? `✓ in the signed checkpoint of ${state.check.size?.toLocaleString("en")} events${state.check.time === null ? "" : ` (${new Date(state.check.time).toISOString()})`}, key ${state.check.signedBy}${state.pinned ? "" : " (the key came with the receipt: pin yours with verifierKey)"}`
            : `✗ ${state.check.problems.join("; ")}`}
        </span>
      )}
      {state.kind === "error" && (
        <span data-testid="audit-verify-result" data-ok="false" style={{ color: "#92400e" }}>
          {state.message}
        </span>
      )}
    </span>
  );
}
