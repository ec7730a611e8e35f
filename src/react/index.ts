/**
 * React hooks over the queries your app exposes with `exposeAuditLogApi` (or
 * your own queries of the same shape). They are thin and typed: the data
 * comes from Convex's reactive `useQuery` / `usePaginatedQuery`, so a new
 * event shows up without a reload.
 */
import { usePaginatedQuery, useQuery } from "convex/react";
import type { FunctionArgs, FunctionReference, FunctionReturnType, PaginationOptions, PaginationResult } from "convex/server";
import type { AuditEvent, Severity } from "../shared/validators.js";

export type { AuditEvent, Severity };

type EventListQuery = FunctionReference<"query", "public", Record<string, unknown>, AuditEvent[]>;

// useQuery's rest-argument typing does not narrow through a generic `Q`; the public signatures above keep callers typed.
function useEvents<Q extends EventListQuery>(query: Q, args: FunctionArgs<Q> | "skip"): AuditEvent[] | undefined {
  return useQuery(query as FunctionReference<"query">, args as never) as AuditEvent[] | undefined;
}

/** Events about one resource, newest first: `undefined` while loading. */
export function useAuditLogByResource<Q extends EventListQuery>(
  query: Q,
  args: FunctionArgs<Q> | "skip",
): AuditEvent[] | undefined {
  return useEvents(query, args);
}

/** Events by one actor, newest first. */
export function useAuditLogByActor<Q extends EventListQuery>(
  query: Q,
  args: FunctionArgs<Q> | "skip",
): AuditEvent[] | undefined {
  return useEvents(query, args);
}

/** The newest events at the given severities; updates live. */
export function useWatchCriticalEvents<Q extends EventListQuery>(
  query: Q,
  args: FunctionArgs<Q> | "skip" = {} as FunctionArgs<Q>,
): AuditEvent[] | undefined {
  return useEvents(query, args);
}

/** Statistics from your exposed stats query, whatever its shape. */
export function useAuditLogStats<Q extends FunctionReference<"query", "public">>(
  query: Q,
  args: FunctionArgs<Q> | "skip",
): FunctionReturnType<Q> | undefined {
  return useQuery(query, args);
}

type PagedQuery<Args> = FunctionReference<
  "query",
  "public",
  Args & { paginationOpts: PaginationOptions },
  PaginationResult<AuditEvent>
>;

/** Any paginated event list (listByResource, listByActor, listByTenant): infinite scroll. */
export function usePaginatedAuditLog<Args extends Record<string, unknown>>(
  query: PagedQuery<Args>,
  args: Args | "skip",
  options: { initialNumItems: number } = { initialNumItems: 25 },
) {
  return usePaginatedQuery(query as never, args as never, options) as ReturnType<typeof usePaginatedQuery> & {
    results: AuditEvent[];
  };
}

/** "2026-11-23 18:40:35" in the viewer's time zone, or UTC with `{ utc: true }`. */
export function formatTimestamp(timestamp: number, options: { utc?: boolean } = {}): string {
  const d = new Date(timestamp);
  if (Number.isNaN(d.getTime())) return "invalid date";
  const pad = (n: number) => String(n).padStart(2, "0");
  const [y, mo, da, h, mi, s] = options.utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}`;
}

const SEVERITY_COLORS: Record<Severity, string> = {
  info: "#2563eb",
  warning: "#d97706",
  error: "#dc2626",
  critical: "#7c3aed",
};

/** A CSS colour per severity, readable on light and dark backgrounds. */
export function getSeverityColor(severity: Severity | string): string {
  return SEVERITY_COLORS[severity as Severity] ?? "#6b7280";
}
