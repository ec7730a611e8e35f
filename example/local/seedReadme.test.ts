// @vitest-environment happy-dom
/**
 * The original README's pairing, as written there, in a browser-like page:
 * `exposeAuditLogApi` whose `auth` returns the user's id
 * (example/convex/seedReadme.ts), and React components that call
 * `useAuditLogByResource` (its DocumentHistory), `useAuditLogStats` and
 * `useWatchCriticalEvents`, through Convex's real `ConvexReactClient` over a
 * WebSocket to the local runtime. A signed-in user sees them render, with no
 * FORBIDDEN, and sees only her own rows and counts.
 */
import { act, cleanup, render, screen, waitFor } from "@testing-library/react";
import { ConvexProvider, ConvexReactClient } from "convex/react";
import { Component, createElement as h, type ReactNode } from "react";
import { afterAll, afterEach, beforeAll, expect, test, vi } from "vitest";
import WebSocket from "ws";
import { formatTimestamp, getSeverityColor, useAuditLogByResource, useAuditLogStats, useWatchCriticalEvents } from "convex-audit-log/react";
import { api, components } from "../convex/_generated/api.js";
import { startLocalRuntime, type LocalRuntime } from "./server.js";
import { DEMO_PEOPLE, demoToken } from "./token.js";

let rt: LocalRuntime;
const T0 = Date.now() - 60_000;

beforeAll(async () => {
  rt = await startLocalRuntime({ port: 0, quiet: true, demo: false, rollupEveryMs: 3_600_000, pollMs: 50 });
  await rt.run(async (convex) => {
    await convex.t.mutation(components.auditLog.log.logBulk, {
      events: [
        { action: "document.created", actorId: "user_ada", tenantId: "acme", resourceType: "documents", resourceId: "doc_1", timestamp: T0 },
        { action: "document.updated", actorId: "user_olga", tenantId: "acme", resourceType: "documents", resourceId: "doc_1", timestamp: T0 + 1 },
        { action: "document.updated", actorId: "user_ada", tenantId: "acme", resourceType: "documents", resourceId: "doc_1", timestamp: T0 + 2 },
        { action: "security.unauthorized_access", actorId: "user_grace", tenantId: "globex", resourceType: "documents", resourceId: "doc_1", timestamp: T0 + 3 },
        { action: "user.login.failed", actorId: "user_ada", tenantId: "acme", timestamp: T0 + 4 },
        { action: "record.deleted", actorId: "user_olga", tenantId: "acme", severity: "critical", timestamp: T0 + 5 },
      ],
    });
  });
});
afterAll(async () => {
  await rt?.close();
});
afterEach(cleanup);

// ---- The README's components, as written there (DocumentHistory), and two more with its other hooks.

function DocumentHistory({ documentId }: { documentId: string }) {
  const logs = useAuditLogByResource(api.seedReadme.queryByResource, {
    resourceType: "documents",
    resourceId: documentId,
    limit: 20,
  });
  if (!logs) return h("div", null, "Loading...");
  return h(
    "ul",
    { "data-testid": "history" },
    logs.map((log) =>
      h("li", { key: log._id, "data-actor": log.actorId, style: { borderLeftColor: getSeverityColor(log.severity) } }, h("strong", null, log.action), h("span", null, formatTimestamp(log.timestamp))),
    ),
  );
}

function Stats() {
  const stats = useAuditLogStats(api.seedReadme.getStats, { fromTimestamp: T0 - 1, toTimestamp: T0 + 60_000 });
  if (!stats) return h("div", null, "Loading...");
  return h("div", { "data-testid": "stats", "data-total": stats.totalCount, "data-actors": stats.topActors.map((a) => a.actorId).join(",") });
}

function Critical() {
  const events = useWatchCriticalEvents(api.seedReadme.watchCritical, { severity: ["warning", "error", "critical"], limit: 20 });
  if (!events) return h("div", null, "Loading...");
  return h("ul", { "data-testid": "critical" }, events.map((e) => h("li", { key: e._id, "data-actor": e.actorId }, e.action)));
}

class Boundary extends Component<{ children: ReactNode }, { error: string | null }> {
  state = { error: null as string | null };
  static getDerivedStateFromError(e: { data?: { code?: string }; message?: string }) {
    return { error: e.data?.code ?? e.message ?? "error" };
  }
  render() {
    return this.state.error ? h("div", { "data-testid": "error" }, this.state.error) : this.props.children;
  }
}

test("a signed-in user: DocumentHistory, stats and critical events render, with her own rows and counts only", async () => {
  const client = new ConvexReactClient(rt.url, { webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket, unsavedChangesWarning: false });
  client.setAuth(async () => demoToken(DEMO_PEOPLE.ada));
  try {
    render(h(ConvexProvider, { client }, h(Boundary, null, h(DocumentHistory, { documentId: "doc_1" }), h(Stats), h(Critical))));
    await waitFor(() => expect(screen.getByTestId("history").children.length).toBeGreaterThan(0), { timeout: 10_000 });
    await waitFor(() => expect(screen.getByTestId("stats")).toBeTruthy(), { timeout: 10_000 });
    await waitFor(() => expect(screen.getByTestId("critical")).toBeTruthy(), { timeout: 10_000 });
    expect(screen.queryByTestId("error")).toBeNull();
    const history = [...screen.getByTestId("history").children];
    expect(history.map((li) => li.getAttribute("data-actor"))).toEqual(["user_ada", "user_ada"]);
    expect(history.map((li) => li.querySelector("strong")!.textContent)).toEqual(["document.updated", "document.created"]);
    expect(screen.getByTestId("stats").getAttribute("data-total")).toBe("3");
    expect(screen.getByTestId("stats").getAttribute("data-actors")).toBe("user_ada");
    expect([...screen.getByTestId("critical").children].map((li) => li.getAttribute("data-actor"))).toEqual(["user_ada"]);
  } finally {
    await act(async () => {
      await client.close();
    });
  }
});

test("signed out: the README's auth returns null for reads, and the components get UNAUTHORIZED", async () => {
  // React reports the error the boundary catches; expected here.
  const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
  const client = new ConvexReactClient(rt.url, { webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket, unsavedChangesWarning: false });
  try {
    render(h(ConvexProvider, { client }, h(Boundary, null, h(DocumentHistory, { documentId: "doc_1" }))));
    await waitFor(() => expect(screen.getByTestId("error").textContent).toBe("UNAUTHORIZED"), { timeout: 10_000 });
  } finally {
    await act(async () => {
      await client.close();
    });
    quiet.mockRestore();
  }
});
