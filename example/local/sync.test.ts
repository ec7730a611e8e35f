// @vitest-environment node
/**
 * The local runtime through Convex's own clients: `ConvexClient` (the sync
 * protocol over a `ws` WebSocket, the same code `ConvexReactClient` runs) and
 * `ConvexHttpClient`, against `startLocalRuntime({ port: 0 })`.
 */
import { ConvexClient, ConvexHttpClient } from "convex/browser";
import { makeFunctionReference, type FunctionReference } from "convex/server";
import { ConvexError } from "convex/values";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import WebSocket from "ws";
import { api, components } from "../convex/_generated/api.js";
import { DEMO_PEOPLE } from "./token.js";
import { startLocalRuntime, type LocalRuntime } from "./server.js";
import { demoToken, type DemoIdentity } from "./token.js";

let rt: LocalRuntime;
const clients: ConvexClient[] = [];

beforeAll(async () => {
  // No rollup loop here: its commits would send Transitions that could hide a missing one.
  rt = await startLocalRuntime({ port: 0, quiet: true, rollupEveryMs: 3_600_000, pollMs: 50 });
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await rt?.close();
});

function client(who?: DemoIdentity | string): ConvexClient {
  const c = new ConvexClient(rt.url, {
    webSocketConstructor: WebSocket as unknown as typeof globalThis.WebSocket,
    unsavedChangesWarning: false,
  });
  clients.push(c);
  if (who !== undefined) c.setAuth(async () => (typeof who === "string" ? who : demoToken(who)));
  return c;
}

async function until<T>(read: () => T | undefined, what: string, ms = 5_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = read();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const errorOf = async (p: Promise<unknown>) =>
  await p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: unknown) => e as Error & { data?: { code?: string } },
  );

const root = DEMO_PEOPLE.root;
const ada = DEMO_PEOPLE.ada;

