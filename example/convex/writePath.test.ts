import { describe, expect, test, vi } from "vitest";
import { isAuditLogError, type AuditLogErrorCode } from "convex-audit-log";
import { api, components, internal } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";
import { expectCode } from "../../test/support/errors";

type T = ReturnType<typeof initConvexTest>;

/** Every stored event, whatever its severity (the table is small in these tests). */
async function countEvents(t: T) {
  return await t.run(
    async (ctx) =>
      (
        await ctx.runQuery(components.auditLog.queries.watchCritical, {
          severity: ["info", "warning", "error", "critical"],
          limit: 1000,
        })
      ).length,
  );
}

describe("write path", () => {
  test("log writes exactly one document and reads none on the caller's transaction", async () => {
    const t = initConvexTest();
    const cost = await t.run(async (ctx) => {
      const m0 = await ctx.meta.getTransactionMetrics();
      await auditLog.log(ctx, { action: "user.login", actorId: "u1", severity: "info", metadata: { method: "password" }, tags: ["authentication"] });
      const m1 = await ctx.meta.getTransactionMetrics();
      return { written: m1.documentsWritten.used - m0.documentsWritten.used, read: m1.documentsRead.used - m0.documentsRead.used };
    });
    expect(cost).toEqual({ written: 1, read: 0 });
  });

  test("the README's log call stores the catalogued category and the tags", async () => {
    const t = initConvexTest();
    const id = await t.run((ctx) =>
      auditLog.log(ctx, { action: "user.login", actorId: "u1", severity: "info", metadata: { method: "password" }, tags: ["authentication"] }),
    );
    const event = await t.run((ctx) => auditLog.get(ctx, { id }));
    expect(event).toMatchObject({
      action: "user.login",
      category: "auth",
      severity: "info",
      status: "success",
      actorId: "u1",
      actor: { type: "user" },
      metadata: { method: "password" },
      tags: ["authentication"],
    });
  });

  test("logBulk is all or nothing", async () => {
    const t = initConvexTest();
    const good = { action: "document.created", severity: "info" as const, resourceType: "documents", resourceId: "d1" };
    await expectCode(
      t.run((ctx) => auditLog.logBulk(ctx, [good, good, { ...good, severity: "fatal" as never }])),
      "INVALID_SEVERITY",
    );
    // Straight to the component, past the client's own checks: the component refuses too.
    await expectCode(
      t.run((ctx) =>
        ctx.runMutation(components.auditLog.log.logBulk, {
          events: [good, { ...good, metadata: { n: Number.NaN } }],
        }),
      ),
      "INVALID_VALUE",
    );
    const history = await t.run((ctx) => auditLog.queryByResource(ctx, { resourceType: "documents", resourceId: "d1" }));
    expect(history).toEqual([]);
  });

  test("logBulk of 500 fits Convex's limits; 501 is refused and writes nothing", async () => {
    const t = initConvexTest();
    const events = Array.from({ length: 500 }, (_, i) => ({
      action: "record.updated",
      actorId: `u${i % 7}`,
      resourceType: "records",
      resourceId: "r1",
      metadata: { i, note: "x".repeat(100) },
    }));
    const ids = await t.run((ctx) => auditLog.logBulk(ctx, events));
    expect(new Set(ids).size).toBe(500);
    await expectCode(t.run((ctx) => auditLog.logBulk(ctx, [...events, events[0]])), "TOO_MANY_EVENTS");
    await expectCode(
      t.run((ctx) => ctx.runMutation(components.auditLog.log.logBulk, { events: [...events, events[0]] })),
      "TOO_MANY_EVENTS",
    );
    const page = await t.run((ctx) =>
      auditLog.queryByResource(ctx, { resourceType: "records", resourceId: "r1", paginationOpts: { numItems: 1000, cursor: null } }),
    );
    expect(page.page).toHaveLength(500);
  });

  test("idempotency: the same (tenant, key) is stored once and returns the first id", async () => {
    const t = initConvexTest();
    const e = { action: "invoice.paid", tenantId: "org1", idempotencyKey: "evt_123" };
    const first = await t.run((ctx) => auditLog.log(ctx, e));
    const again = await t.run((ctx) => auditLog.log(ctx, { ...e, summary: "retried" }));
    expect(again).toBe(first);
    const otherTenant = await t.run((ctx) => auditLog.log(ctx, { ...e, tenantId: "org2" }));
    expect(otherTenant).not.toBe(first);
    const bulk = await t.run((ctx) =>
      auditLog.logBulk(ctx, [e, { ...e, idempotencyKey: "evt_124" }, { ...e, idempotencyKey: "evt_124" }]),
    );
    expect(bulk[0]).toBe(first);
    expect(bulk[1]).toBe(bulk[2]);
    const org1 = await t.run((ctx) => auditLog.queryByTenant(ctx, { tenantId: "org1" }));
    expect(org1.map((x) => x._id).sort()).toEqual([first, bulk[1]].sort());
  });

  test("an event logged in a mutation that fails rolls back with it", async () => {
    const t = initConvexTest();
    const userId = await t.mutation(api.users.createUser, { name: "Bo", email: "bo@example.com" });
    await expect(t.mutation(api.users.failingUpdate, { userId })).rejects.toThrow("business rule failed");
    const history = await t.run((ctx) => auditLog.queryByResource(ctx, { resourceType: "users", resourceId: userId }));
    expect(history.map((e) => e.action)).toEqual(["user.created"]);
    expect(history[0].changes?.map((c) => [c.op, c.path.join(".")])).toEqual([
      ["add", "email"],
      ["add", "name"],
    ]);
  });

  test("a rejected log can be caught by the caller, whose own writes still commit", async () => {
    const t = initConvexTest();
    const outcome = await t.run(async (ctx) => {
      const id = await ctx.db.insert("documents", { title: "kept", body: "" });
      try {
        await ctx.runMutation(components.auditLog.log.log, { event: { action: "" } });
        return { id, caught: null };
      } catch (e) {
        return { id, caught: isAuditLogError(e) ? e.data.code : "other" };
      }
    });
    expect(outcome.caught).toBe("INVALID_ACTION");
    expect(await t.run((ctx) => ctx.db.get(outcome.id))).not.toBeNull();
  });

  test("from an action, a scheduled function and an HTTP action", async () => {
    vi.useFakeTimers();
    try {
      const t = initConvexTest();
      const fromAction = await t.withIdentity({ subject: "user_cy" }).action(api.documents.exportDocuments, { orgId: "org9", count: 12 });
      await t.mutation(api.documents.scheduleCleanup, {});
      await t.finishAllScheduledFunctions(vi.runAllTimers);
      const res = await t.fetch("/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "user-agent": "hooks/1.0" },
        body: JSON.stringify({ event: "billing.webhook.received", apiKeyId: "k1", secret: "whsec_abc" }),
      });
      expect(res.status).toBe(200);
      const { id: fromHttp } = (await res.json()) as { id: string };

      const a = await t.run((ctx) => auditLog.get(ctx, { id: fromAction }));
      expect(a).toMatchObject({ action: "report.generated", actorId: "user_cy", tenantId: "org9", metadata: { count: 12 } });
      expect(a?.context?.source).toBe("documents:exportDocuments");

      const sys = await t.run((ctx) => auditLog.queryByActor(ctx, { actorId: "cron:nightly" }));
      expect(sys).toHaveLength(1);
      expect(sys[0].actor.type).toBe("system");
      expect(sys[0].context?.ip).toBeUndefined();

      const h = await t.run((ctx) => auditLog.get(ctx, { id: fromHttp }));
      expect(h).toMatchObject({ actorId: "apikey:k1", actor: { type: "apiKey" }, context: { userAgent: "hooks/1.0" } });
      expect(h?.metadata).toEqual({ event: "billing.webhook.received", apiKeyId: "k1", secret: "[REDACTED]" });
    } finally {
      vi.useRealTimers();
    }
  });

  test("an explicit actor wins over the authenticated user", async () => {
    const t = initConvexTest();
    const id = await t.withIdentity({ subject: "user_real" }).run((ctx) =>
      auditLog.log(ctx, { action: "user.role.changed", actor: { id: "svc:provisioner", type: "service", role: "system" } }),
    );
    const e = await t.run((ctx) => auditLog.get(ctx, { id }));
    expect(e).toMatchObject({ actorId: "svc:provisioner", actor: { type: "service", role: "system" }, category: "admin", severity: "warning" });
  });

  test("a password change is recorded as changed without the hash", async () => {
    const t = initConvexTest();
    const userId = await t.mutation(api.users.createUser, { name: "Di", email: "di@example.com" });
    await t.mutation(internal.users.setPassword, { userId, passwordHash: "argon2id$secret-one" });
    await t.mutation(internal.users.setPassword, { userId, passwordHash: "argon2id$secret-two" });
    const history = await t.run((ctx) => auditLog.queryByResource(ctx, { resourceType: "users", resourceId: userId }));
    expect(history[0].changes).toEqual([
      { path: ["passwordHash"], op: "replace", before: "[REDACTED]", after: "[REDACTED]", redacted: true },
    ]);
    expect(history[0].diff).toBe("~ passwordHash: [REDACTED] → [REDACTED]");
    expect(JSON.stringify(history)).not.toContain("secret-");
  });
});

