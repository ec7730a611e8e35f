// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, within } from "@testing-library/react";
import { makeFunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { createElement as h } from "react";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { AuditEvent } from "../shared/validators.js";
import type { SearchFilters } from "../shared/filters.js";

const recordOpening = vi.fn(async () => "event-id");
vi.mock("convex/react", () => ({ usePaginatedQuery: vi.fn(), useQuery: vi.fn(), useConvex: vi.fn(), useMutation: vi.fn(() => recordOpening) }));
const { usePaginatedQuery } = await import("convex/react");
const { AuditLogViewer, eventsToCsv, eventsToJson, validateAuditFilters, EMPTY_FILTERS, toLocalDateTime } = await import("./index.js");

const search = makeFunctionReference<"query">("auditLog:search") as never;
const paged = vi.mocked(usePaginatedQuery);

function event(over: Partial<AuditEvent> & { _id: string }): AuditEvent {
  return {
    _creationTime: 1,
    action: "user.login",
    category: "auth",
    severity: "info",
    status: "success",
    actor: { type: "user" },
    actorId: "ada",
    timestamp: Date.UTC(2026, 10, 23, 18, 40, 35),
    ...over,
  };
}

const EVENTS: AuditEvent[] = [
  event({
    _id: "e1",
    action: "document.updated",
    category: "data",
    resourceType: "documents",
    resourceId: "d1",
    tenantId: "acme",
    changes: [
      { path: ["title"], op: "replace", before: "Q3 plan", after: "Q3 plan (final)" },
      { path: ["tags", 0], op: "add", after: "final" },
      { path: ["draft"], op: "remove", before: true },
      { path: ["apiKey"], op: "replace", before: "[REDACTED]", after: "[REDACTED]", redacted: true },
    ],
    diff: '~ title: "Q3 plan" → "Q3 plan (final)"',
  }),
  event({ _id: "e2", action: "user.login.failed", severity: "warning", status: "failure", summary: "=HYPERLINK(\"http://x\")" }),
  event({ _id: "e3", action: "settings.changed", severity: "critical", diff: "+ retries: 5\n- old: 1" }),
];

type PageState = { results: AuditEvent[]; status: "LoadingFirstPage" | "CanLoadMore" | "LoadingMore" | "Exhausted" };
let page: PageState;
let loadMore: ReturnType<typeof vi.fn>;
let failWith: ((filters: SearchFilters) => unknown) | undefined;

beforeEach(() => {
  page = { results: EVENTS, status: "Exhausted" };
  loadMore = vi.fn();
  failWith = undefined;
  paged.mockReset();
  paged.mockImplementation(((_q: unknown, args: { filters: SearchFilters } | "skip") => {
    const err = args === "skip" ? undefined : failWith?.(args.filters);
    if (err !== undefined) throw err;
    return { ...page, isLoading: page.status.startsWith("Loading"), loadMore };
  }) as never);
});
afterEach(cleanup);

const lastArgs = () => paged.mock.lastCall?.[1] as { filters: SearchFilters; scanBudget?: number } | "skip";
const viewer = (props: Record<string, unknown> = {}) => render(h(AuditLogViewer, { search, debounceMs: 0, ...props }));

describe("<AuditLogViewer>", () => {
  test("renders a row per event with its severity colour, through the given search reference", () => {
    viewer({ pageSize: 10, scanBudget: 500 });
    const rows = screen.getAllByTestId("audit-row");
    expect(rows.map((r) => r.dataset.eventId)).toEqual(["e1", "e2", "e3"]);
    expect(rows.map((r) => r.dataset.severity)).toEqual(["info", "warning", "critical"]);
    expect(within(rows[1]).getByText("warning").style.background).toMatch(/rgb\(217, 119, 6\)|#d97706/);
    expect(within(rows[0]).getByText("documents/d1")).toBeTruthy();
    expect(paged).toHaveBeenLastCalledWith(search, { filters: {}, scanBudget: 500 }, { initialNumItems: 10 });
    expect(screen.getByTestId("audit-loaded-count").textContent).toBe("3");
    expect(screen.getByTestId("audit-status").textContent).toContain("All matching events are loaded");
  });

  test("the filter form becomes search filters; fixedFilters always apply", () => {
    viewer({ fixedFilters: { tenantId: "acme" } });
    fireEvent.click(screen.getByTestId("audit-filter-severity-error"));
    fireEvent.click(screen.getByTestId("audit-filter-severity-critical"));
    fireEvent.change(screen.getByTestId("audit-filter-actions"), { target: { value: "user.login, user.logout ,user.login" } });
    fireEvent.change(screen.getByTestId("audit-filter-actors"), { target: { value: "ada" } });
    fireEvent.change(screen.getByTestId("audit-filter-status"), { target: { value: "failure" } });
    fireEvent.change(screen.getByTestId("audit-filter-category"), { target: { value: "auth" } });
    fireEvent.change(screen.getByTestId("audit-filter-resourceType"), { target: { value: "documents" } });
    fireEvent.change(screen.getByTestId("audit-filter-resourceId"), { target: { value: "d1" } });
    fireEvent.change(screen.getByTestId("audit-filter-tenantId"), { target: { value: "globex" } });
    fireEvent.change(screen.getByTestId("audit-filter-query"), { target: { value: "  invoice  " } });
    fireEvent.change(screen.getByTestId("audit-filter-from"), { target: { value: "2026-11-23T10:00" } });
    expect(lastArgs()).toEqual({
      filters: {
        severity: ["error", "critical"],
        actions: ["user.login", "user.logout"],
        actorIds: ["ada"],
        status: "failure",
        category: "auth",
        resourceType: "documents",
        resourceId: "d1",
        tenantId: "acme",
        query: "invoice",
        fromTimestamp: new Date("2026-11-23T10:00").getTime(),
      },
    });
    expect(screen.getByText(/ordered by relevance/)).toBeTruthy();
    fireEvent.click(screen.getByTestId("audit-filter-clear"));
    expect(lastArgs()).toEqual({ filters: { tenantId: "acme" } });
  });

  test("a reversed time range shows a message and runs no query", () => {
    viewer();
    const calls = paged.mock.calls.length;
    fireEvent.change(screen.getByTestId("audit-filter-from"), { target: { value: "2026-11-23T12:00" } });
    fireEvent.change(screen.getByTestId("audit-filter-to"), { target: { value: "2026-11-23T09:00" } });
    expect(screen.getByTestId("audit-filter-error").textContent).toMatch(/reversed/);
    expect(screen.queryAllByTestId("audit-row")).toHaveLength(0);
    // The call count may grow by the render of the "from" change only, not by one for the reversed range.
    expect(paged.mock.calls.slice(calls).every((c) => (c[1] as { filters: SearchFilters }).filters.toTimestamp === undefined)).toBe(true);
    fireEvent.change(screen.getByTestId("audit-filter-to"), { target: { value: "2026-11-23T13:00" } });
    expect(screen.queryByTestId("audit-filter-error")).toBeNull();
    expect(screen.getAllByTestId("audit-row")).toHaveLength(3);
  });

  test("a query error is shown in place of the list, and clears when the filters change", () => {
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    failWith = (f) =>
      f.status === "failure" ? new ConvexError({ code: "INVALID_ARGUMENT", message: "status must be one of success, failure", path: "filters.status" }) : undefined;
    viewer();
    fireEvent.change(screen.getByTestId("audit-filter-status"), { target: { value: "failure" } });
    const alert = screen.getByTestId("audit-query-error");
    expect(alert.dataset.code).toBe("INVALID_ARGUMENT");
    expect(alert.textContent).toContain("status must be one of success, failure");
    expect(alert.textContent).toContain("filters.status");
    // The filter form is still there and usable: the error does not take the viewer down.
    fireEvent.change(screen.getByTestId("audit-filter-status"), { target: { value: "" } });
    expect(screen.queryByTestId("audit-query-error")).toBeNull();
    expect(screen.getAllByTestId("audit-row")).toHaveLength(3);
    quiet.mockRestore();
  });

  test("a row expands to its details and structured diff", () => {
    viewer();
    expect(screen.queryByTestId("audit-row-details")).toBeNull();
    fireEvent.click(screen.getAllByTestId("audit-row")[0]);
    const details = screen.getByTestId("audit-row-details");
    const changes = within(details).getAllByTestId("audit-diff-change");
    expect(changes.map((c) => c.dataset.op)).toEqual(["replace", "add", "remove", "replace"]);
    expect(changes[0].textContent).toBe('~title"Q3 plan""Q3 plan (final)"');
    expect(changes[1].textContent).toContain("tags[0]");
    expect(changes[3].textContent).toContain("redacted");
    expect(changes[3].textContent).toContain("[REDACTED]");
    // The toggle button says what it does, and closes the row again.
    const toggle = within(screen.getAllByTestId("audit-row")[0]).getByRole("button");
    expect(toggle.getAttribute("aria-expanded")).toBe("true");
    fireEvent.click(toggle);
    expect(screen.queryByTestId("audit-row-details")).toBeNull();
  });

  test("an event with only the diff text shows its lines; one with neither says so", () => {
    viewer();
    const rows = screen.getAllByTestId("audit-row");
    fireEvent.click(rows[2]);
    expect(screen.getByTestId("audit-diff").textContent).toBe("+ retries: 5- old: 1");
    fireEvent.click(rows[2]);
    fireEvent.click(rows[1]);
    expect(screen.getByTestId("audit-diff").dataset.empty).toBe("true");
  });

  test("scrolling near the bottom loads the next page; so does the button", () => {
    page = { results: EVENTS, status: "CanLoadMore" };
    viewer({ pageSize: 7 });
    const box = screen.getByTestId("audit-scroll");
    // happy-dom lays nothing out: give the box a scrollable height so only a scroll can load.
    Object.defineProperty(box, "scrollHeight", { configurable: true, value: 2000 });
    Object.defineProperty(box, "clientHeight", { configurable: true, value: 500 });
    loadMore.mockClear();
    box.scrollTop = 100;
    fireEvent.scroll(box);
    expect(loadMore).not.toHaveBeenCalled();
    box.scrollTop = 1450;
    fireEvent.scroll(box);
    expect(loadMore).toHaveBeenCalledWith(7);
    fireEvent.click(screen.getByTestId("audit-load-more"));
    expect(loadMore).toHaveBeenCalledTimes(2);
  });

  test("a list shorter than its box loads more on its own, but not forever", () => {
    page = { results: [], status: "CanLoadMore" };
    const { rerender } = viewer();
    expect(loadMore).toHaveBeenCalledTimes(1);
    for (let i = 0; i < 30; i++) {
      page = { results: [], status: i % 2 === 0 ? "LoadingMore" : "CanLoadMore" };
      rerender(h(AuditLogViewer, { search, debounceMs: 0 }));
    }
    expect(loadMore.mock.calls.length).toBeLessThanOrEqual(10);
    expect(screen.getByTestId("audit-load-more")).toBeTruthy();
  });

  test("loading and empty states", () => {
    page = { results: [], status: "LoadingFirstPage" };
    viewer();
    expect(screen.getByTestId("audit-status").textContent).toContain("Loading");
    cleanup();
    page = { results: [], status: "Exhausted" };
    viewer();
    expect(screen.getByTestId("audit-status").textContent).toContain("No events match");
    expect((screen.getByTestId("audit-export-csv") as HTMLButtonElement).disabled).toBe(true);
  });

  test("filters are applied after the debounce, not on every keystroke", () => {
    vi.useFakeTimers();
    try {
      viewer({ debounceMs: 300 });
      fireEvent.change(screen.getByTestId("audit-filter-query"), { target: { value: "inv" } });
      expect(lastArgs()).toEqual({ filters: {} });
      act(() => {
        vi.advanceTimersByTime(300);
      });
      expect(lastArgs()).toEqual({ filters: { query: "inv" } });
    } finally {
      vi.useRealTimers();
    }
  });

  test("export downloads what is loaded, as CSV with formulas neutralised, and as JSON", async () => {
    const blobs: Blob[] = [];
    const create = vi.spyOn(URL, "createObjectURL").mockImplementation((b) => {
      blobs.push(b as Blob);
      return "blob:x";
    });
    viewer({ exportFileName: "acme-log" });
    const downloads: string[] = [];
    const click = vi.spyOn(HTMLAnchorElement.prototype, "click").mockImplementation(function (this: HTMLAnchorElement) {
      downloads.push(this.download);
    });
    fireEvent.click(screen.getByTestId("audit-export-csv"));
    fireEvent.click(screen.getByTestId("audit-export-json"));
    expect(downloads[0]).toMatch(/^acme-log-.*\.csv$/);
    expect(downloads[1]).toMatch(/^acme-log-.*\.json$/);
    const csv = await blobs[0].text();
    expect(csv).toBe(eventsToCsv(EVENTS));
    expect(csv).toContain(`"'=HYPERLINK(""http://x"")"`);
    expect(JSON.parse(await blobs[1].text()).map((e: { _id: string }) => e._id)).toEqual(["e1", "e2", "e3"]);
    create.mockRestore();
    click.mockRestore();
  });
});

describe("export and filter helpers", () => {
  test("eventsToCsv: header with BOM, ISO time, CRLF, one row per event", () => {
    const csv = eventsToCsv(EVENTS);
    expect(csv.startsWith("\uFEFF_id,timestamp,action,")).toBe(true);
    const lines = csv.split("\r\n");
    expect(lines).toHaveLength(EVENTS.length + 2);
    expect(lines[1]).toMatch(/^e1,2026-11-23T18:40:35.000Z,document.updated,data,info,success,ada,acme,documents,d1,,user,/);
    expect(JSON.parse(eventsToJson(EVENTS))[0]).toMatchObject({ _id: "e1", tenantId: "acme", errorMessage: null });
  });

  test("validateAuditFilters", () => {
    expect(validateAuditFilters(EMPTY_FILTERS)).toEqual({ filters: {}, errors: [] });
    const to = validateAuditFilters({ ...EMPTY_FILTERS, to: "2026-11-23T18:40" }).filters.toTimestamp;
    expect(to).toBe(new Date("2026-11-23T18:40").getTime() + 59_999);
    expect(validateAuditFilters({ ...EMPTY_FILTERS, resourceId: "d1" }).errors).toEqual(["A resource id needs a resource type."]);
    expect(validateAuditFilters({ ...EMPTY_FILTERS, from: "yesterday" }).errors[0]).toMatch(/not a date/);
    expect(validateAuditFilters({ ...EMPTY_FILTERS, status: "maybe" as never }).errors[0]).toMatch(/Status must be/);
    expect(validateAuditFilters({ ...EMPTY_FILTERS, query: "x".repeat(257) }).errors[0]).toMatch(/longer than 256/);
    expect(validateAuditFilters({ ...EMPTY_FILTERS, actors: Array.from({ length: 51 }, (_, i) => `u${i}`).join(",") }).errors[0]).toMatch(/at most 50/);
    const t = Date.UTC(2026, 0, 2, 3, 4, 59);
    expect(new Date(validateAuditFilters({ ...EMPTY_FILTERS, from: toLocalDateTime(t) }).filters.fromTimestamp!).getMinutes()).toBe(new Date(t).getMinutes());
  });
});

describe("opening the viewer is on the record", () => {
  const openViewer = makeFunctionReference<"mutation">("auditLog:openViewer") as never;

  test("onOpen is called once per mounted viewer and per distinct filter, with the filters and the view's name", async () => {
    recordOpening.mockClear();
    viewer({ onOpen: openViewer, view: "security", fixedFilters: { tenantId: "acme" } });
    await act(async () => {});
    expect(recordOpening).toHaveBeenCalledTimes(1);
    expect(recordOpening).toHaveBeenLastCalledWith({ filters: { tenantId: "acme" }, view: "security" });
    fireEvent.click(screen.getByTestId("audit-filter-severity-critical"));
    await act(async () => {});
    expect(recordOpening).toHaveBeenCalledTimes(2);
    expect(recordOpening).toHaveBeenLastCalledWith({ filters: { tenantId: "acme", severity: ["critical"] }, view: "security" });
    // Back to a filter already recorded: not again.
    fireEvent.click(screen.getByTestId("audit-filter-severity-critical"));
    await act(async () => {});
    expect(recordOpening).toHaveBeenCalledTimes(2);
  });

  test("without onOpen nothing is recorded", async () => {
    recordOpening.mockClear();
    viewer();
    await act(async () => {});
    expect(recordOpening).not.toHaveBeenCalled();
  });
});
