/**
 * A drop-in audit log viewer for an admin page: filters, a live list with
 * infinite scroll, expandable rows with the structured diff, severity colours
 * and export of what is loaded. It reads through the `search` query your app
 * exposes (`exposeAuditLogApi`), so it shows exactly what the caller's scope
 * allows. Plain React and inline styles: no UI framework, no stylesheet.
 */
import { useEffect, useMemo, useRef, useState, type CSSProperties, type ReactNode } from "react";
import { useMutation } from "convex/react";
import type { FunctionReference } from "convex/server";
import { renderChangeValue } from "../shared/diff.js";
import { renderPath } from "../shared/values.js";
import { SEARCH_FILTERS, type SearchFilters } from "../shared/filters.js";
import { FORMATS } from "../shared/report.js";
import type { AuditEvent, Change, Severity } from "../shared/validators.js";
import { AuditLogErrorBoundary } from "./ErrorBoundary.js";
import { EventSeal, type ProveEventQuery } from "./EventSeal.js";
import { downloadText, eventsToCsv, eventsToJson } from "./exportEvents.js";
import { EMPTY_FILTERS, toLocalDateTime, validateAuditFilters, type AuditFilterDraft } from "./filters.js";
import { formatTimestamp, getSeverityColor } from "./format.js";
import { DEFAULT_PAGE_SIZE, useAuditLogSearch, type PaginatedEventQuery, type SearchArgs } from "./hooks.js";

export type AuditLogViewerProps = {
  /** Your exposed search query, e.g. `api.auditLog.search`. */
  search: PaginatedEventQuery<SearchArgs>;
  /** Filters always applied, over whatever the form says (e.g. `{ resourceType: "documents", resourceId }`). */
  fixedFilters?: SearchFilters;
  /** The form's starting values. */
  initialFilters?: Partial<AuditFilterDraft>;
  /** Events per page (first page and each scroll load). Default 25. */
  pageSize?: number;
  /** Documents a search page may read (the server's default 2,000 when left out). */
  scanBudget?: number;
  /** Height of the scrolling list. Default 560 px. */
  maxHeight?: number | string;
  /** Wait this long after typing before querying. Default 300 ms. */
  debounceMs?: number;
  /** Show times in UTC instead of the browser's time zone. */
  utc?: boolean;
  /** Download name without extension. Default "audit-log". */
  exportFileName?: string;
  /** Your exposed `proveEvent` (`api.auditLog.proveEvent`): each event's seal gets a button that checks its receipt here, in the browser. */
  proveEvent?: ProveEventQuery;
  /** The note verifier key you publish, to check receipts against (else the one that comes with the receipt, as the result says). */
  verifierKey?: string;
  title?: ReactNode;
  className?: string;
  style?: CSSProperties;
  /**
   * Your exposed `openViewer` mutation: called once per mounted viewer and
   * per distinct filter, so that each look at the log is on the record
   * (`audit.log.viewed`; reactive reads themselves cannot write).
   */
  onOpen?: OpenViewerMutation;
  /** A name for this view, recorded with each opening (e.g. "security"). */
  view?: string;
};

/** The exposed `openViewer`: `{ filters?, view? }` → the event's id. */
export type OpenViewerMutation = FunctionReference<"mutation", "public", { filters?: SearchFilters; view?: string }, string>;

/** Records each distinct filter once per mounted viewer. A refusal (not signed in) is the reads' to report. */
function RecordOpening({ mutation, filters, filtersKey, view }: { mutation: OpenViewerMutation; filters: SearchFilters; filtersKey: string; view?: string }) {
  const record = useMutation(mutation);
  const recorded = useRef(new Set<string>());
  useEffect(() => {
    if (recorded.current.has(filtersKey)) return;
    recorded.current.add(filtersKey);
    record(view === undefined ? { filters } : { filters, view }).catch(() => recorded.current.delete(filtersKey));
    // `filters` is what `filtersKey` spells: keyed on the string so an equal object does not record again.
  }, [filtersKey, record, view]);
  return null;
}

/** Scroll loads that may run on their own (to fill the box) before the user scrolls or clicks "Load more". */
const MAX_AUTO_LOADS = 10;
/** Distance from the bottom, in px, at which the next page is asked for. */
const LOAD_AHEAD_PX = 120;

