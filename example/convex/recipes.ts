/**
 * Seed 002's two endpoints, as recipes over this package.
 *
 * - `listAuditLogs`: global admins, with the seed's filters (actor, event
 *   name, status, organisation, dates), paginated.
 * - `listOrgAuditLogs`: any member holding the `ac:read` permission, scoped
 *   to their active organisation; the permission check is the app's.
 *
 * Both read through `auditLog.search`, whose pages may hold fewer rows than
 * asked for (keep paging while `isDone` is false).
 */
import { paginationOptsValidator, type UserIdentity } from "convex/server";
import { ConvexError, v } from "convex/values";
import { query, type QueryCtx } from "./_generated/server";
import { auditLog } from "./auditLog";

/** The app's own checks, from the identity's claims (a real app reads its membership table). */
async function signedIn(ctx: QueryCtx): Promise<UserIdentity> {
  const identity = await ctx.auth.getUserIdentity();
  if (identity === null) throw new ConvexError({ code: "UNAUTHORIZED", message: "sign in" });
  return identity;
}
function hasPermission(identity: UserIdentity, permission: string): boolean {
  return Array.isArray(identity.permissions) && identity.permissions.includes(permission);
}

export const listAuditLogs = query({
  args: {
    paginationOpts: paginationOptsValidator,
    actorId: v.optional(v.string()),
    eventName: v.optional(v.string()),
    status: v.optional(v.union(v.literal("success"), v.literal("failure"))),
    orgId: v.optional(v.string()),
    startDate: v.optional(v.number()),
    endDate: v.optional(v.number()),
  },
  handler: async (ctx, { paginationOpts, actorId, eventName, status, orgId, startDate, endDate }) => {
    const identity = await signedIn(ctx);
    if (identity.role !== "admin") throw new ConvexError({ code: "FORBIDDEN", message: "global admins only" });
    return await auditLog.search(ctx, {
      filters: {
        ...(actorId !== undefined ? { actorIds: [actorId] } : {}),
        ...(eventName !== undefined ? { actions: [eventName] } : {}),
        ...(status !== undefined ? { status } : {}),
        ...(orgId !== undefined ? { tenantId: orgId } : {}),
        ...(startDate !== undefined ? { fromTimestamp: startDate } : {}),
        ...(endDate !== undefined ? { toTimestamp: endDate } : {}),
      },
      pagination: { limit: paginationOpts.numItems, cursor: paginationOpts.cursor },
    });
  },
});

export const listOrgAuditLogs = query({
  args: { paginationOpts: paginationOptsValidator },
  handler: async (ctx, { paginationOpts }) => {
    const identity = await signedIn(ctx);
    const orgId = typeof identity.activeOrganizationId === "string" ? identity.activeOrganizationId : undefined;
    if (orgId === undefined || !hasPermission(identity, "ac:read")) {
      throw new ConvexError({ code: "FORBIDDEN", message: "needs the ac:read permission in an active organization" });
    }
    return await auditLog.queryByTenant(ctx, { tenantId: orgId, paginationOpts });
  },
});
