/**
 * Change capture: every write to `projects` through this module's `mutation`
 * is logged by a convex-helpers trigger, with its diff and the acting user.
 */
import { v } from "convex/values";
import { customCtx, customMutation } from "convex-helpers/server/customFunctions";
import { Triggers } from "convex-helpers/server/triggers";
import type { DataModel, Doc } from "./_generated/dataModel";
import { mutation as rawMutation } from "./_generated/server";
import { auditLog } from "./auditLog";

const triggers = new Triggers<DataModel>();
triggers.register(
  "projects",
  auditLog.trigger<Doc<"projects">>({
    resourceType: "projects",
    actions: { insert: "project.created", delete: "project.archived" },
    ignoreFields: ["updatedAt"],
    // This table's own: the AuditLog's piiFields ("email" …) do not name it.
    piiFields: ["ownerEmail"],
    tenantId: (doc) => doc.orgId,
  }),
);

/** Every mutation of this module writes through the triggers. */
const mutation = customMutation(rawMutation, customCtx(triggers.wrapDB));

export const createProject = mutation({
  args: { name: v.string(), orgId: v.optional(v.string()), apiSecret: v.optional(v.string()), ownerEmail: v.optional(v.string()) },
  handler: async (ctx, args) => await ctx.db.insert("projects", { ...args, updatedAt: Date.now() }),
});

export const renameProject = mutation({
  args: { id: v.id("projects"), name: v.string() },
  handler: async (ctx, { id, name }) => await ctx.db.patch(id, { name, updatedAt: Date.now() }),
});

export const replaceProject = mutation({
  args: { id: v.id("projects"), name: v.string(), status: v.string(), apiSecret: v.optional(v.string()) },
  handler: async (ctx, { id, ...doc }) => {
    const old = await ctx.db.get(id);
    await ctx.db.replace(id, { ...doc, orgId: old?.orgId, updatedAt: Date.now() });
  },
});

/** Changes only an ignored field: nothing to log. */
export const touchProject = mutation({
  args: { id: v.id("projects") },
  handler: async (ctx, { id }) => await ctx.db.patch(id, { updatedAt: Date.now() + 1 }),
});

export const deleteProject = mutation({
  args: { id: v.id("projects") },
  handler: async (ctx, { id }) => await ctx.db.delete(id),
});

/** Writes, then fails: the write and its event roll back together. */
export const createThenFail = mutation({
  args: { name: v.string() },
  handler: async (ctx, { name }) => {
    await ctx.db.insert("projects", { name });
    throw new Error("quota exceeded");
  },
});
