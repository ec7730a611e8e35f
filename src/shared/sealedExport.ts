/**
 * The export contract, one for `exportReport` (format `sealed`), `npm run
 * demo:export` and the CLI (`npx convex-audit-log verify`):
 *
 * - `events.jsonl`: one line per leaf, in sequence order from 0: the event in
 *   Convex's JSON encoding with `seq` and `leafHash` (standard base64 of the
 *   32-byte RFC 9162 leaf hash, as the tree holds it) and `seal` (salt and
 *   committed paths) at the top level; a leaf whose event is gone is the line
 *   `{"seq", "leafHash", "deleted": true}`, which the verifier reports as
 *   expired when a sealed retention record (`audit.retention.deleted`) in the
 *   same export lists it, and as deleted (a finding) otherwise;
 * - `checkpoints.jsonl`: one `{"size": N, "note": "<signed note>"}` per line,
 *   smallest size first;
 * - `verifier.key`: the C2SP/Go note verifier key (`name+keyhash+base64`).
 */
import { eventJson, type SealInfo } from "./leaf.js";

/** A sealed event's line (`leafHash` from the tree, not recomputed: an edited event then shows as itself). */
export function eventLine(doc: Record<string, unknown> & { seq?: number; seal?: SealInfo }, leafHash: string): string {
  return JSON.stringify(eventRecord(doc, leafHash)) + "\n";
}

/** The object of a sealed event's line: what delivery sinks send too, so a delivered archive verifies like an export. */
export function eventRecord(doc: Record<string, unknown> & { seq?: number; seal?: SealInfo }, leafHash: string): Record<string, unknown> {
  return { seq: doc.seq, leafHash, seal: doc.seal, ...eventJson(doc) };
}

export function deletedLine(seq: number, leafHash: string): string {
  return JSON.stringify({ seq, leafHash, deleted: true }) + "\n";
}

export function checkpointLine(c: { size: number; note: string }): string {
  return JSON.stringify({ size: c.size, note: c.note }) + "\n";
}