describe("queries, mutations and reactivity", () => {
  // A short timeout: a response sent after its Transition leaves the promise hanging.
  test("a subscription updates when a mutation changes its result, before the mutation's promise resolves", { timeout: 5_000 }, async () => {
    const c = client(root);
    const documentId = await c.mutation(api.documents.createDocument, { title: "Plan", body: "b", orgId: "acme" });
    const args = { resourceType: "documents", resourceId: documentId };
    const seen: number[] = [];
    const sub = c.onUpdate(api.auditLog.queryByResource, args, (events) => seen.push(events.length));
    await until(() => (seen.length > 0 ? true : undefined), "the first result");
    expect(sub.getCurrentValue()).toHaveLength(1);

    await c.mutation(api.documents.updateDocument, { documentId, title: "Plan v2" });
    // Resolved only once a Transition reached the mutation's ts: the query already reflects it.
    const events = sub.getCurrentValue()!;
    expect(events.map((e) => e.action)).toEqual(["document.updated", "document.created"]);
    expect(seen.at(-1)).toBe(2);
    sub.unsubscribe();
  });

  test("a paginated query's pages stay gapless when a new row arrives (the first page keeps its end)", async () => {
    const c = client(root);
    const documentId = await c.mutation(api.documents.createDocument, { title: "v0", body: "b", orgId: "acme" });
    for (let i = 1; i <= 4; i++) await c.mutation(api.documents.updateDocument, { documentId, title: `v${i}` });
    type Page = { results: { summary?: string; action: string; _id: string }[]; status: string; loadMore: (n: number) => boolean };
    let latest: Page | undefined;
    const sub = c.onPaginatedUpdate_experimental(
      api.auditLog.listByResource,
      // Typed as the query's own args (paginationOpts included), which the client fills in itself.
      { resourceType: "documents", resourceId: documentId } as never,
      { initialNumItems: 2 },
      (r) => {
        latest = r as unknown as Page;
      },
    );
    await until(() => (latest?.status === "CanLoadMore" ? true : undefined), "the first page");
    expect(latest!.results).toHaveLength(2);
    latest!.loadMore(2);
    await until(() => (latest?.results.length === 4 ? true : undefined), "the continuation");
    const before = latest!.results.map((e) => e._id);

    await c.mutation(api.documents.updateDocument, { documentId, title: "v5" });
    await until(() => (latest?.results.length === 5 ? true : undefined), "the new row");
    // Newest first: the new row in front, none of the four lost between the pages.
    expect(latest!.results.slice(1).map((e) => e._id)).toEqual(before);

    latest!.loadMore(10);
    await until(() => (latest?.status === "Exhausted" ? true : undefined), "the last page");
    expect(latest!.results).toHaveLength(6);
    expect(new Set(latest!.results.map((e) => e._id)).size).toBe(6);
    sub.unsubscribe();
  });

  test("a function scheduled by a mutation runs, and its writes reach subscribers", async () => {
    const c = client(root);
    let count: number | undefined;
    const sub = c.onUpdate(api.auditLog.queryByActor, { actorId: "cron:nightly" }, (events) => (count = events.length));
    const start = await until(() => count, "the first result");
    await c.mutation(api.documents.scheduleCleanup, {});
    await until(() => (count === start + 1 ? true : undefined), "the scheduled function's event");
    sub.unsubscribe();
  });

  test("an action runs, and its result comes back", async () => {
    const c = client(ada);
    const id = await c.action(api.documents.exportDocuments, { orgId: "acme", count: 3 });
    expect(typeof id).toBe("string");
  });

  test("the stats rollup loop folds new events in the background", async () => {
    const own = await startLocalRuntime({ port: 0, quiet: true, demo: false, rollupEveryMs: 50 });
    try {
      const folded = async () => (await own.t.run((ctx) => ctx.runQuery(components.auditLog.stats.status, {}))).folded;
      const http = new ConvexHttpClient(own.url);
      // createDocument logs two events; nothing here calls the rollup.
      await http.mutation(api.documents.createDocument, { title: "stats", body: "b", orgId: "acme" });
      const deadline = Date.now() + 5_000;
      while ((await folded()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(await folded()).toBe(2);
    } finally {
      await own.close();
    }
  });
});

describe("auth and errors", () => {
  const searchArgs = { filters: {}, paginationOpts: { numItems: 200, cursor: null } };

  test("an admin and a plain user get different rows from the same query; switching identity re-runs it", async () => {
    const admin = client(root);
    const user = client(ada);
    const all = await admin.query(api.auditLog.search, searchArgs);
    const own = await user.query(api.auditLog.search, searchArgs);
    expect(new Set(all.page.map((e) => e.actorId)).size).toBeGreaterThan(1);
    expect(own.page.length).toBeGreaterThan(0);
    expect(own.page.every((e) => e.actorId === ada.sub)).toBe(true);
    expect(all.page.length).toBeGreaterThan(own.page.length);

    let rows: number | undefined;
    const sub = user.onUpdate(api.auditLog.search, searchArgs, (r) => (rows = r.page.length));
    await until(() => (rows === own.page.length ? true : undefined), "the user's rows");
    user.setAuth(async () => demoToken(root));
    await until(() => (rows === all.page.length ? true : undefined), "the admin's rows after switching");
    sub.unsubscribe();
  });

  test("without a token the exposed API refuses with a ConvexError whose data.code is UNAUTHORIZED", async () => {
    const e = await errorOf(client().query(api.auditLog.queryByTenant, { tenantId: "acme" }));
    expect(e).toBeInstanceOf(ConvexError);
    expect(e.data?.code).toBe("UNAUTHORIZED");
  });

  test("a subscription gets a ConvexError too (FORBIDDEN for a user reading a tenant)", async () => {
    const c = client(ada);
    let error: (Error & { data?: { code?: string } }) | undefined;
    const sub = c.onUpdate(api.auditLog.queryByTenant, { tenantId: "acme" }, () => undefined, (e) => (error = e));
    const e = await until(() => error, "the error");
    expect(e).toBeInstanceOf(ConvexError);
    expect(e.data?.code).toBe("FORBIDDEN");
    sub.unsubscribe();
  });

  test("a mutation's plain error arrives with its message", async () => {
    const c = client(ada);
    const userId = await c.mutation(api.users.createUser, { name: "X", email: "x@acme.test", orgId: "acme" });
    const e = await errorOf(c.mutation(api.users.failingUpdate, { userId }));
    expect(e).not.toBeInstanceOf(ConvexError);
    expect(e.message).toContain("business rule failed");
  });

  test("internal functions, wrong kinds and unknown names are refused as a deployment does", async () => {
    const c = client(root);
    const internalMutation = makeFunctionReference<"mutation">("users:setPassword") as FunctionReference<"mutation">;
    const e = await errorOf(c.mutation(internalMutation, { userId: "x", passwordHash: "y" }));
    expect(e.message).toContain("Could not find public function for 'users:setPassword'");
    const asQuery = makeFunctionReference<"query">("documents:createDocument");
    expect((await errorOf(c.query(asQuery, {}))).message).toContain("as Query, but it is defined as Mutation");
    const unknown = makeFunctionReference<"query">("nope/nothing:here");
    expect((await errorOf(c.query(unknown, {}))).message).toContain("Could not find public function");
  });

  test("a token that is not a demo token gets an AuthError and the client reports unauthenticated", async () => {
    const c = client();
    const states: boolean[] = [];
    c.setAuth(
      async () => "not-a-token",
      (isAuthenticated) => states.push(isAuthenticated),
    );
    await until(() => (states.includes(false) ? true : undefined), "the auth failure");
    expect(states).not.toContain(true);
  });
});

describe("robustness, HTTP and metering", () => {
  test("garbage on the socket ends that connection with a FatalError; the server carries on", async () => {
    const ws = new WebSocket(`${rt.url.replace("http", "ws")}/api/1.48.0/sync`);
    const messages: string[] = [];
    const closed = new Promise<void>((ok) => ws.on("close", () => ok()));
    ws.on("message", (m: Buffer) => messages.push(m.toString()));
    await new Promise((ok) => ws.on("open", ok));
    ws.send("{not json");
    await closed;
    // A commit's (empty) Transition may come before it: the session exists from the socket's open.
    expect(messages.map((m) => (JSON.parse(m) as { type: string }).type)).toContain("FatalError");

    const ws2 = new WebSocket(`${rt.url.replace("http", "ws")}/api/1.48.0/sync`);
    const got: Record<string, unknown>[] = [];
    ws2.on("message", (m: Buffer) => got.push(JSON.parse(m.toString())));
    await new Promise((ok) => ws2.on("open", ok));
    // Out-of-order versions and bad args: a FatalError and a QueryFailed, never a crash.
    ws2.send(JSON.stringify({ type: "ModifyQuerySet", baseVersion: 0, newVersion: 1, modifications: [{ type: "Add", queryId: 0, udfPath: "auditLog:get", args: "x" }] }));
    // Not the first message either: a commit elsewhere (the runtime's rollup tick) may come first.
    type Mod = { type: string; queryId: number };
    const failed = await until(
      () =>
        got
          .filter((m) => m.type === "Transition")
          .flatMap((m) => m.modifications as Mod[])
          .find((mod) => mod.type === "QueryFailed"),
      "a QueryFailed",
    );
    expect(failed.queryId).toBe(0);
    ws2.send(JSON.stringify({ type: "ModifyQuerySet", baseVersion: 7, newVersion: 8, modifications: [] }));
    await until(() => (got.some((m) => m.type === "FatalError") ? true : undefined), "the FatalError");
    ws2.close();

    const c = client(root);
    expect(Array.isArray(await c.query(api.documents.watchSecurityEvents, {}))).toBe(true);
  });

  test("ConvexHttpClient's query and mutation endpoints, with auth and ConvexError data", async () => {
    const http = new ConvexHttpClient(rt.url);
    const e = await errorOf(http.query(api.auditLog.queryByTenant, { tenantId: "acme" }));
    expect(e.data?.code).toBe("UNAUTHORIZED");
    http.setAuth(demoToken(root));
    const documentId = await http.mutation(api.documents.createDocument, { title: "http", body: "b", orgId: "acme" });
    const events = await http.query(api.auditLog.queryByResource, { resourceType: "documents", resourceId: documentId });
    expect(events).toHaveLength(1);
  });

  test("the app's HTTP actions at /http/<route>, their writes pushed to subscribers; an unknown route is a 404 that writes nothing", async () => {
    const c = client(root);
    const seen: string[][] = [];
    const args = { filters: { actions: ["billing.local_probe"] }, paginationOpts: { numItems: 5, cursor: null } };
    const sub = c.onUpdate(api.auditLog.search, args, (r) => seen.push(r.page.map((e) => e.action)));
    await until(() => (seen.length > 0 ? true : undefined), "the first result");
    expect(seen.at(-1)).toEqual([]);

    const res = await fetch(`${rt.url}/http/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ event: "billing.local_probe", apiKeyId: "key_1", secret: "whsec_x" }),
    });
    expect(res.status).toBe(200);
    const { id } = (await res.json()) as { id: string };
    expect((await c.query(api.auditLog.get, { id }))?.action).toBe("billing.local_probe");
    await until(() => (seen.at(-1)?.length === 1 ? true : undefined), "the webhook's event in the subscription");

    const missing = await fetch(`${rt.url}/http/no-such-route`, { method: "POST", body: "{}" });
    expect(missing.status).toBe(404);
    const after = await c.query(api.auditLog.search, { filters: {}, paginationOpts: { numItems: 1000, cursor: null } });
    expect(after.page.filter((e) => e.action === "billing.local_probe")).toHaveLength(1);
    sub.unsubscribe();
  });

  test("GET /_local/metrics lists each subscribed query with what it read", async () => {
    const c = client(root);
    let ready = false;
    const sub = c.onUpdate(api.auditLog.queryByTenant, { tenantId: "acme", limit: 5 }, () => (ready = true));
    await until(() => (ready ? true : undefined), "the result");
    const body = (await (await fetch(`${rt.url}/_local/metrics`)).json()) as { queries: { udfPath: string; args: unknown; documentsRead: number; bytesRead: number; identity: string }[] };
    const row = body.queries.find((q) => q.udfPath === "auditLog:queryByTenant");
    expect(row).toMatchObject({ args: { tenantId: "acme", limit: 5 }, identity: root.sub });
    expect(row!.documentsRead).toBe(5);
    expect(row!.bytesRead).toBeGreaterThan(0);
    sub.unsubscribe();
  });

  test("the app's pages: a plain page when there is no build", async () => {
    const res = await fetch(`${rt.url}/some/route`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain("no built app");
  });

  test("a built app: files, index.html for client routes, 404 for a missing asset, nothing outside the folder", async () => {
    const base = mkdtempSync(join(tmpdir(), "local-app-"));
    const dir = join(base, "dist");
    mkdirSync(join(dir, "assets"), { recursive: true });
    writeFileSync(join(dir, "index.html"), "<!doctype html><title>app</title>");
    writeFileSync(join(dir, "assets", "app.js"), "console.log(1)");
    writeFileSync(join(base, "secret.txt"), "secret");
    const own = await startLocalRuntime({ port: 0, quiet: true, demo: false, staticDir: dir });
    try {
      const js = await fetch(`${own.url}/assets/app.js`);
      expect(js.headers.get("content-type")).toContain("text/javascript");
      expect(await js.text()).toBe("console.log(1)");
      expect(await (await fetch(`${own.url}/events/123`)).text()).toContain("<title>app</title>");
      expect((await fetch(`${own.url}/assets/missing.js`)).status).toBe(404);
      // One path segment that decodes to "../secret.txt".
      const outside = await fetch(`${own.url}/%2e%2e%2fsecret.txt`);
      expect(outside.status).toBe(404);
      expect(await outside.text()).not.toContain("secret");
    } finally {
      await own.close();
      rmSync(base, { recursive: true });
    }
  });
});
