// @vitest-environment happy-dom
import { renderHook } from "@testing-library/react";
import { makeFunctionReference, type PaginationOptions } from "convex/server";
import { ConvexError } from "convex/values";
import { beforeEach, describe, expect, test, vi } from "vitest";
import type { EventPage } from "../shared/validators.js";
import type { SearchPage } from "../shared/filters.js";

const mutate = vi.fn();
vi.mock("convex/react", () => ({
  usePaginatedQuery: vi.fn(() => ({ results: [], status: "LoadingFirstPage", isLoading: true, loadMore: () => {} })),
  useQuery: vi.fn(() => undefined),
  useMutation: vi.fn(() => mutate),
}));
const { usePaginatedQuery, useQuery } = await import("convex/react");
const {
  useAuditLogByResource,
  useAuditLogSearch,
  useAuditLogStats,
  usePaginatedAuditLog,
  usePaginatedAuditLogByActor,
  usePaginatedAuditLogByResource,
  usePaginatedAuditLogByTenant,
  describeAuditLogError,
  useAuditedMutation,
} = await import("./index.js");

type Paged<A> = A & { paginationOpts: PaginationOptions };
const listByResource = makeFunctionReference<"query", Paged<{ resourceType: string; resourceId: string; tenantId?: string }>, EventPage>(
  "auditLog:listByResource",
);
const listByActor = makeFunctionReference<"query", Paged<{ actorId: string; actions?: string[] }>, EventPage>("auditLog:listByActor");
const listByTenant = makeFunctionReference<"query", Paged<{ tenantId: string; fromTimestamp?: number }>, EventPage>("auditLog:listByTenant");
const search = makeFunctionReference<"query", Paged<{ filters: { severity?: string[]; query?: string }; scanBudget?: number }>, SearchPage>(
  "auditLog:search",
);

const paged = vi.mocked(usePaginatedQuery);
const plain = vi.mocked(useQuery);
beforeEach(() => {
  paged.mockClear();
  plain.mockClear();
});

describe("paginated hooks pass the app's reference, its arguments and the page size", () => {
  test("by resource, actor and tenant: 25 per page unless told", () => {
    renderHook(() => usePaginatedAuditLogByResource(listByResource, { resourceType: "documents", resourceId: "d1" }));
    expect(paged).toHaveBeenLastCalledWith(listByResource, { resourceType: "documents", resourceId: "d1" }, { initialNumItems: 25 });

    renderHook(() => usePaginatedAuditLogByActor(listByActor, { actorId: "ada", actions: ["user.login"] }, { initialNumItems: 10 }));
    expect(paged).toHaveBeenLastCalledWith(listByActor, { actorId: "ada", actions: ["user.login"] }, { initialNumItems: 10 });

    renderHook(() => usePaginatedAuditLogByTenant(listByTenant, { tenantId: "acme", fromTimestamp: 5 }, { initialNumItems: 100 }));
    expect(paged).toHaveBeenLastCalledWith(listByTenant, { tenantId: "acme", fromTimestamp: 5 }, { initialNumItems: 100 });
  });

  test('"skip" is passed through, so nothing is subscribed', () => {
    renderHook(() => usePaginatedAuditLogByResource(listByResource, "skip"));
    expect(paged).toHaveBeenLastCalledWith(listByResource, "skip", { initialNumItems: 25 });
    renderHook(() => useAuditLogSearch(search, "skip", { initialNumItems: 5 }));
    expect(paged).toHaveBeenLastCalledWith(search, "skip", { initialNumItems: 5 });
  });

  test("search wraps the filters and sends scanBudget only when given", () => {
    renderHook(() => useAuditLogSearch(search, { severity: ["error"], query: "login" }));
    const [, args] = paged.mock.lastCall!;
    expect(args).toEqual({ filters: { severity: ["error"], query: "login" } });
    // A key set to undefined is not the same argument to every client: leave it out.
    expect(Object.keys(args as object)).toEqual(["filters"]);

    renderHook(() => useAuditLogSearch(search, {}, { scanBudget: 500, initialNumItems: 50 }));
    expect(paged).toHaveBeenLastCalledWith(search, { filters: {}, scanBudget: 500 }, { initialNumItems: 50 });
  });

  test("returns what usePaginatedQuery returns", () => {
    const loadMore = vi.fn();
    paged.mockReturnValueOnce({ results: [{ _id: "e1" }], status: "CanLoadMore", isLoading: false, loadMore } as never);
    const { result } = renderHook(() => usePaginatedAuditLogByTenant(listByTenant, { tenantId: "acme" }));
    expect(result.current.status).toBe("CanLoadMore");
    expect(result.current.results.map((e) => e._id)).toEqual(["e1"]);
    expect(result.current.loadMore).toBe(loadMore);
  });

  test("the README's usePaginatedAuditLog still works as documented", () => {
    renderHook(() => usePaginatedAuditLog(listByTenant, { tenantId: "acme" }, { initialNumItems: 25 }));
    expect(paged).toHaveBeenLastCalledWith(listByTenant, { tenantId: "acme" }, { initialNumItems: 25 });
  });
});

