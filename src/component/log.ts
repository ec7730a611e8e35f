import { v } from "convex/values";
import { mutation, type MutationCtx } from "./_generated/server.js";
import { auditError } from "../shared/errors.js";
import { buildEvent, prepareOptions } from "../shared/prepare.js";
import { LIMITS, vEventInput, vLogOptions, type EventInput, type LogOptions } from "../shared/validators.js";

async function findByIdempotencyKey(ctx: MutationCtx, tenantId: string | undefined, key: string) {
  return await ctx.db
    .query("events")
    .withIndex("by_idempotency", (q) => q.eq("tenantId", tenantId).eq("idempotencyKey", key))
    .first();
}

/**
 * Stores events in order; every event is built (validated, diffed, redacted,
 * size-checked) before the first insert, so a rejected call writes nothing.
 */
export async function logEvents(
  ctx: MutationCtx,
  events: EventInput[],
  options: LogOptions,
  atPrefix: (i: number) => string,
): Promise<string[]> {
  const prepared = prepareOptions(options);
  const now = Date.now();
  const docs = [];
  // Counted before the first insert, so a batch over Convex's write limit is a typed error that wrote nothing.
  const bulk = { bytes: 0, events: 0 };
  for (let i = 0; i < events.length; i++) {
    docs.push(await buildEvent(events[i], prepared, now, atPrefix(i), bulk));
  }
  const ids: string[] = [];
  const seen = new Map<string, string>();
  for (const doc of docs) {
    if (doc.idempotencyKey !== undefined) {
      const k = JSON.stringify([doc.tenantId ?? null, doc.idempotencyKey]);
      const prior = seen.get(k) ?? (await findByIdempotencyKey(ctx, doc.tenantId, doc.idempotencyKey))?._id;
      if (prior !== undefined) {
        ids.push(prior);
        continue;
      }
      const id = await ctx.db.insert("events", doc);
      seen.set(k, id);
      ids.push(id);
      continue;
    }
    ids.push(await ctx.db.insert("events", doc));
  }
  return ids;
}

export const log = mutation({
  args: { event: vEventInput, options: v.optional(vLogOptions) },
  returns: v.string(),
  handler: async (ctx, { event, options }) => {
    const [id] = await logEvents(ctx, [event], options ?? {}, () => "");
    return id;
  },
});

export const logBulk = mutation({
  args: { events: v.array(vEventInput), options: v.optional(vLogOptions) },
  returns: v.array(v.string()),
  handler: async (ctx, { events, options }) => {
    if (events.length > LIMITS.maxBulk) {
      throw auditError(
        "TOO_MANY_EVENTS",
        `logBulk takes at most ${LIMITS.maxBulk} events; got ${events.length}`,
        "events",
      );
    }
    return await logEvents(ctx, events, options ?? {}, (i) => `events[${i}]`);
  },
});
