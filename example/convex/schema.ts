import { defineSchema, defineTable } from "convex/server";
import { v } from "convex/values";

export default defineSchema({
  users: defineTable({
    name: v.string(),
    email: v.string(),
    role: v.optional(v.string()),
    passwordHash: v.optional(v.string()),
    orgId: v.optional(v.string()),
  }),
  documents: defineTable({
    title: v.string(),
    body: v.string(),
    orgId: v.optional(v.string()),
  }),
});