describe("non-paginated hooks", () => {
  test("pass reference and arguments, or skip, to useQuery", () => {
    const byResource = makeFunctionReference<"query", { resourceType: string; resourceId: string; limit?: number }, never[]>("auditLog:queryByResource");
    renderHook(() => useAuditLogByResource(byResource, { resourceType: "documents", resourceId: "d1", limit: 20 }));
    expect(plain).toHaveBeenLastCalledWith(byResource, { resourceType: "documents", resourceId: "d1", limit: 20 });
    renderHook(() => useAuditLogByResource(byResource, "skip"));
    expect(plain).toHaveBeenLastCalledWith(byResource, "skip");
    const getStats = makeFunctionReference<"query", { fromTimestamp?: number; toTimestamp?: number }, { totalCount: number }>("auditLog:getStats");
    plain.mockReturnValueOnce({ totalCount: 3 });
    const { result } = renderHook(() => useAuditLogStats(getStats, { fromTimestamp: 0, toTimestamp: 60_000 }));
    expect(result.current).toEqual({ totalCount: 3 });
  });
});

describe("describeAuditLogError", () => {
  test("reads the package's ConvexError data, a string payload, or a plain error's first line", () => {
    expect(describeAuditLogError(new ConvexError({ code: "INVALID_ARGUMENT", message: "fromTimestamp is after toTimestamp", path: "fromTimestamp" }))).toEqual({
      code: "INVALID_ARGUMENT",
      message: "fromTimestamp is after toTimestamp",
      path: "fromTimestamp",
    });
    expect(describeAuditLogError(new ConvexError("nope"))).toEqual({ message: "nope" });
    expect(
      describeAuditLogError(new Error("[CONVEX Q(reports:x)] [Request ID: abc] Server Error\nUncaught Error: Only admins can read audit reports")),
    ).toEqual({ message: "Only admins can read audit reports" });
    expect(describeAuditLogError(new Error("[CONVEX Q(reports:x)] [Request ID: abc] Server Error"))).toEqual({ message: "Server Error" });
    expect(describeAuditLogError("boom")).toEqual({ message: "boom" });
  });
});

describe("useAuditedMutation", () => {
  test("a committed failure comes back as the original error; a result comes back as is", async () => {
    const pay = makeFunctionReference<"mutation", { amount: number }, string | { auditFailure: { message: string; code?: string; data?: unknown } }>("payments:pay");
    const { result } = renderHook(() => useAuditedMutation(pay));
    mutate.mockResolvedValueOnce("doc_1");
    await expect(result.current({ amount: 1 })).resolves.toBe("doc_1");
    mutate.mockResolvedValueOnce({ auditFailure: { message: "short by 30", code: "INSUFFICIENT_FUNDS", data: { code: "INSUFFICIENT_FUNDS", message: "short by 30" } } });
    const e = await result.current({ amount: 80 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConvexError);
    expect((e as ConvexError<{ code: string }>).data).toEqual({ code: "INSUFFICIENT_FUNDS", message: "short by 30" });
    mutate.mockResolvedValueOnce({ auditFailure: { message: "Server Error" } });
    await expect(result.current({ amount: 13 })).rejects.toThrow("Server Error");
  });
});
