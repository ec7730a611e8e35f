/**
 * Each call of the original API's README, as written there , against
 * the example app. Calls in function bodies are the README's text; only the
 * surrounding setup is ours.
 */
import { describe, expect, test } from "vitest";
import { convexTest } from "convex-test";
import auditLogComponent from "convex-audit-log/test";
import { AuditActions } from "convex-audit-log";
import schema from "./schema";
import { api } from "./_generated/api";
import { initConvexTest, modules } from "./setup.test-helper";
import { auditLog } from "./auditLog";

describe("the original API README's calls, as written", () => {
  test("logChange from updateUserProfile records a redacted structured diff", async () => {
    const t = initConvexTest();
    const userId = await t.run((ctx) => ctx.db.insert("users", { name: "Ada", email: "ada@old.example" }));
    const asAda = t.withIdentity({ subject: "user_ada", name: "Ada" }).withRequestMetadata({
      ip: "203.0.113.9",
      userAgent: "vitest",
    });
    await asAda.mutation(api.users.updateUserProfile, { userId, name: "Ada L.", email: "ada@new.example" });
    const history = await t.run((ctx) =>
      auditLog.queryByResource(ctx, { resourceType: "users", resourceId: userId, limit: 50 }),
    );
    expect(history).toHaveLength(1);
    const [event] = history;
    expect(event.action).toBe("user.profile.updated");
    // The README's `ctx.auth.getUserIdentity()?.subject` is undefined; the actor comes from auth.
    expect(event.actorId).toBe("user_ada");
    expect(event.actor).toEqual({ type: "user", name: "Ada" });
    expect(event.context).toMatchObject({ ip: "203.0.113.9", userAgent: "vitest", source: "users:updateUserProfile" });
    expect(event.changes).toEqual([
      // Convex returns fields in key order, so the diff lists email first.
      { path: ["email"], op: "replace", before: "[REDACTED]", after: "[REDACTED]", redacted: true },
      { path: ["name"], op: "replace", before: "Ada", after: "Ada L." },
    ]);
    expect(JSON.stringify(event)).not.toContain("ada@");
    expect(event.before).toEqual({ name: "Ada", email: "[REDACTED]" });
  });

  test("log, logChange, logBulk, queryByResource, queryByActor and watchCritical", async () => {
    const t = initConvexTest();
    const userId = "user_1";
    const docId = "doc_1";
    await t.run(async (ctx) => {
      await auditLog.log(ctx, {
        action: "user.login",
        actorId: userId,
        severity: "info",
        metadata: { method: "password" },
        tags: ["authentication"],
      });
      await auditLog.logChange(ctx, {
        action: "document.updated",
        actorId: userId,
        resourceType: "documents",
        resourceId: docId,
        before: { title: "Old Title" },
        after: { title: "New Title" },
        generateDiff: true, // Automatically generate diff
        severity: "info",
      });
      await auditLog.logBulk(ctx, [
        { action: "document.created", severity: "info", actorId: userId, resourceType: "documents", resourceId: docId },
        { action: "notification.sent", severity: "info", actorId: userId },
      ]);
      await auditLog.log(ctx, { action: AuditActions.USER_LOGOUT, actorId: userId });
      await auditLog.log(ctx, { action: "user.login.failed", actorId: "intruder", severity: "warning" });
      await auditLog.log(ctx, { action: AuditActions.UNAUTHORIZED_ACCESS, actorId: "intruder" });
    });

    const history = await t.run((ctx) =>
      auditLog.queryByResource(ctx, {
        resourceType: "documents",
        resourceId: docId,
        limit: 50,
        fromTimestamp: Date.now() - 7 * 24 * 60 * 60 * 1000, // Last 7 days
      }),
    );
    expect(history.map((e) => e.action)).toEqual(["document.created", "document.updated"]);
    expect(history[1].changes).toEqual([{ path: ["title"], op: "replace", before: "Old Title", after: "New Title" }]);
    expect(history[1].diff).toBe('~ title: "Old Title" → "New Title"');

    const activity = await t.run((ctx) =>
      auditLog.queryByActor(ctx, {
        actorId: userId,
        limit: 50,
        actions: ["user.login", "user.logout"], // Optional filter
      }),
    );
    expect(activity.map((e) => e.action)).toEqual(["user.logout", "user.login"]);

    const criticalEvents = await t.run((ctx) =>
      auditLog.watchCritical(ctx, {
        severity: ["error", "critical"],
        limit: 20,
      }),
    );
    expect(criticalEvents.map((e) => e.action)).toEqual(["security.unauthorized_access"]);
    const security = await t.query(api.documents.watchSecurityEvents, {});
    expect(security.map((e) => e.action)).toEqual(["security.unauthorized_access", "user.login.failed"]);
  });

  test("getDocumentHistory and getUserActivity, the README's query functions", async () => {
    const t = initConvexTest();
    const docId = await t.withIdentity({ subject: "user_ed" }).mutation(api.documents.createDocument, { title: "a", body: "b" });
    await t.withIdentity({ subject: "user_ed" }).mutation(api.documents.updateDocument, { documentId: docId, title: "c" });
    const history = await t.query(api.documents.getDocumentHistory, { documentId: docId });
    expect(history.map((e) => e.action)).toEqual(["document.updated", "document.created"]);
    const activity = await t.query(api.users.getUserActivity, { userId: "user_ed" });
    expect(activity.map((e) => e.action)).toEqual(["document.updated", "notification.sent", "document.created"]);
  });

  test("the README's testing section: register with convexTest as written", async () => {
    const t = convexTest(schema, modules);
    auditLogComponent.register(t);
    await t.run(async (ctx) => {
      const id = await auditLog.log(ctx, { action: "user.login", actorId: "u" });
      expect((await auditLog.get(ctx, { id }))?.action).toBe("user.login");
    });
  });
});