describe("hostile input gets a typed error and writes nothing", () => {
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  let deep: unknown = "leaf";
  for (let i = 0; i < 200; i++) deep = { d: deep };
  const cases: Array<[string, Record<string, unknown>, AuditLogErrorCode]> = [
    ["empty action", { action: "" }, "INVALID_ACTION"],
    ["over-long action", { action: "a".repeat(129) }, "INVALID_ACTION"],
    ["action with a newline", { action: "user.login\nadmin" }, "INVALID_ACTION"],
    ["action not a string", { action: 42 }, "INVALID_ACTION"],
    ["unknown severity", { action: "x", severity: "fatal" }, "INVALID_SEVERITY"],
    ["unknown status", { action: "x", status: "maybe" }, "INVALID_ARGUMENT"],
    ["cyclic metadata", { action: "x", metadata: cyclic }, "INVALID_VALUE"],
    ["function in metadata", { action: "x", metadata: { f: () => 1 } }, "INVALID_VALUE"],
    ["symbol in metadata", { action: "x", metadata: { s: Symbol("s") } }, "INVALID_VALUE"],
    ["Infinity", { action: "x", metadata: { n: Infinity } }, "INVALID_VALUE"],
    ["undefined in an array", { action: "x", metadata: { a: [1, undefined] } }, "INVALID_VALUE"],
    ["a Date", { action: "x", metadata: { at: new Date() } }, "INVALID_VALUE"],
    ["$-key", { action: "x", metadata: { $where: "1" } }, "INVALID_VALUE"],
    ["200 levels deep", { action: "x", metadata: deep as Record<string, unknown> }, "TOO_DEEP"],
    ["70 KiB of metadata", { action: "x", metadata: { blob: "y".repeat(70 * 1024) } }, "EVENT_TOO_LARGE"],
    ["tags not strings", { action: "x", tags: [1] }, "INVALID_ARGUMENT"],
    ["resourceId without type", { action: "x", resourceId: "r" }, "INVALID_ARGUMENT"],
    ["formula-looking action is fine, but 2,000-char tenant is not", { action: "=cmd|' /C calc'!A0", tenantId: "t".repeat(2000) }, "INVALID_ARGUMENT"],
  ];
  test.each(cases)("%s", async (_name, event, code) => {
    const t = initConvexTest();
    await expectCode(t.run((ctx) => auditLog.log(ctx, event as never)), code);
    await expectCode(t.run((ctx) => auditLog.logBulk(ctx, [{ action: "ok" }, event as never])), code);
    const stored = await t.run((ctx) =>
      ctx.runQuery(components.auditLog.queries.watchCritical, { severity: ["info", "warning", "error", "critical"], limit: 10 }),
    );
    expect(stored).toEqual([]);
  });

  test("values that survive serialisation are refused by the component itself", async () => {
    const t = initConvexTest();
    for (const [event, code] of [
      [{ action: "x", metadata: { n: Number.NEGATIVE_INFINITY } }, "INVALID_VALUE"],
      [{ action: "x", severity: "loud" }, "INVALID_SEVERITY"],
      [{ action: "   " }, "INVALID_ACTION"],
      [{ action: "x", metadata: { big: "z".repeat(80 * 1024) } }, "EVENT_TOO_LARGE"],
      [{ action: "x", category: "finance" }, "INVALID_ARGUMENT"],
    ] as const) {
      await expectCode(t.run((ctx) => ctx.runMutation(components.auditLog.log.log, { event })), code);
    }
    await expectCode(
      t.run((ctx) => ctx.runMutation(components.auditLog.log.log, { event: { action: "x" }, options: { maxEventBytes: 2 * 1024 * 1024 } })),
      "INVALID_CONFIG",
    );
    await expectCode(
      t.run((ctx) => ctx.runMutation(components.auditLog.log.log, { event: { action: "x" }, options: { redactionMode: "hash" } })),
      "INVALID_CONFIG",
    );
    expect(await countEvents(t)).toBe(0);
  });

  test("a larger configured limit admits a larger event", async () => {
    const t = initConvexTest();
    const id = await t.run((ctx) =>
      ctx.runMutation(components.auditLog.log.log, {
        event: { action: "x", metadata: { big: "z".repeat(300 * 1024) } },
        options: { maxEventBytes: 512 * 1024 },
      }),
    );
    expect(id).toBeTypeOf("string");
  });
});
