/**
 * What a report row is: which fields can be columns, which can group, and how
 * one event becomes a CSV record or a JSON object. Shared by the component
 * (which formats) and the client (which types the arguments).
 */
import { convexToJson, v, type Infer, type Value } from "convex/values";
import { checkWindow, oneOf } from "./checks.js";
import { auditError } from "./errors.js";
import { csvRow, UTF8_BOM } from "./csv.js";
import { vReadScope, vSearchFilters } from "./filters.js";
import { literals, vActorType, type AuditEvent } from "./validators.js";
import { toOcsf, type OcsfSource } from "./ocsf.js";

/** Every field a report may include, in the order of the event table in the README. */
export const REPORT_FIELDS = [
  "_id",
  "timestamp",
  "action",
  "category",
  "severity",
  "status",
  "errorMessage",
  "actorId",
  "actor",
  "actor.type",
  "actor.name",
  "actor.role",
  "actor.email",
  "actor.tokenIdentifier",
  "tenantId",
  "resourceType",
  "resourceId",
  "summary",
  "tags",
  "metadata",
  "before",
  "after",
  "changes",
  "diff",
  "context",
  "context.ip",
  "context.userAgent",
  "context.requestId",
  "context.sessionId",
  "context.source",
  "idempotencyKey",
] as const;
export type ReportField = (typeof REPORT_FIELDS)[number];

/** Columns when `includeFields` is left out. */
export const DEFAULT_REPORT_FIELDS: readonly ReportField[] = [
  "timestamp",
  "action",
  "category",
  "severity",
  "status",
  "actorId",
  "tenantId",
  "resourceType",
  "resourceId",
  "summary",
];

/** Fields with few values per report, each a plain string on every event (or absent). */
export const GROUP_FIELDS = ["action", "actorId", "resourceType", "severity", "category", "status", "tenantId"] as const;
export type GroupField = (typeof GROUP_FIELDS)[number];


export const REPORT_LIMITS = {
  /** A report returned in one transaction: at most this many rows ... */
  maxRows: 10_000,
  /** ... found by scanning at most this many events (Convex allows 32,000 per transaction) ... */
  maxScanned: 24_000,
  /** ... reading at most this many bytes (Convex allows 16 MiB; checked every few rows) ... */
  maxReadBytes: 10 * 1024 * 1024,
  /** ... and producing at most this much text (a function returns at most 16 MiB). */
  maxOutputBytes: 8 * 1024 * 1024,
  maxIncludeFields: REPORT_FIELDS.length,
  /** An export file part, by default and at most: an action holds one part in memory (64 MiB). */
  defaultPartBytes: 8 * 1024 * 1024,
  minPartBytes: 1024,
  maxPartBytes: 8 * 1024 * 1024,
} as const;

/** Arguments of the one-transaction report, as the component receives them. */
export const vReportArgs = {
  startDate: v.number(),
  endDate: v.number(),
  /** Strings, so that a wrong value gets this package's typed error. */
  format: v.string(),
  includeFields: v.optional(v.array(v.string())),
  groupBy: v.optional(v.string()),
  filters: v.optional(vSearchFilters),
  /** Start the CSV with a UTF-8 byte order mark (for Excel). Default false. */
  bom: v.optional(v.boolean()),
  /** Confine the report to this scope (exposeAuditLogApi passes the caller's). */
  scope: v.optional(vReadScope),
};

// ---------------------------------------------------------------------------
// Formats: one row each. `buildReport` (one transaction), an export's pages,
// the file response and the viewer's download all read this table.

type Row = { key: string | null; text: string };

type FormatRow = {
  contentType: string;
  extension: string;
  /** Offered by generateReport (one transaction, a string) / by exportReport (file storage, any size). */
  report: boolean;
  export: boolean;
  /** Whether `bom: true` applies (a UTF-8 byte order mark, for Excel). */
  bom: boolean;
  /** What the file starts with, before the first row. */
  header(columns: readonly string[], bom: boolean): string;
  /** One row as it is written. */
  row(e: EventLike, columns: readonly ReportField[]): string;
  /** A one-transaction report from its header and rows (grouped when `groupBy` is given). */
  document?(header: string, rows: readonly Row[], groups: GroupCount[] | undefined, groupBy: GroupField | undefined): string;
};
type GroupCount = { key: string | null; count: number };

