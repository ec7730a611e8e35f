/**
 * Export of the events a viewer has loaded, in the same row format as the
 * server's `generateReport` (shared/report.ts): CSV cells are neutralised
 * against formula injection, nested values are written as JSON.
 */
import { DEFAULT_REPORT_FIELDS, FORMATS, jsonRecord, REPORT_FIELDS, type ReportField } from "../shared/report.js";
import type { AuditEvent } from "../shared/validators.js";

/** The viewer's CSV columns: the server report's defaults, and what the viewer shows besides (the diff as text). */
export const VIEWER_EXPORT_FIELDS: readonly ReportField[] = [
  "_id",
  ...DEFAULT_REPORT_FIELDS,
  "actor.type",
  "actor.name",
  "errorMessage",
  "tags",
  "diff",
  "context.ip",
  "context.source",
];

/** CSV (RFC 4180, CRLF, UTF-8 BOM for Excel), one row per event. */
export function eventsToCsv(events: readonly AuditEvent[], columns: readonly ReportField[] = VIEWER_EXPORT_FIELDS): string {
  let out = FORMATS.csv.header(columns, true);
  for (const e of events) out += FORMATS.csv.row(e, columns);
  return out;
}

/** A JSON array, one object per event with every field (absent ones null). */
export function eventsToJson(events: readonly AuditEvent[], columns: readonly ReportField[] = REPORT_FIELDS): string {
  return JSON.stringify(
    events.map((e) => jsonRecord(e, columns)),
    null,
    2,
  );
}

/** Hands `text` to the browser as a file download. */
export function downloadText(fileName: string, text: string, mimeType: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: mimeType }));
  const a = document.createElement("a");
  a.href = url;
  a.download = fileName;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Revoked after the click has started the download; revoking at once cancels it in some browsers.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
