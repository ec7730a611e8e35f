import { describe, expect, test } from "vitest";
import { ConvexError } from "convex/values";
import { api } from "./_generated/api";
import { auditLog } from "./auditLog";
import { initConvexTest } from "./setup.test-helper";

async function seed() {
  const t = initConvexTest();
  const ids = await t.run((ctx) =>
    auditLog.logBulk(ctx, [
      { action: "user.login", actorId: "alice", tenantId: "org1", resourceType: "docs", resourceId: "d1" },
      { action: "user.login", actorId: "bob", tenantId: "org1", resourceType: "docs", resourceId: "d1", severity: "critical" },
      { action: "user.login", actorId: "mallory", tenantId: "org2", resourceType: "docs", resourceId: "d1", severity: "critical" },
    ]),
  );
  return { t, ids };
}

const codeOf = async (p: Promise<unknown>) => {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ConvexError);
  return (e as ConvexError<{ code: string }>).data.code;
};

describe("exposeAuditLogApi: the auth result scopes every row", () => {
  test("anonymous callers are refused", async () => {
    const { t } = await seed();
    expect(await codeOf(t.query(api.auditLog.queryByActor, { actorId: "alice" }))).toBe("UNAUTHORIZED");
    expect(await codeOf(t.query(api.auditLog.watchCritical, {}))).toBe("UNAUTHORIZED");
  });

  test("a user sees only their own events", async () => {
    const { t, ids } = await seed();
    const alice = t.withIdentity({ subject: "alice" });
    const mine = await alice.query(api.auditLog.queryByActor, { actorId: "alice", limit: 50 });
    expect(mine.map((e) => e.actorId)).toEqual(["alice"]);
    expect(await codeOf(alice.query(api.auditLog.queryByActor, { actorId: "bob" }))).toBe("FORBIDDEN");
    // A shared resource's history and the critical feed show her own events only (bob's critical one is not hers).
    expect((await alice.query(api.auditLog.queryByResource, { resourceType: "docs", resourceId: "d1" })).map((e) => e.actorId)).toEqual(["alice"]);
    expect(await alice.query(api.auditLog.watchCritical, { severity: ["critical"] })).toEqual([]);
    expect((await alice.query(api.auditLog.watchCritical, { severity: ["info"] })).map((e) => e.actorId)).toEqual(["alice"]);
    expect(await codeOf(alice.query(api.auditLog.queryByResource, { resourceType: "docs", resourceId: "d1", tenantId: "org1" }))).toBe("FORBIDDEN");
    expect(await codeOf(alice.query(api.auditLog.queryByTenant, { tenantId: "org1" }))).toBe("FORBIDDEN");
    expect(await alice.query(api.auditLog.get, { id: ids[1] })).toBeNull();
    expect((await alice.query(api.auditLog.get, { id: ids[0] }))?._id).toBe(ids[0]);
  });

  test("an organisation admin reads that organisation only", async () => {
    const { t, ids } = await seed();
    const admin = t.withIdentity({ subject: "olga", role: "org-admin", orgId: "org1" } as never);
    const history = await admin.query(api.auditLog.queryByResource, { resourceType: "docs", resourceId: "d1" });
    expect(history.map((e) => e.actorId)).toEqual(["bob", "alice"]);
    const critical = await admin.query(api.auditLog.watchCritical, { severity: ["critical"] });
    expect(critical.map((e) => e.actorId)).toEqual(["bob"]);
    expect(await admin.query(api.auditLog.queryByActor, { actorId: "mallory" })).toEqual([]);
    expect(await admin.query(api.auditLog.get, { id: ids[2] })).toBeNull();
    expect(await codeOf(admin.query(api.auditLog.queryByResource, { resourceType: "docs", resourceId: "d1", tenantId: "org2" }))).toBe("FORBIDDEN");
    const page = await admin.query(api.auditLog.listByTenant, { tenantId: "org1", paginationOpts: { numItems: 1, cursor: null } });
    expect(page.page).toHaveLength(1);
    expect(page.isDone).toBe(false);
  });

  test("a global admin reads everything", async () => {
    const { t } = await seed();
    const root = t.withIdentity({ subject: "root", role: "admin" } as never);
    const all = await root.query(api.auditLog.queryByResource, { resourceType: "docs", resourceId: "d1" });
    expect(all).toHaveLength(3);
  });
});

describe("exposed search", () => {
  test("a viewer searches only their own events; a tenant admin only their tenant", async () => {
    const { t } = await seed();
    const alice = t.withIdentity({ subject: "alice" });
    const mine = await alice.query(api.auditLog.search, { filters: {}, paginationOpts: { numItems: 10, cursor: null } });
    expect(mine.page.map((e) => e.actorId)).toEqual(["alice"]);
    expect(await codeOf(alice.query(api.auditLog.search, { filters: { actorIds: ["bob"] }, paginationOpts: { numItems: 10, cursor: null } }))).toBe("FORBIDDEN");
    const admin = t.withIdentity({ subject: "olga", role: "org-admin", orgId: "org1" } as never);
    const org = await admin.query(api.auditLog.search, { filters: { severity: ["critical"] }, paginationOpts: { numItems: 10, cursor: null } });
    expect(org.page.map((e) => e.actorId)).toEqual(["bob"]);
    expect(await codeOf(admin.query(api.auditLog.search, { filters: { tenantId: "org2" }, paginationOpts: { numItems: 10, cursor: null } }))).toBe("FORBIDDEN");
  });
});