export const FORMATS = {
  csv: {
    contentType: "text/csv; charset=utf-8",
    extension: "csv",
    report: true,
    export: true,
    bom: true,
    header: (columns, bom) => csvHeader(columns, bom),
    row: (e, columns) => csvRecord(e, columns),
    document: (header, rows) => header + rows.map((r) => r.text).join(""),
  },
  json: {
    contentType: "application/json; charset=utf-8",
    extension: "json",
    report: true,
    export: false,
    bom: false,
    header: () => "",
    row: (e, columns) => JSON.stringify(jsonRecord(e, columns)),
    document: (_header, rows, groups, groupBy) => {
      if (groups === undefined) return `[${rows.map((r) => r.text).join(",")}]`;
      let at = 0;
      const parts = groups.map((g) => {
        const text = rows.slice(at, at + g.count).map((r) => r.text).join(",");
        at += g.count;
        return `{"key":${JSON.stringify(g.key)},"count":${g.count},"rows":[${text}]}`;
      });
      return `{"groupBy":${JSON.stringify(groupBy)},"groups":[${parts.join(",")}]}`;
    },
  },
  jsonl: {
    contentType: "application/x-ndjson; charset=utf-8",
    extension: "jsonl",
    report: false,
    export: true,
    bom: false,
    header: () => "",
    row: (e, columns) => JSON.stringify(jsonRecord(e, columns)) + "\n",
  },
  /** One OCSF 1.3 record per line (ocsf.ts): for a SIEM; the columns do not apply. */
  ocsf: {
    contentType: "application/x-ndjson; charset=utf-8",
    extension: "jsonl",
    report: false,
    export: true,
    bom: false,
    header: () => "",
    row: (e) => JSON.stringify(toOcsf(e as unknown as OcsfSource)) + "\n",
  },
  /**
   * The transparency log's `events.jsonl` (sealedExport.ts): every leaf up to
   * the latest checkpoint, in sequence order, whole events. Its pages walk the
   * tree (component/sealedPages.ts), not a window, so `row` is not used.
   */
  sealed: {
    contentType: "application/x-ndjson; charset=utf-8",
    extension: "jsonl",
    report: false,
    export: true,
    bom: false,
    header: () => "",
    row: () => {
      throw new Error("a sealed export is written by the tree's pages");
    },
  },
} as const satisfies Record<string, FormatRow>;
export type Format = keyof typeof FORMATS;
type Offered<K extends "report" | "export"> = { [F in Format]: (typeof FORMATS)[F][K] extends true ? F : never }[Format];
export type ReportFormat = Offered<"report">;
export type ExportFormat = Offered<"export">;
const offered = <K extends "report" | "export">(k: K) => (Object.keys(FORMATS) as Format[]).filter((f) => FORMATS[f][k]) as Offered<K>[];
export const REPORT_FORMATS = offered("report");
export const EXPORT_FORMATS = offered("export");

/** The format named, if `kind` offers it; INVALID_ARGUMENT naming the ones it does. */
export function checkFormat<K extends "report" | "export">(format: string, kind: K): Offered<K> {
  const hint = kind === "report" ? " (exportReport also writes jsonl)" : " (generateReport also returns json)";
  return oneOf(format, offered(kind), "format", "INVALID_ARGUMENT", hint);
}

export function checkBom<F extends Format>(format: F, bom: boolean | undefined): boolean {
  if (bom === true && !FORMATS[format].bom) {
    throw auditError("INVALID_ARGUMENT", `a byte order mark is for CSV only; ${format} is UTF-8 without one`, "bom");
  }
  return bom === true;
}

export const vReportGroup = v.object({ key: v.union(v.string(), v.null()), count: v.number() });