const S = {
  root: { fontFamily: "system-ui, sans-serif", fontSize: 14, color: "#111827", display: "flex", flexDirection: "column", gap: 8 },
  bar: { display: "flex", flexWrap: "wrap", gap: "8px 12px", alignItems: "flex-end" },
  field: { display: "flex", flexDirection: "column", gap: 2, fontSize: 12, color: "#374151" },
  input: { font: "inherit", fontSize: 13, padding: "4px 6px", border: "1px solid #d1d5db", borderRadius: 4, minWidth: 0 },
  button: { font: "inherit", fontSize: 13, padding: "4px 10px", border: "1px solid #d1d5db", borderRadius: 4, background: "#f9fafb", cursor: "pointer" },
  alert: { border: "1px solid #fcd34d", background: "#fffbeb", color: "#92400e", borderRadius: 6, padding: "8px 12px" },
  scroll: { overflowY: "auto", border: "1px solid #e5e7eb", borderRadius: 6 },
  table: { width: "100%", borderCollapse: "collapse" },
  th: { position: "sticky", top: 0, background: "#f3f4f6", textAlign: "left", fontWeight: 600, fontSize: 12, padding: "6px 8px", borderBottom: "1px solid #e5e7eb" },
  td: { padding: "6px 8px", borderBottom: "1px solid #f3f4f6", verticalAlign: "top" },
  muted: { color: "#6b7280", fontSize: 12 },
  mono: { fontFamily: "ui-monospace, SFMono-Regular, Menlo, monospace", fontSize: 12 },
} satisfies Record<string, CSSProperties>;

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    if (ms <= 0) return;
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return ms <= 0 ? value : debounced;
}

export function AuditLogViewer(props: AuditLogViewerProps) {
  const { fixedFilters, initialFilters, debounceMs = 300 } = props;
  const [draft, setDraft] = useState<AuditFilterDraft>(() => ({ ...EMPTY_FILTERS, ...initialFilters }));
  const applied = useDebounced(draft, debounceMs);
  const { filters, errors } = useMemo(() => {
    const v = validateAuditFilters(applied);
    return { errors: v.errors, filters: { ...v.filters, ...fixedFilters } };
  }, [applied, fixedFilters]);
  const filtersKey = JSON.stringify(filters);

  return (
    <section data-testid="audit-log-viewer" className={props.className} style={{ ...S.root, ...props.style }}>
      {props.title !== undefined && <h3 style={{ margin: 0 }}>{props.title}</h3>}
      {props.onOpen !== undefined && errors.length === 0 && (
        <RecordOpening mutation={props.onOpen} filters={filters} filtersKey={filtersKey} view={props.view} />
      )}
      <FilterBar draft={draft} onChange={setDraft} />
      {errors.length > 0 ? (
        <div role="alert" data-testid="audit-filter-error" style={S.alert}>
          {errors.map((e) => (
            <div key={e}>{e}</div>
          ))}
        </div>
      ) : (
        <AuditLogErrorBoundary resetKey={filtersKey}>
          <Results key={filtersKey} {...props} filters={filters} />
        </AuditLogErrorBoundary>
      )}
    </section>
  );
}

// ---- Filters -----------------------------------------------------------------

const RANGE_PRESETS = [
  { id: "1h", label: "Last hour", ms: 3_600_000 },
  { id: "24h", label: "24 h", ms: 86_400_000 },
  { id: "7d", label: "7 days", ms: 7 * 86_400_000 },
] as const;

