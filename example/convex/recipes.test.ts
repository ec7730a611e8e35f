/**
 * Seed 002's endpoints as recipes (README "Recipes: the seed's admin and
 * organisation endpoints"): the admin list with each of its filters, and the
 * organisation list behind the app's permission check.
 */
import { describe, expect, test } from "vitest";
import { ConvexError } from "convex/values";
import { api, components } from "./_generated/api";
import { initConvexTest } from "./setup.test-helper";

const T0 = Date.UTC(2026, 0, 10);
const ROWS = [
  { action: "user.login", actorId: "ada", tenantId: "acme", status: "success", timestamp: T0 + 1 },
  { action: "user.login.failed", actorId: "ada", tenantId: "acme", status: "failure", timestamp: T0 + 2 },
  { action: "organization.created", actorId: "bob", tenantId: "globex", status: "success", timestamp: T0 + 3 },
  { action: "user.login", actorId: "bob", tenantId: "globex", status: "success", timestamp: T0 + 4 },
  { action: "member.added", actorId: "ada", tenantId: "acme", status: "success", timestamp: T0 + 5 },
  { action: "user.login", actorId: "carol", status: "success", timestamp: T0 + 6 },
] as const;

async function seed() {
  const t = initConvexTest();
  await t.mutation(components.auditLog.log.logBulk, { events: ROWS.map((r) => ({ ...r })) });
  return t;
}
type T = Awaited<ReturnType<typeof seed>>;

/** Every row of a paginated recipe, page by page. */
async function all(call: (cursor: string | null) => Promise<{ page: Array<{ timestamp: number }>; isDone: boolean; continueCursor: string }>) {
  const out: number[] = [];
  let cursor: string | null = null;
  for (let i = 0; i < 20; i++) {
    const r = await call(cursor);
    out.push(...r.page.map((e) => e.timestamp - T0));
    if (r.isDone) return out;
    cursor = r.continueCursor;
  }
  throw new Error("did not finish");
}
const codeOf = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as ConvexError<{ code: string }>).data.code;

describe("listAuditLogs: global admins, with the seed's filters", () => {
  const admin = (t: T) => t.withIdentity({ subject: "root", role: "admin" } as never);
  const list = (t: T, filters: Record<string, unknown>) =>
    all((cursor) => admin(t).query(api.recipes.listAuditLogs, { paginationOpts: { numItems: 2, cursor }, ...filters }));

  test("each filter, alone and together, pages through exactly the matching events, newest first", async () => {
    const t = await seed();
    expect(await list(t, {})).toEqual([6, 5, 4, 3, 2, 1]);
    expect(await list(t, { actorId: "ada" })).toEqual([5, 2, 1]);
    expect(await list(t, { eventName: "user.login" })).toEqual([6, 4, 1]);
    expect(await list(t, { status: "failure" })).toEqual([2]);
    expect(await list(t, { orgId: "globex" })).toEqual([4, 3]);
    expect(await list(t, { startDate: T0 + 2, endDate: T0 + 4 })).toEqual([4, 3, 2]);
    expect(await list(t, { actorId: "ada", orgId: "acme", eventName: "user.login", startDate: T0, endDate: T0 + 10 })).toEqual([1]);
  });

  test("anyone but a global admin is refused", async () => {
    const t = await seed();
    const args = { paginationOpts: { numItems: 10, cursor: null } };
    expect(await codeOf(t.query(api.recipes.listAuditLogs, args))).toBe("UNAUTHORIZED");
    expect(await codeOf(t.withIdentity({ subject: "ada", role: "org-admin" } as never).query(api.recipes.listAuditLogs, args))).toBe("FORBIDDEN");
  });
});

describe("listOrgAuditLogs: the active organisation, after the app's permission check", () => {
  test("a member with ac:read sees their active organisation's events only; switching organisation switches the log", async () => {
    const t = await seed();
    const list = (identity: object) => all((cursor) => t.withIdentity(identity as never).query(api.recipes.listOrgAuditLogs, { paginationOpts: { numItems: 2, cursor } }));
    expect(await list({ subject: "ada", activeOrganizationId: "acme", permissions: ["ac:read"] })).toEqual([5, 2, 1]);
    expect(await list({ subject: "ada", activeOrganizationId: "globex", permissions: ["ac:read"] })).toEqual([4, 3]);
  });

  test("without the permission, or without an active organisation, it is refused", async () => {
    const t = await seed();
    const args = { paginationOpts: { numItems: 10, cursor: null } };
    expect(await codeOf(t.withIdentity({ subject: "ada", activeOrganizationId: "acme", permissions: ["members:read"] } as never).query(api.recipes.listOrgAuditLogs, args))).toBe("FORBIDDEN");
    expect(await codeOf(t.withIdentity({ subject: "ada", permissions: ["ac:read"] } as never).query(api.recipes.listOrgAuditLogs, args))).toBe("FORBIDDEN");
    expect(await codeOf(t.query(api.recipes.listOrgAuditLogs, args))).toBe("UNAUTHORIZED");
  });
});
