// @vitest-environment node
/**
 * BetterAuth on its own server: the plugin's `httpSink` POSTs each event,
 * signed, to the app's ingestion HTTP action (example/convex/http.ts), here
 * through convex-test's `t.fetch`. Then the ingestion action under attack:
 * wrong, missing, stale and replayed signatures, oversized and malformed
 * bodies, one bad event in a batch. Every refusal is a typed error and
 * writes nothing; a replay stores nothing twice.
 */
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { httpSink, signDelivery } from "convex-audit-log/better-auth";
import { components } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";
import { Browser, makeAuth } from "../../test/support/betterAuth";

const SECRET = "whsec_" + btoa("a shared secret of at least 24 bytes!!");
type T = ReturnType<typeof initConvexTest>;

beforeEach(() => {
  vi.stubEnv("AUDIT_INGEST_SECRET", SECRET);
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const allEvents = (t: T) =>
  t.run(async (ctx) => ctx.runQuery(components.auditLog.queries.watchCritical, { severity: ["info", "warning", "error", "critical"], limit: 1000 }));

/** The BetterAuth server's fetch, delivering into convex-test's HTTP router. */
const viaConvex = (t: T) => async (request: Request) =>
  await t.fetch("/audit/ingest", { method: request.method, headers: request.headers, body: await request.text() });

async function deliver(t: T, body: string, headers: Record<string, string>) {
  const response = await t.fetch("/audit/ingest", { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
  return { status: response.status, body: (await response.json()) as { ids?: string[]; code?: string; path?: string } };
}

const event = (i: number, extra: Record<string, unknown> = {}) => ({
  action: "user.login.email",
  actorId: `user_${i}`,
  idempotencyKey: `better-auth:${i}`,
  context: { ip: "203.0.113.7", source: "better-auth:/sign-in/email" },
  ...extra,
});
const now = () => Math.floor(Date.now() / 1000);

describe("BetterAuth on its own server, events over signed HTTP", () => {
  test("sign-up, failed and successful sign-in and sign-out arrive through the ingestion action, with their status", async () => {
    const t = initConvexTest();
    const { auth } = makeAuth(httpSink({ url: "https://example.convex.site/audit/ingest", secret: SECRET, fetch: viaConvex(t) }));
    const b = new Browser(auth);
    await b.post("/sign-up/email", { email: "ada@example.com", password: "pw-Ada-Secret-1", name: "Ada" });
    await new Browser(auth).post("/sign-in/email", { email: "ada@example.com", password: "wrong-Secret-2" });
    await b.post("/sign-out");
    const events = (await allEvents(t)).sort((a, b) => a._creationTime - b._creationTime);
    expect(events.map((e) => `${e.action}:${e.status}`)).toEqual(["user.signup:success", "user.login.failed:failure", "user.logout:success"]);
    expect(events[1]).toMatchObject({ resourceId: events[0].actorId, context: { ip: "203.0.113.7" }, metadata: { errorCode: "INVALID_EMAIL_OR_PASSWORD" } });
    const json = JSON.stringify(events);
    for (const secret of ["pw-Ada-Secret-1", "wrong-Secret-2", SECRET]) expect(json).not.toContain(secret);
  });

  test("an ingestion that keeps failing fails the auth call, unless onSinkError takes the events", async () => {
    const t = initConvexTest();
    let calls = 0;
    const down = async () => (calls++, new Response("unavailable", { status: 503 }));
    const strict = makeAuth(httpSink({ url: "https://x/audit/ingest", secret: SECRET, fetch: down, attempts: 2 }));
    await expect(strict.auth.api.signUpEmail({ body: { email: "a@example.com", password: "pw-A-Secret-1", name: "A" } })).rejects.toThrow(/answered 503/);
    expect(calls).toBe(2);
    const queued: unknown[] = [];
    const lenient = makeAuth(httpSink({ url: "https://x/audit/ingest", secret: SECRET, fetch: down, attempts: 1 }), { onSinkError: (_e, events) => void queued.push(...events) });
    await lenient.auth.api.signUpEmail({ body: { email: "b@example.com", password: "pw-B-Secret-1", name: "B" } });
    expect(queued).toHaveLength(1);
    expect(await allEvents(t)).toEqual([]);
  });
});

describe("the ingestion action refuses what it cannot trust, and writes nothing", () => {
  test("a valid delivery is stored; replayed within the tolerance it stores nothing again", async () => {
    const t = initConvexTest();
    const body = JSON.stringify({ events: [event(1), event(2)] });
    const headers = await signDelivery(SECRET, "msg_1", now(), body);
    const first = await deliver(t, body, headers);
    expect(first.status).toBe(200);
    const again = await deliver(t, body, headers);
    expect(again).toEqual(first);
    expect(await allEvents(t)).toHaveLength(2);
  });

  test("wrong, missing, stale or tampered signatures are 401 INVALID_SIGNATURE", async () => {
    const t = initConvexTest();
    const body = JSON.stringify({ events: [event(1)] });
    const signed = await signDelivery(SECRET, "msg_1", now(), body);
    const refusals = [
      await deliver(t, body, await signDelivery("whsec_" + btoa("another secret of 24+ bytes......"), "msg_1", now(), body)),
      await deliver(t, body, {}),
      await deliver(t, body, { ...signed, "webhook-signature": "v1,AAAA" }),
      await deliver(t, body, await signDelivery(SECRET, "msg_1", now() - 301, body)),
      await deliver(t, body, await signDelivery(SECRET, "msg_1", now() + 301, body)),
      await deliver(t, JSON.stringify({ events: [event(1, { actorId: "admin" })] }), signed),
      await deliver(t, body, { ...signed, "webhook-id": "msg_2" }),
      await deliver(t, body, { ...signed, "webhook-timestamp": "soon" }),
    ];
    for (const r of refusals) expect(r).toMatchObject({ status: 401, body: { code: "INVALID_SIGNATURE" } });
    expect(await allEvents(t)).toEqual([]);
  });

  test("bad bodies: not JSON, not events, an event without a key, one bad event among good ones, too large", async () => {
    const t = initConvexTest();
    const signedDeliver = async (body: string) => await deliver(t, body, await signDelivery(SECRET, `msg_${Math.random()}`, now(), body));
    expect(await signedDeliver("{not json")).toMatchObject({ status: 400, body: { code: "INVALID_ARGUMENT" } });
    expect(await signedDeliver(JSON.stringify({ events: [] }))).toMatchObject({ status: 400, body: { code: "INVALID_ARGUMENT", path: "events" } });
    expect(await signedDeliver(JSON.stringify([event(1)]))).toMatchObject({ status: 400, body: { code: "INVALID_ARGUMENT" } });
    expect(await signedDeliver(JSON.stringify({ events: [event(1), { action: "x" }] }))).toMatchObject({
      status: 400,
      body: { code: "INVALID_ARGUMENT", path: "events[1].idempotencyKey" },
    });
    expect(await signedDeliver(JSON.stringify({ events: [event(1), event(2, { action: "" })] }))).toMatchObject({
      status: 400,
      body: { code: "INVALID_ACTION", path: "events[1].action" },
    });
    expect(await signedDeliver(JSON.stringify({ events: [event(1), event(2, { severity: "loud" })] }))).toMatchObject({ status: 400, body: { code: "INVALID_SEVERITY" } });
    expect(await signedDeliver(JSON.stringify({ events: [event(1, { metadata: { deep: JSON.parse("[".repeat(20) + "]".repeat(20)) } })] }))).toMatchObject({
      status: 400,
      body: { code: "TOO_DEEP" },
    });
    const huge = JSON.stringify({ events: [event(1, { summary: "x".repeat(1_100_000) })] });
    expect(await signedDeliver(huge)).toMatchObject({ status: 413, body: { code: "BATCH_TOO_LARGE" } });
    expect(await allEvents(t)).toEqual([]);
  });

  test("a deployment without the secret refuses every delivery (500 INVALID_CONFIG), and so does a short secret", async () => {
    const t = initConvexTest();
    const body = JSON.stringify({ events: [event(1)] });
    vi.stubEnv("AUDIT_INGEST_SECRET", "");
    expect(await deliver(t, body, await signDelivery(SECRET, "m", now(), body))).toMatchObject({ status: 500, body: { code: "INVALID_CONFIG" } });
    vi.stubEnv("AUDIT_INGEST_SECRET", "short");
    expect(await deliver(t, body, await signDelivery(SECRET, "m", now(), body))).toMatchObject({ status: 500, body: { code: "INVALID_CONFIG" } });
    expect(await allEvents(t)).toEqual([]);
  });
});
