/**
 * The original README's `exposeAuditLogApi` example, as written there. Its
 * `auth` returns the signed-in user's id, so every caller gets a user's
 * scope: their own events on a resource (DocumentHistory), their own
 * statistics, their own warnings and errors. `getAuthUserId` is the app's
 * auth helper (Convex Auth's); here it reads the token's subject.
 */
import type { Auth } from "convex/server";
import { exposeAuditLogApi } from "convex-audit-log";
import { components } from "./_generated/api";

async function getAuthUserId(ctx: { auth: Auth }): Promise<string | null> {
  return (await ctx.auth.getUserIdentity())?.subject ?? null;
}

export const {
queryByResource,
queryByActor,
getStats,
watchCritical,
} = exposeAuditLogApi(components.auditLog, {
auth: async (ctx, operation) => {
const userId = await getAuthUserId(ctx);
if (!userId && operation.type !== "read") {
throw new Error("Unauthorized");
}
return userId;
},
});