function FilterBar({ draft, onChange }: { draft: AuditFilterDraft; onChange: (d: AuditFilterDraft) => void }) {
  const set = <K extends keyof AuditFilterDraft>(key: K, value: AuditFilterDraft[K]) => onChange({ ...draft, [key]: value });
  const text = (key: "query" | "actions" | "actors" | "resourceType" | "resourceId" | "tenantId", label: string, placeholder: string, width = 130) => (
    <label style={S.field}>
      {label}
      <input
        data-testid={`audit-filter-${key}`}
        style={{ ...S.input, width }}
        value={draft[key]}
        placeholder={placeholder}
        onChange={(e) => set(key, e.target.value)}
      />
    </label>
  );
  const choice = (key: "status" | "category", label: string, options: readonly string[]) => (
    <label style={S.field}>
      {label}
      <select data-testid={`audit-filter-${key}`} style={S.input} value={draft[key]} onChange={(e) => set(key, e.target.value as AuditFilterDraft[typeof key])}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o}>{o}</option>
        ))}
      </select>
    </label>
  );
  const toggleSeverity = (level: Severity) =>
    set("severity", draft.severity.includes(level) ? draft.severity.filter((s) => s !== level) : [...draft.severity, level]);
  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 8 }}>
      <div style={S.bar}>
        {text("query", "Search", "words in action, summary, actor…", 220)}
        <fieldset style={{ ...S.field, border: "none", padding: 0, margin: 0, flexDirection: "row", gap: 8, alignItems: "center" }}>
          <legend style={{ ...S.field, float: "left", marginRight: 4 }}>{SEARCH_FILTERS.severity.label}</legend>
          {SEARCH_FILTERS.severity.allowed.map((level) => (
            <label key={level} style={{ display: "flex", alignItems: "center", gap: 3, color: getSeverityColor(level), fontWeight: 600, fontSize: 12 }}>
              <input
                type="checkbox"
                data-testid={`audit-filter-severity-${level}`}
                checked={draft.severity.includes(level)}
                onChange={() => toggleSeverity(level)}
              />
              {level}
            </label>
          ))}
        </fieldset>
        {choice("status", SEARCH_FILTERS.status.label, SEARCH_FILTERS.status.allowed)}
        {choice("category", SEARCH_FILTERS.category.label, SEARCH_FILTERS.category.allowed)}
      </div>
      <div style={S.bar}>
        {text("actions", SEARCH_FILTERS.actions.label, "user.login, …")}
        {text("actors", SEARCH_FILTERS.actorIds.label, "user ids, comma-separated")}
        {text("resourceType", SEARCH_FILTERS.resourceType.label, "documents", 110)}
        {text("resourceId", SEARCH_FILTERS.resourceId.label, "id", 110)}
        {text("tenantId", SEARCH_FILTERS.tenantId.label, "org id", 100)}
        <label style={S.field}>
          From
          <input type="datetime-local" data-testid="audit-filter-from" style={S.input} value={draft.from} onChange={(e) => set("from", e.target.value)} />
        </label>
        <label style={S.field}>
          To
          <input type="datetime-local" data-testid="audit-filter-to" style={S.input} value={draft.to} onChange={(e) => set("to", e.target.value)} />
        </label>
        {RANGE_PRESETS.map((p) => (
          <button
            key={p.id}
            type="button"
            data-testid={`audit-range-${p.id}`}
            style={S.button}
            // Open-ended ("to" empty) so new events keep arriving in the list.
            onClick={() => onChange({ ...draft, from: toLocalDateTime(Date.now() - p.ms), to: "" })}
          >
            {p.label}
          </button>
        ))}
        <button type="button" data-testid="audit-filter-clear" style={S.button} onClick={() => onChange(EMPTY_FILTERS)}>
          Clear
        </button>
      </div>
    </div>
  );
}

// ---- Results -----------------------------------------------------------------

type ResultsProps = AuditLogViewerProps & { filters: SearchFilters };

