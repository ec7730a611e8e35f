/**
 * React hooks over the queries your app exposes with `exposeAuditLogApi` (or
 * your own queries of the same shape). They are thin and typed: the data
 * comes from Convex's reactive `useQuery` / `usePaginatedQuery`, so a new
 * event shows up without a reload.
 */
import { useCallback } from "react";
import { useMutation, usePaginatedQuery, useQuery, type PaginatedQueryArgs, type UsePaginatedQueryReturnType } from "convex/react";
import type { FunctionArgs, FunctionReference, FunctionReturnType, PaginationOptions, PaginationResult } from "convex/server";
import type { AuditEvent } from "../shared/validators.js";
import type { SearchFilters } from "../shared/filters.js";
import { throwIfAuditFailure, type AuditFailure } from "../shared/auditFailure.js";

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

// ---- Paginated lists ------------------------------------------------------------

type TimeWindow = { fromTimestamp?: number; toTimestamp?: number };
/** What `listByResource` takes, besides `paginationOpts`. */
export type ResourceListArgs = TimeWindow & { resourceType: string; resourceId: string; tenantId?: string };
/** What `listByActor` takes, besides `paginationOpts`. */
export type ActorListArgs = TimeWindow & { actorId: string; tenantId?: string; actions?: string[] };
/** What `listByTenant` takes, besides `paginationOpts`. */
export type TenantListArgs = TimeWindow & { tenantId: string };
/** What `search` takes, besides `paginationOpts`. */
export type SearchArgs = { filters: SearchFilters; scanBudget?: number };

/**
 * A paginated query of events taking at least `Args`: your exposed
 * `listByResource` etc. The hooks are generic in it, so their arguments and
 * results are typed from your app's own API.
 */
export type PaginatedEventQuery<Args> = FunctionReference<
  "query",
  "public",
  Args & { paginationOpts: PaginationOptions },
  PaginationResult<AuditEvent>
>;

export type PaginatedAuditLogOptions = {
  /** Events in the first page; `loadMore(n)` asks for more. Default 25. */
  initialNumItems?: number;
};

export const DEFAULT_PAGE_SIZE = 25;

function usePages<Q extends PaginatedEventQuery<Record<string, unknown>>>(
  query: Q,
  args: PaginatedQueryArgs<Q> | "skip",
  options: PaginatedAuditLogOptions | undefined,
): UsePaginatedQueryReturnType<Q> {
  return usePaginatedQuery(query, args, { initialNumItems: options?.initialNumItems ?? DEFAULT_PAGE_SIZE });
}

/** A paginated hook for one shape of list: generic in your query, so arguments and rows are typed from your API. */
export type PaginatedAuditLogHook<Args> = <Q extends PaginatedEventQuery<Args>>(
  query: Q,
  args: PaginatedQueryArgs<Q> | "skip",
  options?: PaginatedAuditLogOptions,
) => UsePaginatedQueryReturnType<Q>;

/** A resource's history, page by page (`listByResource`): `results`, `status`, `loadMore(n)`. */
export const usePaginatedAuditLogByResource: PaginatedAuditLogHook<ResourceListArgs> = usePages;
/** One actor's activity, page by page (`listByActor`). */
export const usePaginatedAuditLogByActor: PaginatedAuditLogHook<ActorListArgs> = usePages;
/** A tenant's log, page by page (`listByTenant`). */
export const usePaginatedAuditLogByTenant: PaginatedAuditLogHook<TenantListArgs> = usePages;

/**
 * Search results, page by page (the exposed `search`). A search page may hold
 * fewer events than asked for, even none, when it ran out of its scan budget:
 * `status` stays "CanLoadMore" until the search is done, so keep calling
 * `loadMore`. `filters` are the search's filters; leave a key out (rather than
 * set it to `undefined`) to match everything.
 */
export function useAuditLogSearch<Q extends PaginatedEventQuery<SearchArgs>>(
  query: Q,
  filters: SearchFilters | "skip",
  options?: PaginatedAuditLogOptions & { scanBudget?: number },
): UsePaginatedQueryReturnType<Q> {
  const args = filters === "skip" ? "skip" : options?.scanBudget === undefined ? { filters } : { filters, scanBudget: options.scanBudget };
  return usePages(query, args as PaginatedQueryArgs<Q> | "skip", options);
}

/** Any paginated event list (listByResource, listByActor, listByTenant): infinite scroll. */
export function usePaginatedAuditLog<Args extends Record<string, unknown>>(
  query: PaginatedEventQuery<Args>,
  args: Args | "skip",
  options?: PaginatedAuditLogOptions,
): UsePaginatedQueryReturnType<PaginatedEventQuery<Args>> {
  return usePages(query as never, args as never, options);
}

// ---- Audited mutations ----------------------------------------------------------

/**
 * Calls an `auditedMutation` registered with `onFailure: "commit"`: a failure
 * was committed to the audit log and came back as a value; this throws the
 * original error again (a ConvexError with its data), so the component's
 * code handles it as it would any failed mutation.
 */
export function useAuditedMutation<M extends FunctionReference<"mutation", "public">>(
  mutation: M,
): (args: FunctionArgs<M>) => Promise<Exclude<FunctionReturnType<M>, AuditFailure>> {
  const run = useMutation(mutation);
  return useCallback(async (args: FunctionArgs<M>) => throwIfAuditFailure(await run(args)), [run]);
}
