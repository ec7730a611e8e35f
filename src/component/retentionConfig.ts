/**
 * Retention's stored configuration: policies (how long a category or an
 * action is kept) and legal holds. Both live in one small `retentionConfig`
 * document, which every cleanup batch reads once; the holds themselves are
 * `retentionHolds` documents, the keys of the active ones copied into the
 * config. Every change is itself an audit event.
 */
import type { Doc } from "./_generated/dataModel.js";
import type { MutationCtx, QueryCtx } from "./_generated/server.js";
import { AuditActions } from "../shared/catalog.js";
import { checkKey, checkString, intInRange, oneOf } from "../shared/checks.js";
import { auditError } from "../shared/errors.js";
import type { LegalHold, RetentionPolicies } from "../shared/retention.js";
import { RETENTION_LIMITS } from "../shared/retention.js";
import { utf8Compare } from "../shared/text.js";
import { CATEGORIES, LIMITS, type EventInput, type LogOptions } from "../shared/validators.js";
import { ensureCursorKey } from "./cursor.js";
import { logEvents } from "./log.js";

type Config = Doc<"retentionConfig">;
const resourceKey = (type: string, id: string) => JSON.stringify([type, id]);

export async function loadConfig(ctx: QueryCtx): Promise<Config | null> {
  return await ctx.db.query("retentionConfig").first();
}

async function configForWrite(ctx: MutationCtx): Promise<Config> {
  // Every admin change to retention goes through here: a mutation other than `log`, so it makes the cursor key.
  await ensureCursorKey(ctx);
  const existing = await loadConfig(ctx);
  if (existing !== null) return existing;
  const id = await ctx.db.insert("retentionConfig", {
    categoryDays: [],
    actionDays: [],
    heldTenants: [],
    heldActors: [],
    heldResources: [],
    updatedAt: Date.now(),
  });
  return (await ctx.db.get(id))!;
}

/** An admin change, as the audit event it leaves: by the caller (a user), else the system. */
async function logAdminEvent(ctx: MutationCtx, event: Omit<EventInput, "actorId" | "actor">, by: string | undefined, options: LogOptions) {
  const actor: Pick<EventInput, "actorId" | "actor"> = by === undefined ? { actor: { type: "system" } } : { actorId: by, actor: { type: "user" } };
  await logEvents(ctx, [{ ...event, ...actor }], options, () => "");
}

// ---- Policies -----------------------------------------------------------------

export type PolicyArgs = { category?: string; action?: string; days: number | null; by?: string; options?: LogOptions };

export async function setPolicy(ctx: MutationCtx, { category, action, days, by, options = {} }: PolicyArgs): Promise<null> {
  if (category !== undefined && action !== undefined) {
    throw auditError("INVALID_ARGUMENT", "a policy names a category or an action, not both", "action");
  }
  const cat = category === undefined ? undefined : oneOf(category, CATEGORIES, "category");
  if (action !== undefined) checkKey(action, "action", LIMITS.maxActionLength);
  if (days !== null) intInRange(days, 1, RETENTION_LIMITS.maxDays, "days", "an integer number of days");
  if (by !== undefined) checkKey(by, "by");
  const config = await configForWrite(ctx);
  const patch: Partial<Config> = { updatedAt: Date.now() };
  if (cat !== undefined) {
    const rest = config.categoryDays.filter((p) => p.category !== cat);
    patch.categoryDays = days === null ? rest : [...rest, { category: cat, days }];
  } else if (action !== undefined) {
    const rest = config.actionDays.filter((p) => p.action !== action);
    if (days !== null && rest.length >= RETENTION_LIMITS.maxActionPolicies) {
      throw auditError("INVALID_ARGUMENT", `at most ${RETENTION_LIMITS.maxActionPolicies} action policies`, "action");
    }
    patch.actionDays = days === null ? rest : [...rest, { action, days }];
  } else {
    patch.defaultDays = days ?? undefined;
  }
  await ctx.db.patch(config._id, patch);
  const target = cat !== undefined ? `category ${cat}` : action !== undefined ? `action ${action}` : "default";
  await logAdminEvent(
    ctx,
    {
      action: AuditActions.AUDIT_RETENTION_POLICY_SET,
      summary: `Retention for ${target}: ${days === null ? "removed" : `${days} days`}`,
      metadata: { category: cat ?? null, action: action ?? null, days },
    },
    by,
    options,
  );
  return null;
}

export async function getPolicies(ctx: QueryCtx): Promise<RetentionPolicies> {
  const config = await loadConfig(ctx);
  return {
    defaultDays: config?.defaultDays ?? null,
    categories: [...(config?.categoryDays ?? [])].sort((a, b) => a.category.localeCompare(b.category)),
    actions: [...(config?.actionDays ?? [])].sort((a, b) => utf8Compare(a.action, b.action)),
  };
}

// ---- Legal holds --------------------------------------------------------------

