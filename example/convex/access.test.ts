/**
 * Grants (a caller the app has checked may read one resource's whole
 * history), malformed scopes, and access to the log itself being on the
 * record (item 7): opening the viewer writes `audit.log.viewed`; with
 * `mirrorReadsToConvexAudit` every exposed read goes to Convex's `log.audit`.
 */
import { afterEach, describe, expect, test, vi } from "vitest";
import { convexTest } from "convex-test";
import { anyApi, log } from "convex/server";
import { ConvexError } from "convex/values";
import auditLogComponent from "convex-audit-log/test";
import { exposeAuditLogApi } from "convex-audit-log";
import { components } from "./_generated/api";
import schema from "./schema";
import { modules } from "./setup.test-helper";

/** The app's own check: who may read a document's whole history (its organisation's members). */
const DOC_ORG: Record<string, string> = { d1: "acme", d2: "globex" };

const api = exposeAuditLogApi(components.auditLog, {
  mirrorReadsToConvexAudit: true,
  auth: async (ctx, op) => {
    const identity = await ctx.auth.getUserIdentity();
    if (identity === null) return null;
    if (identity.subject === "weird") return JSON.parse(String(identity.scope)) as never;
    if (op.type === "read" && op.query === "queryByResource" && DOC_ORG[op.resourceId] === identity.orgId) {
      return { grant: { resourceType: op.resourceType, resourceId: op.resourceId } };
    }
    if (identity.role === "org-admin") return { tenantId: String(identity.orgId) };
    return identity.subject;
  },
});
const fn = anyApi.access;

function init() {
  const t = convexTest({ schema, modules: { ...modules, "./access.ts": async () => api }, transactionLimits: true });
  auditLogComponent.register(t);
  return t;
}
async function seed() {
  const t = init();
  const ids = await t.mutation(components.auditLog.log.logBulk, {
    events: [
      { action: "document.updated", actorId: "ada", tenantId: "acme", resourceType: "docs", resourceId: "d1" },
      { action: "document.updated", actorId: "bob", tenantId: "acme", resourceType: "docs", resourceId: "d1" },
      { action: "document.updated", actorId: "eve", tenantId: "globex", resourceType: "docs", resourceId: "d2" },
    ],
  });
  return { t, ids };
}
const codeOf = async (p: Promise<unknown>) => ((await p.then(() => undefined, (e: unknown) => e)) as ConvexError<{ code: string }>).data?.code;
const events = (t: ReturnType<typeof init>) =>
  t.run((ctx) => ctx.runQuery(components.auditLog.queries.watchCritical, { severity: ["info", "warning", "error", "critical"], limit: 100 }));

afterEach(() => vi.restoreAllMocks());

describe("grants", () => {
  test("a grant reads the whole history of its resource, and nothing else", async () => {
    const { t, ids } = await seed();
    const ada = t.withIdentity({ subject: "ada", orgId: "acme" } as never);
    expect((await ada.query(fn.queryByResource, { resourceType: "docs", resourceId: "d1" })).map((e: { actorId: string }) => e.actorId)).toEqual(["bob", "ada"]);
    // d2 is not hers to read in full: the callback returns her user id, so she sees her own events on it (none).
    expect(await ada.query(fn.queryByResource, { resourceType: "docs", resourceId: "d2" })).toEqual([]);
    // Under the user scope, another user's event reads as missing.
    expect(await ada.query(fn.get, { id: ids[1] })).toBeNull();
  });

  test("a grant for another resource, or used for anything but its resource, is FORBIDDEN; a malformed grant is INVALID_CONFIG", async () => {
    const t = init();
    const weird = (scope: unknown) => t.withIdentity({ subject: "weird", scope: JSON.stringify(scope) } as never);
    const grant = { grant: { resourceType: "docs", resourceId: "d1" } };
    expect(await codeOf(weird(grant).query(fn.queryByResource, { resourceType: "docs", resourceId: "d2" }))).toBe("FORBIDDEN");
    expect(await codeOf(weird(grant).query(fn.queryByActor, { actorId: "bob" }))).toBe("FORBIDDEN");
    expect(await codeOf(weird(grant).query(fn.search, { filters: {}, paginationOpts: { numItems: 5, cursor: null } }))).toBe("FORBIDDEN");
    expect(await codeOf(weird(grant).query(fn.getStats, {}))).toBe("FORBIDDEN");
    expect(await codeOf(weird(grant).query(fn.watchCritical, {}))).toBe("FORBIDDEN");
    const tenantGrant = { grant: { resourceType: "docs", resourceId: "d1", tenantId: "acme" } };
    expect(await codeOf(weird(tenantGrant).query(fn.queryByResource, { resourceType: "docs", resourceId: "d1", tenantId: "globex" }))).toBe("FORBIDDEN");
    for (const bad of [
      { grant: { resourceType: "docs" } },
      { grant: { resourceType: "docs", resourceId: "d1", admin: true } },
      { grant: { resourceType: "docs", resourceId: "" } },
      { grant: "d1" },
      { grant: { resourceType: "docs", resourceId: "d1" }, tenantId: "acme" },
    ]) {
      expect(await codeOf(weird(bad).query(fn.queryByResource, { resourceType: "docs", resourceId: "d1" })), JSON.stringify(bad)).toBe("INVALID_CONFIG");
    }
  });
});

describe("access to the log is on the record", () => {
  test("opening the viewer records audit.log.viewed with who, the scope and the filters; an anonymous caller writes nothing", async () => {
    const { t } = await seed();
    expect(await codeOf(t.mutation(fn.openViewer, { filters: {} }))).toBe("UNAUTHORIZED");
    const id = await t.withIdentity({ subject: "ada" }).mutation(fn.openViewer, { filters: { severity: ["critical"] }, view: "security" });
    const olga = await t.withIdentity({ subject: "olga", role: "org-admin", orgId: "acme" } as never).mutation(fn.openViewer, {});
    const all = await events(t);
    const viewed = all.filter((e) => e.action === "audit.log.viewed");
    expect(viewed.map((e) => e._id).sort()).toEqual([id, olga].sort());
    expect(all.find((e) => e._id === id)).toMatchObject({ actorId: "ada", category: "admin", metadata: { scope: "viewer", view: "security", filters: { severity: ["critical"] } } });
    expect(all.find((e) => e._id === olga)).toMatchObject({ actorId: "olga", tenantId: "acme", metadata: { scope: "tenant" } });
  });

  test("with mirrorReadsToConvexAudit, every exposed read goes to Convex's log.audit with its operation and scope", async () => {
    const { t } = await seed();
    const audit = vi.spyOn(log, "audit");
    await t.withIdentity({ subject: "ada", orgId: "acme" } as never).query(fn.queryByResource, { resourceType: "docs", resourceId: "d1" });
    await t.withIdentity({ subject: "olga", role: "org-admin", orgId: "acme" } as never).query(fn.getStats, {});
    expect(audit.mock.calls.map((c) => c[0])).toMatchObject([
      { action: "audit.log.read", operation: "queryByResource", scope: "grant", resourceType: "docs", resourceId: "d1" },
      { action: "audit.log.read", operation: "getStats", scope: "tenant", tenantId: "acme" },
    ]);
  });
});
