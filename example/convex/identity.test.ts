/**
 * The actor and the catalog from the server (item 6): identity claims copied
 * into the actor, ids a browser could have sent refused, actions outside the
 * catalog refused, flat metadata enforced; every refusal typed, nothing written.
 */
import { describe, expect, test } from "vitest";
import { ConvexError } from "convex/values";
import { AuditLog, defineAuditActions } from "convex-audit-log";
import { components } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";

const identity = {
  subject: "user_7",
  issuer: "https://auth.example.com",
  tokenIdentifier: "https://auth.example.com|user_7",
  name: "Ada",
  email: "ada@example.com",
  role: "billing-admin",
  orgId: "acme",
};

const codeOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(ConvexError);
  return (e as ConvexError<{ code: string; path?: string }>).data;
};
const all = (t: ReturnType<typeof initConvexTest>) =>
  t.run(async (ctx) => (await ctx.runQuery(components.auditLog.queries.watchCritical, { severity: ["info", "warning", "error", "critical"], limit: 100 })));

describe("actorFromIdentity", () => {
  test("true copies role, email, name, token identifier and the organisation claim", async () => {
    const t = initConvexTest();
    const log = new AuditLog(components.auditLog, { actorFromIdentity: true });
    const id = await t.withIdentity(identity).run((ctx) => log.log(ctx, { action: "invoice.paid" }));
    const event = await t.run((ctx) => log.get(ctx, { id }));
    expect(event).toMatchObject({
      actorId: "user_7",
      tenantId: "acme",
      actor: { type: "user", name: "Ada", email: "ada@example.com", role: "billing-admin", tokenIdentifier: "https://auth.example.com|user_7" },
    });
  });

  test("a function maps claims the app's way; an explicit tenant wins over the claim", async () => {
    const t = initConvexTest();
    const log = new AuditLog(components.auditLog, {
      actorFromIdentity: (id) => ({ role: String(id.role).toUpperCase(), tenantId: `org:${String(id.orgId)}` }),
    });
    const a = await t.withIdentity(identity).run((ctx) => log.log(ctx, { action: "x" }));
    const b = await t.withIdentity(identity).run((ctx) => log.log(ctx, { action: "x", tenantId: "other" }));
    const [ea, eb] = await t.run(async (ctx) => [await log.get(ctx, { id: a }), await log.get(ctx, { id: b })]);
    expect(ea).toMatchObject({ actorId: "user_7", tenantId: "org:acme", actor: { type: "user", role: "BILLING-ADMIN" } });
    expect(ea!.actor.email).toBeUndefined();
    expect(eb!.tenantId).toBe("other");
  });

  test("without the option, only the subject and name (the original behaviour)", async () => {
    const t = initConvexTest();
    const log = new AuditLog(components.auditLog);
    const id = await t.withIdentity(identity).run((ctx) => log.log(ctx, { action: "x" }));
    const event = await t.run((ctx) => log.get(ctx, { id }));
    expect(event!.actor).toEqual({ type: "user", name: "Ada" });
    expect(event!.tenantId).toBeUndefined();
  });
});

describe("strictActor: actor ids from arguments are refused", () => {
  const log = new AuditLog(components.auditLog, { strictActor: true, actorFromIdentity: true });

  test("another user's id, or another tenant's, is ACTOR_MISMATCH and nothing is written", async () => {
    const t = initConvexTest();
    const as = t.withIdentity(identity);
    expect(await codeOf(as.run((ctx) => log.log(ctx, { action: "x", actorId: "user_8" })))).toMatchObject({ code: "ACTOR_MISMATCH", path: "actorId" });
    expect(await codeOf(as.run((ctx) => log.log(ctx, { action: "x", actor: { id: "admin" } })))).toMatchObject({ code: "ACTOR_MISMATCH" });
    expect(await codeOf(as.run((ctx) => log.log(ctx, { action: "x", tenantId: "globex" })))).toMatchObject({ code: "ACTOR_MISMATCH", path: "tenantId" });
    expect(await codeOf(as.run((ctx) => log.logBulk(ctx, [{ action: "x" }, { action: "y", actorId: "user_8" }])))).toMatchObject({
      code: "ACTOR_MISMATCH",
      path: "events[1].actorId",
    });
    expect(await all(t)).toEqual([]);
  });

  test("the signed-in user's own id is fine; with nobody signed in (jobs, webhooks) any actor may be named", async () => {
    const t = initConvexTest();
    await t.withIdentity(identity).run((ctx) => log.log(ctx, { action: "x", actorId: "user_7", tenantId: "acme" }));
    await t.run((ctx) => log.log(ctx, { action: "y", actor: { id: "apikey:k1", type: "apiKey" } }));
    expect((await all(t)).map((e) => e.actorId).sort()).toEqual(["apikey:k1", "user_7"]);
  });
});

describe("strictActions and flatMetadata", () => {
  const appActions = defineAuditActions({ "invoice.paid": { category: "billing", severity: "info" } });
  const log = new AuditLog(components.auditLog, { actions: appActions, strictActions: true, flatMetadata: true });

  test("an action outside the catalog, cast past the types, is INVALID_ACTION at run time", async () => {
    const t = initConvexTest();
    expect(await codeOf(t.run((ctx) => log.log(ctx, { action: "invoice.payed" as "invoice.paid" })))).toMatchObject({ code: "INVALID_ACTION", path: "action" });
    await t.run((ctx) => log.log(ctx, { action: "invoice.paid" }));
    await t.run((ctx) => log.log(ctx, { action: "user.login" })); // a built-in
    expect(await all(t)).toHaveLength(2);
  });

  test("metadata must be a flat record of scalars", async () => {
    const t = initConvexTest();
    expect(await codeOf(t.run((ctx) => log.log(ctx, { action: "invoice.paid", metadata: { nested: { a: 1 } } })))).toMatchObject({
      code: "INVALID_ARGUMENT",
      path: "metadata.nested",
    });
    expect(await codeOf(t.run((ctx) => log.log(ctx, { action: "invoice.paid", metadata: [1, 2] })))).toMatchObject({ code: "INVALID_ARGUMENT", path: "metadata" });
    expect(await codeOf(t.run((ctx) => log.log(ctx, { action: "invoice.paid", metadata: { list: ["a"] } })))).toMatchObject({ path: "metadata.list" });
    await t.run((ctx) => log.log(ctx, { action: "invoice.paid", metadata: { amount: 12, currency: "EUR", refunded: false, note: null } }));
    expect(await all(t)).toHaveLength(1);
  });
});
