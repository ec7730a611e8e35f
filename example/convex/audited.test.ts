/**
 * Failures that survive rollback (item 2). Each handler writes, then fails.
 * The tests check the three things together: the handler's writes are gone,
 * the failure event is committed, the caller gets the original error. The
 * naive mutation (the failure logged in the handler's own transaction) is
 * the control: the same assertions fail on it.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { ConvexError } from "convex/values";
import { log } from "convex/server";
import { isAuditFailure, throwIfAuditFailure } from "convex-audit-log";
import { api, components } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";

type T = ReturnType<typeof initConvexTest>;
const failures = (t: T) =>
  t.run(async (ctx) => (await ctx.runQuery(components.auditLog.queries.watchCritical, { severity: ["info", "warning", "error", "critical"], limit: 100 })));
const documents = (t: T) => t.run(async (ctx) => await ctx.db.query("documents").collect());
const errorOf = async (p: Promise<unknown>) => await p.then(() => undefined, (e: unknown) => e);

afterEach(() => vi.restoreAllMocks());

describe("auditedMutation, onFailure: commit", () => {
  test("a failing handler: its writes roll back, the failure is committed, the caller gets the original error back", async () => {
    const t = initConvexTest();
    const result = await t.withIdentity({ subject: "user_1", name: "Ada" }).mutation(api.payments.pay, { amount: 80, balance: 50 });
    expect(isAuditFailure(result)).toBe(true);
    const e = await errorOf(Promise.resolve(result).then(throwIfAuditFailure));
    expect(e).toBeInstanceOf(ConvexError);
    expect((e as ConvexError<{ code: string; message: string }>).data).toEqual({ code: "INSUFFICIENT_FUNDS", message: "short by 30" });
    expect(await documents(t)).toEqual([]);
    const [event] = await failures(t);
    expect(event).toMatchObject({
      action: "payment.failed",
      status: "failure",
      actorId: "user_1",
      errorMessage: "INSUFFICIENT_FUNDS: short by 30",
      resourceType: "function",
      resourceId: "payments:pay",
      metadata: { function: "payments:pay", kind: "mutation", errorCode: "INSUFFICIENT_FUNDS" },
    });
  });

  test("the control: logging the failure in the handler's own transaction leaves nothing", async () => {
    const t = initConvexTest();
    const e = await errorOf(t.mutation(api.payments.payNaively, { amount: 80, balance: 50 }));
    expect(e).toBeInstanceOf(ConvexError);
    expect(await documents(t)).toEqual([]);
    expect(await failures(t)).toEqual([]);
  });

  test("a permission denial is recorded as security.unauthorized_access", async () => {
    const t = initConvexTest();
    const result = await t.withIdentity({ subject: "user_2" }).mutation(api.payments.pay, { amount: -5, balance: 50 });
    expect(() => throwIfAuditFailure(result)).toThrow(ConvexError);
    const [event] = await failures(t);
    expect(event).toMatchObject({ action: "security.unauthorized_access", severity: "critical", status: "failure", actorId: "user_2", errorMessage: "FORBIDDEN: refunds need the billing role" });
  });

  test("an error that is not a ConvexError: the caller learns only what Convex would tell it, the record holds the message (secrets redacted)", async () => {
    const t = initConvexTest();
    const result = await t.mutation(api.payments.pay, { amount: 13, balance: 50 });
    expect(result).toEqual({ auditFailure: { message: "Server Error" } });
    expect(() => throwIfAuditFailure(result)).toThrow("Server Error");
    const [event] = await failures(t);
    expect(event.errorMessage).toBe("card processor timeout (Bearer [REDACTED:bearer-token])");
    expect(await documents(t)).toEqual([]);
  });

  test("success: the handler's writes commit, its value is returned, nothing is recorded; a forged nesting marker changes nothing", async () => {
    const t = initConvexTest();
    const id = await t.mutation(api.payments.pay, { amount: 10, balance: 50 });
    expect(throwIfAuditFailure(id)).toMatch(/documents$/);
    expect(await documents(t)).toHaveLength(1);
    expect(await failures(t)).toEqual([]);
    // A client that sends the marker itself is not the nested call: the failure is still caught and recorded.
    const forged = await t.mutation(api.payments.pay, { amount: 80, balance: 50, __auditNested: "fake-request-id-0" } as never);
    expect(isAuditFailure(forged)).toBe(true);
    expect(await failures(t)).toHaveLength(1);
    expect(await documents(t)).toHaveLength(1);
  });

  test("over a convex-helpers customMutation: the custom ctx reaches the handler, failures are recorded the same way", async () => {
    const t = initConvexTest();
    expect(await t.mutation(api.payments.payInEuros, { amount: 5, balance: 50 })).toMatch(/:EUR$/);
    const result = await t.mutation(api.payments.payInEuros, { amount: 500, balance: 50 });
    expect(isAuditFailure(result)).toBe(true);
    expect((await failures(t))[0]).toMatchObject({ action: "function.failed", resourceId: "payments:payInEuros" });
    expect(await documents(t)).toHaveLength(1);
  });
});

describe("auditedMutation, onFailure: throw", () => {
  test("the caller gets the error, the writes roll back, nothing can be committed; Convex's log.audit gets the failure", async () => {
    const t = initConvexTest();
    const audit = vi.spyOn(log, "audit");
    const e = await errorOf(t.mutation(api.payments.payOrThrow, { amount: 80, balance: 50 }));
    expect((e as ConvexError<{ code: string }>).data.code).toBe("INSUFFICIENT_FUNDS");
    expect(await documents(t)).toEqual([]);
    expect(await failures(t)).toEqual([]);
    expect(audit).toHaveBeenCalledTimes(1);
    expect(audit.mock.calls[0][0]).toMatchObject({ action: "function.failed", status: "failure", function: "payments:payOrThrow", error: "INSUFFICIENT_FUNDS: short by 30" });
  });
});

describe("auditedAction and auditedHttpAction: all three", () => {
  test("an action whose mutation fails: the mutation's writes roll back, the failure is committed, the caller gets the original error", async () => {
    const t = initConvexTest();
    const e = await errorOf(t.withIdentity({ subject: "user_3" }).action(api.payments.payFromAction, { amount: 80, balance: 50 }));
    expect(e).toBeInstanceOf(ConvexError);
    expect((e as ConvexError<{ code: string }>).data.code).toBe("INSUFFICIENT_FUNDS");
    expect(await documents(t)).toEqual([]);
    expect((await failures(t))[0]).toMatchObject({ action: "function.failed", actorId: "user_3", resourceId: "payments:payFromAction", metadata: { kind: "action" } });
  });

  test("an HTTP action that throws, or answers 5xx, is recorded; one that succeeds is not", async () => {
    const t = initConvexTest();
    const post = (body: object) => t.fetch("/pay", { method: "POST", body: JSON.stringify(body), headers: { "user-agent": "curl/8" } });
    expect((await post({ amount: 5, balance: 50 })).status).toBe(200);
    expect(await failures(t)).toEqual([]);
    const thrown = await post({ amount: 80, balance: 50 }).then((r) => r.status, () => "threw");
    expect(thrown === "threw" || (typeof thrown === "number" && thrown >= 500)).toBe(true);
    expect((await post({ amount: 500, balance: 50 })).status).toBe(503);
    const events = (await failures(t)).sort((a, b) => a._creationTime - b._creationTime);
    expect(events.map((e) => [e.action, e.resourceId, e.errorMessage])).toEqual([
      ["function.failed", "POST /pay", "INSUFFICIENT_FUNDS: short by 30"],
      ["function.failed", "POST /pay", "answered 503"],
    ]);
    expect(events[0].context).toMatchObject({ userAgent: "curl/8" });
    expect(await documents(t)).toHaveLength(1);
  });
});