function Results({ search, filters, pageSize = DEFAULT_PAGE_SIZE, scanBudget, maxHeight = 560, utc, exportFileName = "audit-log", proveEvent, verifierKey }: ResultsProps) {
  const { results, status, loadMore } = useAuditLogSearch(search, filters, { initialNumItems: pageSize, scanBudget });
  const seal = useMemo(() => ({ proveEvent, verifierKey }), [proveEvent, verifierKey]);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(() => new Set());
  const scrollRef = useRef<HTMLDivElement>(null);
  const autoLoads = useRef(0);

  const nearBottom = () => {
    const el = scrollRef.current;
    return el === null || el.scrollHeight - el.scrollTop - el.clientHeight <= LOAD_AHEAD_PX;
  };
  const onScroll = () => {
    autoLoads.current = 0;
    if (status === "CanLoadMore" && nearBottom()) loadMore(pageSize);
  };
  // A list shorter than the box cannot be scrolled, and a search page may come back short (its scan
  // budget ran out): keep loading while the bottom is in view, a few pages at most without the user.
  useEffect(() => {
    if (status === "CanLoadMore" && autoLoads.current < MAX_AUTO_LOADS && nearBottom()) {
      autoLoads.current++;
      loadMore(pageSize);
    }
  }, [status, results.length, loadMore, pageSize]);

  const toggle = (id: string) =>
    setExpanded((prev) => {
      const next = new Set(prev);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const exportAs = (format: "csv" | "json") => {
    const stamp = new Date().toISOString().replace(/[:.]/g, "-");
    const { extension, contentType } = FORMATS[format];
    downloadText(`${exportFileName}-${stamp}.${extension}`, format === "csv" ? eventsToCsv(results) : eventsToJson(results), contentType);
  };

  const statusText =
    status === "LoadingFirstPage"
      ? "Loading…"
      : status === "LoadingMore"
        ? "Loading more…"
        : status === "Exhausted"
          ? results.length === 0
            ? "No events match these filters."
            : "All matching events are loaded."
          : "Scroll for more.";

  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 6 }}>
      <div style={{ ...S.bar, justifyContent: "space-between", alignItems: "center" }}>
        <span style={S.muted}>
          <span data-testid="audit-loaded-count">{results.length}</span> {results.length === 1 ? "event" : "events"} loaded
          {filters.query !== undefined && " · ordered by relevance"}
        </span>
        <span style={{ display: "flex", gap: 6 }}>
          <button type="button" data-testid="audit-export-csv" style={S.button} disabled={results.length === 0} onClick={() => exportAs("csv")}>
            Export CSV
          </button>
          <button type="button" data-testid="audit-export-json" style={S.button} disabled={results.length === 0} onClick={() => exportAs("json")}>
            Export JSON
          </button>
        </span>
      </div>
      <div ref={scrollRef} data-testid="audit-scroll" onScroll={onScroll} style={{ ...S.scroll, maxHeight }}>
        <table style={S.table}>
          <thead>
            <tr>
              {["", "Time", "Severity", "Action", "Actor", "Resource", "Tenant", "Status", "Summary"].map((h, i) => (
                <th key={i} style={S.th}>
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {results.map((event) => (
              <EventRow key={event._id} event={event} open={expanded.has(event._id)} onToggle={() => toggle(event._id)} utc={utc} seal={seal} />
            ))}
          </tbody>
        </table>
        <div data-testid="audit-status" data-status={status} style={{ ...S.muted, padding: 8, display: "flex", gap: 8, alignItems: "center" }}>
          {statusText}
          {status === "CanLoadMore" && (
            <button type="button" data-testid="audit-load-more" style={S.button} onClick={() => loadMore(pageSize)}>
              Load more
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

type Seal = { proveEvent?: ProveEventQuery; verifierKey?: string };

function EventRow({ event, open, onToggle, utc, seal }: { event: AuditEvent; open: boolean; onToggle: () => void; utc?: boolean; seal: Seal }) {
  const color = getSeverityColor(event.severity);
  const actor = event.actorId ?? `(${event.actor.type})`;
  const resource = event.resourceType === undefined ? "" : `${event.resourceType}${event.resourceId === undefined ? "" : `/${event.resourceId}`}`;
  return (
    <>
      <tr
        data-testid="audit-row"
        data-event-id={event._id}
        data-severity={event.severity}
        onClick={onToggle}
        style={{ cursor: "pointer", background: open ? "#f9fafb" : undefined, boxShadow: `inset 3px 0 0 ${color}` }}
      >
        <td style={S.td}>
          <button
            type="button"
            aria-expanded={open}
            aria-label={open ? "Hide details" : "Show details"}
            onClick={(e) => {
              e.stopPropagation();
              onToggle();
            }}
            style={{ ...S.button, padding: "0 6px" }}
          >
            {open ? "▾" : "▸"}
          </button>
        </td>
        <td style={{ ...S.td, ...S.mono, whiteSpace: "nowrap" }}>{formatTimestamp(event.timestamp, { utc })}</td>
        <td style={S.td}>
          <span style={{ color: "#fff", background: color, borderRadius: 10, padding: "1px 8px", fontSize: 12, fontWeight: 600 }}>{event.severity}</span>
        </td>
        <td style={{ ...S.td, ...S.mono }}>{event.action}</td>
        <td style={S.td}>{actor}</td>
        <td style={{ ...S.td, ...S.mono }}>{resource}</td>
        <td style={S.td}>{event.tenantId ?? ""}</td>
        <td style={{ ...S.td, color: event.status === "failure" ? "#dc2626" : undefined }}>{event.status}</td>
        <td style={S.td}>{event.summary ?? event.errorMessage ?? ""}</td>
      </tr>
      {open && (
        <tr data-testid="audit-row-details" data-event-id={event._id}>
          <td style={S.td} />
          <td colSpan={8} style={{ ...S.td, background: "#f9fafb" }}>
            <EventDetails event={event} utc={utc} seal={seal} />
          </td>
        </tr>
      )}
    </>
  );
}

function EventDetails({ event, utc, seal }: { event: AuditEvent; utc?: boolean; seal: Seal }) {
  const ctx = event.context;
  const fields: Array<[string, ReactNode]> = [
    ["Event id", <code key="id">{event._id}</code>],
    ["When", `${formatTimestamp(event.timestamp, { utc })} (${new Date(event.timestamp).toISOString()})`],
    ["Category", event.category],
    ["Actor", [event.actorId, event.actor.type, event.actor.name, event.actor.role, event.actor.email].filter(Boolean).join(" · ")],
  ];
  if (event.errorMessage !== undefined) fields.push(["Error", event.errorMessage]);
  if (event.tags !== undefined && event.tags.length > 0) fields.push(["Tags", event.tags.join(", ")]);
  if (ctx !== undefined) {
    const request = [ctx.ip, ctx.userAgent, ctx.source && `via ${ctx.source}`, ctx.requestId && `request ${ctx.requestId}`].filter(Boolean).join(" · ");
    if (request !== "") fields.push(["Request", request]);
  }
  fields.push(["Seal", <EventSeal key="seal" event={event} proveEvent={seal.proveEvent} verifierKey={seal.verifierKey} />]);
  if (event.metadata !== undefined) fields.push(["Metadata", <pre key="m" style={{ ...S.mono, margin: 0, whiteSpace: "pre-wrap" }}>{showValue(event.metadata, 2)}</pre>]);
  return (
    <div style={{ display: "flex", flexDirection: "column", gap: 8 }}>
      <dl style={{ display: "grid", gridTemplateColumns: "max-content 1fr", gap: "2px 12px", margin: 0 }}>
        {fields.map(([k, v]) => (
          <div key={k} style={{ display: "contents" }}>
            <dt style={S.muted}>{k}</dt>
            <dd style={{ margin: 0 }}>{v}</dd>
          </div>
        ))}
      </dl>
      <AuditEventDiff event={event} />
    </div>
  );
}

// ---- Diff --------------------------------------------------------------------

const OPS = {
  add: { sign: "+", label: "added", color: "#15803d", bg: "#f0fdf4" },
  remove: { sign: "−", label: "removed", color: "#b91c1c", bg: "#fef2f2" },
  replace: { sign: "~", label: "changed", color: "#b45309", bg: "#fffbeb" },
} as const;

/** A value as the stored `diff` text writes it: same truncation, same redaction markers. */
function showChangeValue(value: unknown, redacted: boolean | undefined): string {
  return value === undefined ? "" : renderChangeValue(value, redacted);
}

/** JSON with Convex's int64 and bytes written readably (JSON.stringify throws on bigint). */
function showValue(value: unknown, indent?: number): string {
  return JSON.stringify(
    value,
    (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v instanceof ArrayBuffer ? `<${v.byteLength} bytes>` : v),
    indent,
  );
}

/**
 * An event's diff: one row per change from its structured `changes` (path,
 * what it was, what it became), or its `diff` text when only that is there.
 */
export function AuditEventDiff({ event }: { event: Pick<AuditEvent, "changes" | "diff"> }) {
  const changes: readonly Change[] = event.changes ?? [];
  if (changes.length === 0 && !event.diff) {
    return (
      <div data-testid="audit-diff" data-empty="true" style={S.muted}>
        No changes recorded.
      </div>
    );
  }
  if (changes.length === 0) {
    return (
      <pre data-testid="audit-diff" style={{ ...S.mono, margin: 0, whiteSpace: "pre-wrap" }}>
        {event.diff!.split("\n").map((line, i) => {
          const op = line.startsWith("+") ? OPS.add : line.startsWith("-") ? OPS.remove : line.startsWith("~") ? OPS.replace : undefined;
          return (
            <div key={i} style={{ color: op?.color }}>
              {line}
            </div>
          );
        })}
      </pre>
    );
  }
  return (
    <table data-testid="audit-diff" style={{ ...S.table, ...S.mono, border: "1px solid #e5e7eb" }}>
      <thead>
        <tr>
          {["", "Field", "Before", "After"].map((h, i) => (
            <th key={i} style={{ ...S.th, position: "static" }}>
              {h}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {changes.map((c, i) => {
          const op = OPS[c.op];
          return (
            <tr key={i} data-testid="audit-diff-change" data-op={c.op} style={{ background: op.bg }}>
              <td style={{ ...S.td, width: "1%", color: op.color, fontWeight: 700 }} title={op.label}>
                {op.sign}
              </td>
              <td style={S.td}>
                {c.path.length === 0 ? "(root)" : renderPath(c.path)}
                {c.redacted && <span style={{ ...S.muted, marginLeft: 6 }}>redacted</span>}
              </td>
              <td style={{ ...S.td, color: OPS.remove.color, wordBreak: "break-all" }}>{showChangeValue(c.before, c.redacted)}</td>
              <td style={{ ...S.td, color: OPS.add.color, wordBreak: "break-all" }}>{showChangeValue(c.after, c.redacted)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