/** Rewrites the held keys a batch reads from the active holds (at most maxHolds documents). */
async function refreshHeldKeys(ctx: MutationCtx): Promise<void> {
  const active = await ctx.db
    .query("retentionHolds")
    .withIndex("by_active", (q) => q.eq("active", true))
    .take(RETENTION_LIMITS.maxHolds + 1);
  const tenants = new Set<string>();
  const actors = new Set<string>();
  const resources = new Map<string, { resourceType: string; resourceId: string }>();
  for (const h of active) {
    if (h.tenantId !== undefined) tenants.add(h.tenantId);
    else if (h.actorId !== undefined) actors.add(h.actorId);
    else if (h.resourceType !== undefined && h.resourceId !== undefined) {
      resources.set(resourceKey(h.resourceType, h.resourceId), { resourceType: h.resourceType, resourceId: h.resourceId });
    }
  }
  const config = await configForWrite(ctx);
  await ctx.db.patch(config._id, {
    heldTenants: [...tenants],
    heldActors: [...actors],
    heldResources: [...resources.values()],
    updatedAt: Date.now(),
  });
}

type HoldKeyFields = Pick<LegalHold, "tenantId" | "actorId" | "resourceType" | "resourceId">;
function holdKey(h: HoldKeyFields) {
  if (h.tenantId !== undefined) return { tenantId: h.tenantId };
  if (h.actorId !== undefined) return { actorId: h.actorId };
  return { resourceType: h.resourceType ?? null, resourceId: h.resourceId ?? null };
}
function describeHold(h: HoldKeyFields): string {
  if (h.tenantId !== undefined) return `tenant ${h.tenantId}`;
  if (h.actorId !== undefined) return `actor ${h.actorId}`;
  return `resource ${h.resourceType}/${h.resourceId}`;
}

export type PlaceHoldArgs = HoldKeyFields & { reason?: string; by?: string; options?: LogOptions };

export async function placeHold(ctx: MutationCtx, { options = {}, ...args }: PlaceHoldArgs): Promise<string> {
  const kinds = [args.tenantId !== undefined, args.actorId !== undefined, args.resourceType !== undefined || args.resourceId !== undefined];
  if (kinds.filter(Boolean).length !== 1) {
    throw auditError("INVALID_ARGUMENT", "a hold names exactly one of: tenantId, actorId, or resourceType with resourceId", "tenantId");
  }
  if (args.tenantId !== undefined) checkKey(args.tenantId, "tenantId");
  if (args.actorId !== undefined) checkKey(args.actorId, "actorId");
  if (kinds[2]) {
    checkKey(args.resourceType, "resourceType");
    checkKey(args.resourceId, "resourceId");
  }
  checkString(args.reason, "reason", RETENTION_LIMITS.maxReasonLength, { allowEmpty: true });
  if (args.by !== undefined) checkKey(args.by, "by");
  const active = await ctx.db
    .query("retentionHolds")
    .withIndex("by_active", (q) => q.eq("active", true))
    .take(RETENTION_LIMITS.maxHolds);
  if (active.length >= RETENTION_LIMITS.maxHolds) {
    throw auditError("INVALID_ARGUMENT", `at most ${RETENTION_LIMITS.maxHolds} active holds; release one first`, "tenantId");
  }
  const hold = {
    active: true,
    placedAt: Date.now(),
    ...(args.tenantId !== undefined ? { tenantId: args.tenantId } : {}),
    ...(args.actorId !== undefined ? { actorId: args.actorId } : {}),
    ...(kinds[2] ? { resourceType: args.resourceType, resourceId: args.resourceId } : {}),
    ...(args.reason !== undefined ? { reason: args.reason } : {}),
    ...(args.by !== undefined ? { placedBy: args.by } : {}),
  };
  const id = await ctx.db.insert("retentionHolds", hold);
  await refreshHeldKeys(ctx);
  await logAdminEvent(
    ctx,
    {
      action: AuditActions.AUDIT_HOLD_PLACED,
      summary: `Legal hold placed on ${describeHold(hold)}`,
      metadata: { holdId: id, ...holdKey(hold), reason: args.reason ?? null },
    },
    args.by,
    options,
  );
  return id;
}

export async function releaseHold(
  ctx: MutationCtx,
  { holdId, by, options = {} }: { holdId: string; by?: string; options?: LogOptions },
): Promise<boolean> {
  const id = ctx.db.normalizeId("retentionHolds", holdId);
  const hold = id === null ? null : await ctx.db.get(id);
  if (id === null || hold === null) throw auditError("INVALID_ARGUMENT", "no legal hold with this id", "holdId");
  if (by !== undefined) checkKey(by, "by");
  if (!hold.active) return false;
  await ctx.db.patch(id, { active: false, releasedAt: Date.now(), ...(by !== undefined ? { releasedBy: by } : {}) });
  await refreshHeldKeys(ctx);
  await logAdminEvent(
    ctx,
    { action: AuditActions.AUDIT_HOLD_RELEASED, summary: `Legal hold released on ${describeHold(hold)}`, metadata: { holdId, ...holdKey(hold) } },
    by,
    options,
  );
  return true;
}
