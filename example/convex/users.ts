import { v } from "convex/values";
import { internalMutation, mutation, query } from "./_generated/server";
import { auditLog } from "./auditLog";

// The original API README's calls, as written there.
export const updateUserProfile = mutation({
  args: { userId: v.id("users"), name: v.string(), email: v.string() },
  handler: async (ctx, args) => {
    // Get current state
    const before = await ctx.db.get(args.userId);
    // Perform the update
    await ctx.db.patch(args.userId, { name: args.name, email: args.email });
    // Get new state
    const after = await ctx.db.get(args.userId);
    // Log the change with automatic diff
    await auditLog.logChange(ctx, {
      action: "user.profile.updated",
      // @ts-expect-error The original API's README reads `.subject` off the Promise; it is undefined at run time and the actor comes from ctx.auth instead.
      actorId: ctx.auth.getUserIdentity()?.subject,
      resourceType: "users",
      resourceId: args.userId,
      before,
      after,
      generateDiff: true,
      severity: "info",
    });
    return after;
  },
});

export const createUser = mutation({
  args: { name: v.string(), email: v.string(), orgId: v.optional(v.string()) },
  handler: async (ctx, args) => {
    const id = await ctx.db.insert("users", args);
    await auditLog.logChange(ctx, {
      action: "user.created",
      resourceType: "users",
      resourceId: id,
      tenantId: args.orgId,
      after: await ctx.db.get(id),
    });
    return id;
  },
});

/** Logs inside a mutation that then fails: the event rolls back with the change. */
export const failingUpdate = mutation({
  args: { userId: v.id("users") },
  handler: async (ctx, args) => {
    await ctx.db.patch(args.userId, { name: "should not stick" });
    await auditLog.log(ctx, { action: "user.updated", resourceType: "users", resourceId: args.userId });
    throw new Error("business rule failed");
  },
});

export const setPassword = internalMutation({
  args: { userId: v.id("users"), passwordHash: v.string() },
  handler: async (ctx, args) => {
    const before = await ctx.db.get(args.userId);
    await ctx.db.patch(args.userId, { passwordHash: args.passwordHash });
    await auditLog.logChange(ctx, {
      action: "user.password.changed",
      actorId: args.userId,
      resourceType: "users",
      resourceId: args.userId,
      before,
      after: await ctx.db.get(args.userId),
    });
  },
});

export const getUserActivity = query({
  args: { userId: v.string() },
  handler: async (ctx, args) => {
    return await auditLog.queryByActor(ctx, {
      actorId: args.userId,
      limit: 50,
    });
  },
});