export const vReport = v.object({
  format: literals(REPORT_FORMATS),
  /** The report: CSV text, or JSON text (see the README for its shape). */
  data: v.string(),
  columns: v.array(v.string()),
  recordCount: v.number(),
  /** UTF-8 bytes of `data`. */
  bytes: v.number(),
  /** SHA-256 of `data` in UTF-8, hex: also recorded in the report's audit event. */
  sha256: v.string(),
  startDate: v.number(),
  endDate: v.number(),
  generatedAt: v.number(),
  groupBy: v.optional(v.string()),
  /** With `groupBy`: each group's key and row count, in the order the rows are written. */
  groups: v.optional(v.array(vReportGroup)),
  /** Events read to find the rows (equal to `recordCount` when the filters are index-covered). */
  scanned: v.number(),
});
export type Report = Infer<typeof vReport>;

export const vExportArgs = {
  startDate: v.number(),
  endDate: v.number(),
  format: v.string(),
  includeFields: v.optional(v.array(v.string())),
  filters: v.optional(vSearchFilters),
  bom: v.optional(v.boolean()),
  /** Largest file part in bytes (one more row may end it). Default and maximum 8 MiB. */
  partBytes: v.optional(v.number()),
  /** Confine the export to this scope (exposeAuditLogApi passes the caller's). */
  scope: v.optional(vReadScope),
};

// ---------------------------------------------------------------------------


/** The columns, in order; unknown or repeated fields are refused. */
export function checkColumns(includeFields: string[] | undefined): ReportField[] {
  if (includeFields === undefined) return [...DEFAULT_REPORT_FIELDS];
  if (includeFields.length === 0) {
    throw auditError("INVALID_ARGUMENT", "includeFields must name at least one field; leave it out for the default columns", "includeFields");
  }
  const seen = new Set<string>();
  return includeFields.map((field, i) => {
    const column = oneOf(field, REPORT_FIELDS, `includeFields[${i}]`, "INVALID_ARGUMENT", " (report fields)");
    if (seen.has(column)) throw auditError("INVALID_ARGUMENT", `includeFields: ${column} is listed twice`, `includeFields[${i}]`);
    seen.add(column);
    return column;
  });
}

export function checkGroupBy(groupBy: string | undefined): GroupField | undefined {
  return groupBy === undefined ? undefined : oneOf(groupBy, GROUP_FIELDS, "groupBy", "INVALID_ARGUMENT", " (fields that can group)");
}

/** The report window; the filters may not carry a second one. */
export function checkDates(startDate: number, endDate: number, filters: { fromTimestamp?: number; toTimestamp?: number; query?: string } | undefined) {
  checkWindow({ fromTimestamp: startDate, toTimestamp: endDate }, ["startDate", "endDate"]);
  if (filters?.fromTimestamp !== undefined || filters?.toTimestamp !== undefined) {
    throw auditError(
      "INVALID_ARGUMENT",
      "a report's window is startDate–endDate; leave fromTimestamp and toTimestamp out of its filters",
      filters.fromTimestamp !== undefined ? "filters.fromTimestamp" : "filters.toTimestamp",
    );
  }
  if (filters?.query !== undefined) {
    // Search-index results come by relevance, at most a few thousand: not a report's order or size.
    throw auditError("INVALID_ARGUMENT", "a report cannot use a free-text query; filter by fields instead", "filters.query");
  }
}

// ---------------------------------------------------------------------------

type EventLike = Omit<AuditEvent, "_id"> & { _id: string };

/** Every report field is an event field, or a field of its `actor` or `context`: checked here at compile time. */
type FieldPath<F> = F extends `${infer P}.${infer K}`
  ? P extends "actor" | "context"
    ? K extends keyof NonNullable<EventLike[P]>
      ? F
      : never
    : never
  : F extends keyof EventLike
    ? F
    : never;
true satisfies ReportField extends FieldPath<ReportField> ? true : false;

/** The raw value of one field of an event. */
export function fieldValue(e: EventLike, field: ReportField): unknown {
  const dot = field.indexOf(".");
  if (dot < 0) return e[field as keyof EventLike];
  const parent: Record<string, unknown> | undefined = e[field.slice(0, dot) as "actor" | "context"];
  return parent?.[field.slice(dot + 1)];
}

