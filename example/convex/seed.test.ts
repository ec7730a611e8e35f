import { describe, expect, test, vi } from "vitest";
import { api, components, internal } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";
import { auditLog } from "./auditLog";

describe("the seed README's calls, as written", () => {
  test("logChange from updateUserProfile records a redacted structured diff", async () => {
    const t = initConvexTest();
    const userId = await t.run((ctx) =>
      ctx.db.insert("users", { name: "Ada", email: "ada@old.example" }),
    );
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
    expect(event.actorId).toBe("user_ada");
    expect(event.actor).toEqual({ type: "user", name: "Ada" });
    expect(event.context).toMatchObject({ ip: "203.0.113.9", userAgent: "vitest" });
    expect(event.changes).toEqual([
      // Convex returns fields in key order, so the diff lists email first.
      { path: ["email"], op: "replace", before: "[REDACTED]", after: "[REDACTED]", redacted: true },
      { path: ["name"], op: "replace", before: "Ada", after: "Ada L." },
    ]);
    expect(JSON.stringify(event)).not.toContain("ada@");
    expect(event.before).toEqual({ name: "Ada", email: "[REDACTED]" });
  });
});
