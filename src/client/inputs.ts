/**
 * How the client turns a call's event into what it sends the component: the
 * actor from the server's own identity (never from what a browser sent), the
 * request's context, the app catalog's category and severity, and the app's
 * own rules (`strictActions`, `strictActor`, `flatMetadata`), each a typed
 * error before anything is written.
 */
import type { UserIdentity } from "convex/server";
import { lookupAction, type ActionCatalog } from "../shared/catalog.js";
import { auditError } from "../shared/errors.js";
import { LIMITS, type EventInput, type RequestContext } from "../shared/validators.js";
import type { ActorInput, IdentityActor, LogChangeArgs, RunMutationCtx } from "./types.js";


/** Identity claims that name the user's organisation, in the order they are tried. */
export const TENANT_CLAIMS = ["tenantId", "orgId", "org_id", "organizationId", "activeOrganizationId"] as const;

/**
 * The default mapping (`actorFromIdentity: true`): `subject` → id, `name`,
 * `email`, a string `role` claim, `tokenIdentifier`, and the first string
 * claim of TENANT_CLAIMS as the tenant.
 */
export function defaultActorFromIdentity(identity: UserIdentity): IdentityActor {
  const out: IdentityActor = { id: identity.subject, tokenIdentifier: identity.tokenIdentifier };
  if (typeof identity.name === "string") out.name = identity.name;
  if (typeof identity.email === "string") out.email = identity.email;
  if (typeof identity.role === "string") out.role = identity.role;
  for (const claim of TENANT_CLAIMS) {
    const value = identity[claim];
    if (typeof value === "string" && value.length > 0) {
      out.tenantId = value;
      break;
    }
  }
  return out;
}

export type InputRules = {
  catalog: ActionCatalog | undefined;
  actorFromAuth: boolean;
  actorFromIdentity: boolean | ((identity: UserIdentity) => IdentityActor) | undefined;
  strictActions: boolean;
  strictActor: boolean;
  flatMetadata: boolean;
};

/** The identity's actor as the rules map it, or null with nobody signed in (or actors from auth off). */
export function identityActor(identity: UserIdentity | null, rules: InputRules): IdentityActor | null {
  if (identity === null) return null;
  const map = rules.actorFromIdentity;
  if (typeof map === "function") return { id: identity.subject, ...map(identity) };
  if (map === true) return defaultActorFromIdentity(identity);
  const out: IdentityActor = { id: identity.subject };
  if (identity.name !== undefined) out.name = identity.name;
  return out;
}

/** Whether the rules need the caller's identity for these events. */
export function needsIdentity(events: LogChangeArgs[], rules: InputRules): boolean {
  if (!rules.actorFromAuth) return false;
  if (rules.strictActor || rules.actorFromIdentity) return true;
  return events.some((e) => (e.actorId ?? e.actor?.id) == null);
}

const isScalar = (x: unknown) => x === null || ["string", "number", "boolean"].includes(typeof x);

/** One event as the component receives it; throws the rules' typed errors. */
export function toInput(
  event: LogChangeArgs,
  signedIn: IdentityActor | null,
  request: RequestContext | undefined,
  rules: InputRules,
  at = "",
): EventInput {
  const p = (f: string) => (at ? `${at}.${f}` : f);
  if (typeof event !== "object" || event === null) {
    throw auditError("INVALID_ARGUMENT", "an event must be an object", at || "event");
  }
  const { actorId, actor, context, metadata, before, after, ...rest } = event;
  const info = typeof event.action === "string" ? lookupAction(event.action, rules.catalog) : undefined;
  if (rules.strictActions && typeof event.action === "string" && info === undefined) {
    throw auditError("INVALID_ACTION", `${JSON.stringify(event.action.slice(0, 128))} is not in the action catalog (strictActions is on)`, p("action"));
  }
  if (rules.flatMetadata && metadata !== undefined) {
    if (typeof metadata !== "object" || metadata === null || Array.isArray(metadata)) {
      throw auditError("INVALID_ARGUMENT", "metadata must be a flat record of scalars (flatMetadata is on)", p("metadata"));
    }
    for (const [key, value] of Object.entries(metadata)) {
      if (value !== undefined && !isScalar(value)) {
        throw auditError("INVALID_ARGUMENT", "metadata values must be strings, numbers, booleans or null (flatMetadata is on)", p(`metadata.${key}`));
      }
    }
  }
  const input: EventInput = { ...rest } as EventInput;
  for (const key of Object.keys(input) as (keyof EventInput)[]) {
    if (input[key] === undefined) delete input[key];
  }
  if (input.category === undefined && info) input.category = info.category;
  if (input.severity === undefined && info) input.severity = info.severity;

  const explicitId = actorId ?? actor?.id ?? undefined;
  if (rules.strictActor && signedIn !== null) {
    // Seed 003's rule: a signed-in request acts as its user. An id from the arguments is what a browser sent.
    if (explicitId !== undefined && explicitId !== signedIn.id) {
      throw auditError("ACTOR_MISMATCH", "the event names an actor other than the signed-in user (strictActor is on)", p("actorId"));
    }
    if (signedIn.tenantId !== undefined && input.tenantId !== undefined && input.tenantId !== signedIn.tenantId) {
      throw auditError("ACTOR_MISMATCH", "the event names a tenant other than the signed-in user's (strictActor is on)", p("tenantId"));
    }
  }
  const actorFields: ActorInput = { ...actor };
  delete actorFields.id;
  // With actorFromIdentity, an explicit id equal to the signed-in user's still gets the identity's claims.
  const fromIdentity = signedIn !== null && (explicitId === undefined || (!!rules.actorFromIdentity && explicitId === signedIn.id));
  if (explicitId !== undefined) input.actorId = explicitId;
  if (fromIdentity && signedIn.id !== undefined) {
    input.actorId = signedIn.id;
    actorFields.type ??= "user";
    for (const key of ["name", "role", "email", "tokenIdentifier"] as const) {
      if (actorFields[key] === undefined && signedIn[key] !== undefined) actorFields[key] = signedIn[key];
    }
    if (input.tenantId === undefined && signedIn.tenantId !== undefined) input.tenantId = signedIn.tenantId;
  }
  const cleanActor = Object.fromEntries(Object.entries(actorFields).filter(([, v]) => v !== undefined));
  if (Object.keys(cleanActor).length > 0) input.actor = cleanActor;

  const ctxFields = Object.fromEntries(
    Object.entries({ ...request, ...context }).filter(([, v]) => v !== undefined && v !== null),
  );
  if (Object.keys(ctxFields).length > 0) input.context = ctxFields;
  if (metadata !== undefined) input.metadata = metadata;
  if (before !== undefined) input.before = before;
  if (after !== undefined) input.after = after;
  return input;
}

/** ip, userAgent, requestId and the calling function's name, where the runtime has them. */
export async function requestContext(ctx: RunMutationCtx): Promise<RequestContext | undefined> {
  const meta = ctx.meta;
  if (meta?.getRequestMetadata === undefined) return undefined;
  const out: RequestContext = {};
  try {
    const m = await meta.getRequestMetadata();
    if (m.ip) out.ip = m.ip;
    if (m.userAgent) out.userAgent = m.userAgent.slice(0, LIMITS.maxContextFieldLength);
    if (m.requestId) out.requestId = m.requestId;
  } catch {
    // Not every runtime has request metadata (e.g. older backends); the event is still logged.
  }
  try {
    const fn = await meta.getFunctionMetadata?.();
    if (fn?.name) out.source = fn.name;
  } catch {
    // As above.
  }
  return out;
}
