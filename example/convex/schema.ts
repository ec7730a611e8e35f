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
  /** What the alert functions received (alerts.ts). */
  alertsReceived: defineTable({ rule: v.string(), kind: v.string(), eventId: v.optional(v.string()), payload: v.any() }),
  /** A table whose every change is logged by a trigger (triggers.ts). */
  projects: defineTable({
    name: v.string(),
    orgId: v.optional(v.string()),
    apiSecret: v.optional(v.string()),
    ownerEmail: v.optional(v.string()),
    updatedAt: v.optional(v.number()),
    status: v.optional(v.string()),
  }),
});
