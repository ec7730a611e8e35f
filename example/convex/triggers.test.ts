/**
 * Change capture with real convex-helpers Triggers (item 3): every insert,
 * patch, replace and delete on `projects` is logged in the same transaction,
 * with its structured diff and the acting user; the table's own options
 * (ignored fields, redaction, action names, tenant) apply.
 */
import { describe, expect, test } from "vitest";
import { api, components } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";

type T = ReturnType<typeof initConvexTest>;
const history = async (t: T, id: string) =>
  (await t.run((ctx) => ctx.runQuery(components.auditLog.queries.queryByResource, { resourceType: "projects", resourceId: id, paginationOpts: { numItems: 50, cursor: null } }))).page.reverse();

describe("auditLog.trigger with convex-helpers Triggers", () => {
  test("insert, patch, replace and delete each log one event with the diff and the acting user", async () => {
    const t = initConvexTest();
    const ada = t.withIdentity({ subject: "user_ada", name: "Ada" });
    const id = await ada.mutation(api.triggers.createProject, { name: "Apollo", orgId: "acme", apiSecret: "s3cr3t-value-123", ownerEmail: "ada@example.com" });
    await ada.mutation(api.triggers.renameProject, { id, name: "Artemis" });
    await t.withIdentity({ subject: "user_bob" }).mutation(api.triggers.replaceProject, { id, name: "Artemis", status: "active", apiSecret: "rotated-value-456" });
    await ada.mutation(api.triggers.deleteProject, { id });
    const events = await history(t, id);
    expect(events.map((e) => [e.action, e.actorId, e.tenantId, e.metadata])).toEqual([
      ["project.created", "user_ada", "acme", { operation: "insert" }],
      ["projects.updated", "user_ada", "acme", { operation: "update" }],
      ["projects.updated", "user_bob", "acme", { operation: "update" }],
      ["project.archived", "user_ada", "acme", { operation: "delete" }],
    ]);
    const [created, renamed, replaced, deleted] = events;
    expect(created.changes).toEqual([
      { path: ["apiSecret"], op: "add", after: "[REDACTED]", redacted: true },
      { path: ["name"], op: "add", after: "Apollo" },
      { path: ["orgId"], op: "add", after: "acme" },
      { path: ["ownerEmail"], op: "add", after: "[REDACTED]", redacted: true },
    ]);
    expect(renamed.changes).toEqual([{ path: ["name"], op: "replace", before: "Apollo", after: "Artemis" }]);
    expect(replaced.changes).toEqual([
      { path: ["apiSecret"], op: "replace", before: "[REDACTED]", after: "[REDACTED]", redacted: true },
      { path: ["ownerEmail"], op: "remove", before: "[REDACTED]", redacted: true },
      { path: ["status"], op: "add", after: "active" },
    ]);
    expect(deleted.before).toMatchObject({ name: "Artemis", status: "active", apiSecret: "[REDACTED]" });
    expect(deleted.after).toBeUndefined();
    // Ignored fields are in no snapshot and no diff; the secret is nowhere.
    const json = JSON.stringify(events);
    expect(json).not.toContain("updatedAt");
    expect(json).not.toContain("s3cr3t-value-123");
    expect(json).not.toContain("rotated-value-456");
    expect(json).not.toContain("ada@example.com");
  });

  test("an update that changes only ignored fields logs nothing; a failed mutation rolls back its write and its event", async () => {
    const t = initConvexTest();
    const id = await t.mutation(api.triggers.createProject, { name: "Apollo" });
    await t.mutation(api.triggers.touchProject, { id });
    expect((await history(t, id)).map((e) => e.action)).toEqual(["project.created"]);
    await expect(t.mutation(api.triggers.createThenFail, { name: "Doomed" })).rejects.toThrow("quota exceeded");
    const all = await t.run((ctx) => ctx.runQuery(components.auditLog.queries.watchCritical, { severity: ["info", "warning", "error", "critical"], limit: 100 }));
    expect(all.map((e) => e.action)).toEqual(["project.created"]);
    expect(await t.run(async (ctx) => (await ctx.db.query("projects").collect()).map((p) => p.name))).toEqual(["Apollo"]);
  });

  test("with nobody signed in the actor is the system", async () => {
    const t = initConvexTest();
    const id = await t.mutation(api.triggers.createProject, { name: "Cron-made" });
    const [event] = await history(t, id);
    expect(event.actorId).toBeUndefined();
    expect(event.actor.type).toBe("system");
  });
});
