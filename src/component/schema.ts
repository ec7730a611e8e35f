import { defineSchema, defineTable } from "convex/server";
import { eventFields } from "../shared/validators.js";

/**
 * One table, written only by inserts: no counter or chain head is touched on
 * the log path, so concurrent log calls never conflict.
 *
 * Every index ends with `timestamp` (Convex appends `_creationTime`), so each
 * query is one index range read newest first. Tenant-scoped shapes put
 * `tenantId` first; events without a tenant sit under `tenantId: undefined`.
 */
export default defineSchema({
  events: defineTable(eventFields)
    .index("by_timestamp", ["timestamp"])
    .index("by_resource", ["resourceType", "resourceId", "timestamp"])
    .index("by_actor", ["actorId", "timestamp"])
    .index("by_actor_action", ["actorId", "action", "timestamp"])
    .index("by_action", ["action", "timestamp"])
    .index("by_severity", ["severity", "timestamp"])
    .index("by_tenant", ["tenantId", "timestamp"])
    .index("by_tenant_resource", ["tenantId", "resourceType", "resourceId", "timestamp"])
    .index("by_tenant_actor", ["tenantId", "actorId", "timestamp"])
    .index("by_tenant_actor_action", ["tenantId", "actorId", "action", "timestamp"])
    .index("by_tenant_severity", ["tenantId", "severity", "timestamp"])
    // For search, statistics and anomalies ([scale]): each filter a planner may lead with.
    .index("by_tenant_action", ["tenantId", "action", "timestamp"])
    .index("by_category", ["category", "timestamp"])
    .index("by_tenant_category", ["tenantId", "category", "timestamp"])
    .index("by_status", ["status", "timestamp"])
    .index("by_tenant_status", ["tenantId", "status", "timestamp"])
    .index("by_idempotency", ["tenantId", "idempotencyKey"])
    // Words of the action, summary, resource, actor and tags ("tag:<t>"), for
    // phrase search and for tag filters, which no array index can serve.
    .searchIndex("search_text", {
      searchField: "searchText",
      filterFields: ["tenantId", "severity", "category", "status", "action"],
    }),
});
