import { paginationOptsValidator } from "convex/server";
import { v } from "convex/values";
import { query } from "./_generated/server.js";
import { checkPageSize, checkWindow, oneOf } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import { SEVERITIES, vEvent, vEventPage, vTimeRange } from "../shared/validators.js";
import { paginateMerged, paginateRange, takeMerged } from "./paginate.js";
import type { RangeSpec } from "./read.js";

const MAX_ACTIONS = 50;

export const get = query({
  args: { id: v.string(), tenantId: v.optional(v.string()) },
  returns: v.union(vEvent, v.null()),
  handler: async (ctx, { id, tenantId }) => {
    const eventId = ctx.db.normalizeId("events", id);
    if (eventId === null) return null;
    const event = await ctx.db.get(eventId);
    // Scoped callers must not learn that another tenant's event exists.
    if (event === null || (tenantId !== undefined && event.tenantId !== tenantId)) return null;
    return event;
  },
});

export const queryByResource = query({
  args: {
    resourceType: v.string(),
    resourceId: v.string(),
    tenantId: v.optional(v.string()),
    /** Only this actor's events on the resource (a plain user's view of a shared history). */
    actorId: v.optional(v.string()),
    ...vTimeRange,
    paginationOpts: paginationOptsValidator,
  },
  returns: vEventPage,
  handler: async (ctx, { resourceType, resourceId, tenantId, actorId, paginationOpts, ...window }) => {
    if (actorId !== undefined && tenantId !== undefined) {
      throw auditError("INVALID_ARGUMENT", "an actor's events on a resource are read across tenants: pass actorId or tenantId, not both", "tenantId");
    }
    const resource = [["resourceType", resourceType], ["resourceId", resourceId]] as const;
    const spec: RangeSpec =
      actorId !== undefined
        ? { index: "by_actor_resource", eq: [["actorId", actorId], ...resource] }
        : tenantId === undefined
          ? { index: "by_resource", eq: [...resource] }
          : { index: "by_tenant_resource", eq: [["tenantId", tenantId], ...resource] };
    return await paginateRange(ctx, spec, window, paginationOpts);
  },
});

export const queryByActor = query({
  args: {
    actorId: v.string(),
    tenantId: v.optional(v.string()),
    actions: v.optional(v.array(v.string())),
    ...vTimeRange,
    paginationOpts: paginationOptsValidator,
  },
  returns: vEventPage,
  handler: async (ctx, { actorId, tenantId, actions, paginationOpts, ...window }) => {
    const prefix: Array<readonly [string, string | undefined]> =
      tenantId === undefined ? [["actorId", actorId]] : [["tenantId", tenantId], ["actorId", actorId]];
    if (actions === undefined) {
      const index = tenantId === undefined ? "by_actor" : "by_tenant_actor";
      return await paginateRange(ctx, { index, eq: prefix }, window, paginationOpts);
    }
    const unique = [...new Set(actions)].sort();
    if (unique.length === 0 || unique.length > MAX_ACTIONS) {
      throw auditError(
        "INVALID_ARGUMENT",
        `actions must list 1 to ${MAX_ACTIONS} actions; leave it out to match every action`,
        "actions",
      );
    }
    const index = tenantId === undefined ? "by_actor_action" : "by_tenant_actor_action";
    // One index range per action: rows of other actions are never read.
    const specs = unique.map((action): RangeSpec => ({ index, eq: [...prefix, ["action", action]] }));
    if (specs.length === 1) return await paginateRange(ctx, specs[0], window, paginationOpts);
    const shape = JSON.stringify(["queryByActor", actorId, tenantId ?? null, unique, window]);
    return await paginateMerged(ctx, specs, window, paginationOpts, shape);
  },
});

export const queryByTenant = query({
  args: { tenantId: v.string(), ...vTimeRange, paginationOpts: paginationOptsValidator },
  returns: vEventPage,
  handler: async (ctx, { tenantId, paginationOpts, ...window }) => {
    return await paginateRange(ctx, { index: "by_tenant", eq: [["tenantId", tenantId]] }, window, paginationOpts);
  },
});

export const watchCritical = query({
  args: {
    severity: v.optional(v.array(v.string())),
    limit: v.optional(v.number()),
    tenantId: v.optional(v.string()),
    /** Only this actor's events (a plain user's own warnings and errors). */
    actorId: v.optional(v.string()),
    ...vTimeRange,
  },
  returns: v.array(vEvent),
  handler: async (ctx, { severity, limit, tenantId, actorId, ...window }) => {
    checkWindow(window);
    const n = checkPageSize(limit ?? 20, "limit");
    const wanted = [...new Set(severity ?? ["error", "critical"])].map((s) => oneOf(s, SEVERITIES, "severity", "INVALID_SEVERITY"));
    if (wanted.length === 0) throw auditError("INVALID_SEVERITY", "severity must list at least one level", "severity");
    if (actorId !== undefined && tenantId !== undefined) {
      throw auditError("INVALID_ARGUMENT", "an actor's events are watched across tenants: pass actorId or tenantId, not both", "tenantId");
    }
    const specs = wanted.map(
      (s): RangeSpec =>
        actorId !== undefined
          ? { index: "by_actor_severity", eq: [["actorId", actorId], ["severity", s]] }
          : tenantId === undefined
            ? { index: "by_severity", eq: [["severity", s]] }
            : { index: "by_tenant_severity", eq: [["tenantId", tenantId], ["severity", s]] },
    );
    return await takeMerged(ctx, specs, window, n);
  },
});