/**
 * A JSON-safe copy: Convex values may hold int64 (bigint) or bytes, which
 * JSON.stringify cannot write; Convex's own JSON encoding can, losslessly.
 */
function jsonSafe(value: unknown): unknown {
  return value === undefined ? null : convexToJson(value as Value);
}

/** One CSV cell before quoting: ISO 8601 for the timestamp, JSON for nested values, empty when absent. */
export function csvText(field: ReportField, value: unknown): string {
  if (value === undefined || value === null) return "";
  if (field === "timestamp" && typeof value === "number") return new Date(value).toISOString();
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return JSON.stringify(jsonSafe(value));
}

export function csvHeader(columns: readonly string[], bom: boolean): string {
  return (bom ? UTF8_BOM : "") + csvRow(columns);
}

export function csvRecord(e: EventLike, columns: readonly ReportField[]): string {
  return csvRow(columns.map((c) => csvText(c, fieldValue(e, c))));
}

/** One row as a JSON object: every column present (null when absent), the timestamp in ms. */
export function jsonRecord(e: EventLike, columns: readonly ReportField[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of columns) out[c] = jsonSafe(fieldValue(e, c));
  return out;
}

/** A row's group key: null when the event has no value for the field (e.g. no actor). */
export function groupKey(e: EventLike, field: GroupField): string | null {
  return (e[field] as string | undefined) ?? null;
}

/** Group order: keys ascending by code unit, events without a value last. */
export function compareGroupKeys(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}


export const EXPORT_STATUSES = ["running", "done", "failed", "canceled"] as const;

/** The `reports` table (export jobs). Written by the export's own steps and by cancel, never on the log path. */
export const reportJobFields = {
  status: literals(EXPORT_STATUSES),
  format: literals(EXPORT_FORMATS),
  startDate: v.number(),
  endDate: v.number(),
  /** Normalised, with the window as fromTimestamp/toTimestamp, and the scope forced in. */
  filters: vSearchFilters,
  /** The scope the export was asked under: its pages read only that scope's ranges. */
  scope: v.optional(vReadScope),
  columns: v.array(v.string()),
  bom: v.boolean(),
  partBytes: v.number(),
  tenantId: v.optional(v.string()),
  requestedBy: v.optional(v.string()),
  requesterType: v.optional(vActorType),
  /** The loop's fields (component/loop.ts): the step that may run next, its scheduled job, its size factor. */
  seq: v.number(),
  job: v.optional(v.id("_scheduled_functions")),
  scale: v.optional(v.number()),
  /** Where the next step starts: the position of the last event scanned. */
  cursor: v.union(v.string(), v.null()),
  /** A sealed export: the size of the checkpoint it runs up to (fixed when it starts). */
  treeSize: v.optional(v.number()),
  rowsWritten: v.number(),
  bytes: v.number(),
  scanned: v.number(),
  /** Measured by each page itself (ctx.meta.getTransactionMetrics), summed. */
  documentsRead: v.number(),
  bytesRead: v.number(),
  pages: v.number(),
  parts: v.array(v.object({ storageId: v.id("_storage"), rows: v.number(), bytes: v.number(), sha256: v.string() })),
  error: v.optional(v.object({ code: v.string(), message: v.string() })),
  createdAt: v.number(),
  updatedAt: v.number(),
  finishedAt: v.optional(v.number()),
};

/** An export job as callers see it: the stored job without its loop's and storage's own fields. */
export const vReportExport = v
  .object(reportJobFields)
  .pick(
    "status",
    "format",
    "startDate",
    "endDate",
    "columns",
    "filters",
    "tenantId",
    "requestedBy",
    "rowsWritten",
    "bytes",
    "scanned",
    "documentsRead",
    "bytesRead",
    "pages",
    "error",
    "createdAt",
    "updatedAt",
    "finishedAt",
  )
  .extend({
    jobId: v.string(),
    /**
     * The file, in parts of at most `partBytes`: concatenated in order they are
     * the report (the header is in the first part only). URLs once done.
     */
    files: v.array(v.object({ url: v.union(v.string(), v.null()), rows: v.number(), bytes: v.number(), sha256: v.string() })),
  });
export type ReportExport = Infer<typeof vReportExport>;
