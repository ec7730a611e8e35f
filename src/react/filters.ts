/**
 * The viewer's filter form as the user types it, and its translation into
 * `search` filters. Checked here so that a typo shows a message next to the
 * form instead of a failed query; the server checks again and its errors are
 * shown too (see AuditLogErrorBoundary).
 */
import { isOneOf } from "../shared/checks.js";
import { FILTER_LIMITS as SERVER_LIMITS, SEARCH_FILTERS, type SearchFilters } from "../shared/filters.js";
import type { Category, Severity, Status } from "../shared/validators.js";

export type AuditFilterDraft = {
  severity: Severity[];
  /** Comma-separated actions, e.g. "user.login, user.logout". */
  actions: string;
  /** Comma-separated actor ids. */
  actors: string;
  resourceType: string;
  resourceId: string;
  tenantId: string;
  status: "" | Status;
  category: "" | Category;
  /** `<input type="datetime-local">` values ("2026-11-23T18:40"), in the browser's time zone; "" is open. */
  from: string;
  to: string;
  /** Free text, searched in the action, summary, resource, actor and tags. */
  query: string;
};

export const EMPTY_FILTERS: AuditFilterDraft = {
  severity: [],
  actions: "",
  actors: "",
  resourceType: "",
  resourceId: "",
  tenantId: "",
  status: "",
  category: "",
  from: "",
  to: "",
  query: "",
};

/** What the server accepts (shared/filters.ts): checked in the browser to say so before asking. */
export const FILTER_LIMITS = {
  maxValues: SERVER_LIMITS.maxValues,
  maxIdLength: SERVER_LIMITS.maxValueLength,
  maxQueryLength: SERVER_LIMITS.maxQueryLength,
} as const;

export type ValidatedFilters = { filters: SearchFilters; errors: string[] };

const splitList = (text: string) =>
  text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

/** Milliseconds of a datetime-local value, in the browser's time zone; NaN when it is not a date. */
export function parseLocalDateTime(value: string): number {
  // Date parses "YYYY-MM-DDTHH:mm" as local time; anything else (e.g. "yesterday") is refused rather than guessed.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return Number.NaN;
  return new Date(value).getTime();
}

/** A datetime-local value for a timestamp, in the browser's time zone, to the minute. */
export function toLocalDateTime(timestamp: number): string {
  const d = new Date(timestamp);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * The search filters a draft stands for, and what is wrong with it. With any
 * error the viewer runs no query. `to` is inclusive to the end of its minute.
 */
export function validateAuditFilters(draft: AuditFilterDraft): ValidatedFilters {
  const errors: string[] = [];
  const filters: SearchFilters = {};

  const list = (text: string, label: string): string[] | undefined => {
    const values = [...new Set(splitList(text))];
    if (values.length === 0) return undefined;
    if (values.length > FILTER_LIMITS.maxValues) errors.push(`${label}: at most ${FILTER_LIMITS.maxValues} values (got ${values.length}).`);
    const long = values.find((v) => v.length > FILTER_LIMITS.maxIdLength);
    if (long !== undefined) errors.push(`${label}: "${long.slice(0, 20)}…" is longer than ${FILTER_LIMITS.maxIdLength} characters.`);
    return values;
  };
  const text = (value: string, label: string): string | undefined => {
    const v = value.trim();
    if (v === "") return undefined;
    if (v.length > FILTER_LIMITS.maxIdLength) errors.push(`${label} is longer than ${FILTER_LIMITS.maxIdLength} characters.`);
    return v;
  };

  const F = SEARCH_FILTERS;
  const severity = draft.severity.filter((s) => isOneOf(s, F.severity.allowed));
  if (severity.length !== draft.severity.length) errors.push(`${F.severity.label} must be one of ${F.severity.allowed.join(", ")}.`);
  if (severity.length > 0) filters.severity = [...new Set(severity)];
  const actions = list(draft.actions, F.actions.label);
  if (actions) filters.actions = actions;
  const actorIds = list(draft.actors, F.actorIds.label);
  if (actorIds) filters.actorIds = actorIds;

  const resourceType = text(draft.resourceType, F.resourceType.label);
  const resourceId = text(draft.resourceId, F.resourceId.label);
  const tenantId = text(draft.tenantId, F.tenantId.label);
  if (resourceType !== undefined) filters.resourceType = resourceType;
  if (resourceId !== undefined) {
    if (resourceType === undefined) errors.push("A resource id needs a resource type.");
    filters.resourceId = resourceId;
  }
  if (tenantId !== undefined) filters.tenantId = tenantId;

  for (const key of ["status", "category"] as const) {
    const value = draft[key];
    if (value === "") continue;
    if (isOneOf(value, F[key].allowed)) filters[key] = value;
    else errors.push(`${F[key].label} must be one of ${F[key].allowed.join(", ")}.`);
  }

  const from = draft.from.trim() === "" ? undefined : parseLocalDateTime(draft.from.trim());
  const to = draft.to.trim() === "" ? undefined : parseLocalDateTime(draft.to.trim());
  if (from !== undefined && Number.isNaN(from)) errors.push(`"From" is not a date and time: ${JSON.stringify(draft.from)}.`);
  if (to !== undefined && Number.isNaN(to)) errors.push(`"To" is not a date and time: ${JSON.stringify(draft.to)}.`);
  if (from !== undefined && !Number.isNaN(from)) filters.fromTimestamp = from;
  // The form shows minutes: "to 18:40" means up to the end of that minute.
  if (to !== undefined && !Number.isNaN(to)) filters.toTimestamp = to + (/:\d{2}:\d{2}/.test(draft.to) ? 0 : 59_999);
  if (filters.fromTimestamp !== undefined && filters.toTimestamp !== undefined && filters.fromTimestamp > filters.toTimestamp) {
    errors.push("The time range is reversed: “From” is after “To”.");
  }

  const query = draft.query.trim();
  if (query !== "") {
    if (query.length > FILTER_LIMITS.maxQueryLength) errors.push(`The search text is longer than ${FILTER_LIMITS.maxQueryLength} characters.`);
    filters.query = query;
  }
  return { filters, errors };
}
